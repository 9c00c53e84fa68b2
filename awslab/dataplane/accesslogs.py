"""ALB access logs: one line per request, gzip files in S3 every 5 minutes, in AWS's format.

Source for every field, the order and the object key:
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html

- Logging is off until the load balancer's ``access_logs.s3.enabled`` attribute
  is ``true``; ``access_logs.s3.bucket`` and ``access_logs.s3.prefix`` say where.
- Each load balancer *node* writes one file per 5-minute window. The key
  carries the window's end time (``20140215T2340Z`` covers 23:35-23:40 UTC)
  and the node's IP with zero-padded octets.
- Health checks are never logged; requests the ALB answered itself
  (503 no targets, fixed responses, redirects) are.

Read a line back with :func:`parse_line`: AWS's fields are space-separated
and the free-text ones are double-quoted, which is what :mod:`shlex` reads.
"""
from __future__ import annotations

import gzip
from collections import deque
import random
import shlex
import threading
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Callable

__all__ = ["FIELDS", "AccessLogEntry", "AccessLogWriter", "parse_line", "object_key", "WINDOW_S"]

#: Files are written every 5 minutes (per node).
WINDOW_S = 300
#: How many of the latest delivered keys a writer remembers (the files themselves are in S3).
WRITTEN_KEPT = 1000

#: AWS's field names in AWS's order (the Athena table uses the same names).
FIELDS = (
    "type", "time", "elb", "client_port", "target_port", "request_processing_time", "target_processing_time",
    "response_processing_time", "elb_status_code", "target_status_code", "received_bytes", "sent_bytes", "request",
    "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn", "trace_id", "domain_name", "chosen_cert_arn",
    "matched_rule_priority", "request_creation_time", "actions_executed", "redirect_url", "error_reason",
    "target_port_list", "target_status_code_list", "classification", "classification_reason", "conn_trace_id",
)


_ISO_SECONDS: dict[int, str] = {}


def iso(epoch: float) -> str:
    """AWS's log timestamp: ISO 8601 UTC with microseconds and a Z."""
    whole = int(epoch)
    prefix = _ISO_SECONDS.get(whole)
    if prefix is None:  # many requests share a second: format it once
        if len(_ISO_SECONDS) > 4096:
            _ISO_SECONDS.clear()
        prefix = _ISO_SECONDS[whole] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{prefix}.{int(round((epoch - whole) * 1e6)) % 1000000:06d}Z"


def _q(v) -> str:
    """A double-quoted field (``-`` when empty), with quotes and backslashes escaped."""
    if v == "-" or v == "":
        return '"-"'
    v = str(v)
    if '"' in v or "\\" in v:
        v = v.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{v}"'


def _t(v: float) -> str:
    return "-1" if v == -1 else f"{v:.3f}"


@dataclass(slots=True)
class AccessLogEntry:
    """One request, as the ALB logs it. Field names are AWS's (``client:port`` -> ``client_port``)."""

    type: str = "http"
    time: float = 0.0
    elb: str = "-"
    client_port: str = "-"
    target_port: str = "-"
    request_processing_time: float = -1
    target_processing_time: float = -1
    response_processing_time: float = -1
    elb_status_code: int | str = "-"
    target_status_code: int | str = "-"
    received_bytes: int = 0
    sent_bytes: int = 0
    request: str = "- - - "
    user_agent: str = "-"
    ssl_cipher: str = "-"
    ssl_protocol: str = "-"
    target_group_arn: str = "-"
    trace_id: str = "-"
    domain_name: str = "-"
    chosen_cert_arn: str = "-"
    matched_rule_priority: int | str = "-"
    request_creation_time: float = 0.0
    actions_executed: str = "-"
    redirect_url: str = "-"
    error_reason: str = "-"
    target_port_list: str = "-"
    target_status_code_list: str = "-"
    classification: str = "-"
    classification_reason: str = "-"
    conn_trace_id: str = "-"

    def line(self) -> str:
        """The log line: space-separated, free-text fields double-quoted, in AWS's order (:data:`FIELDS`)."""
        return (f"{self.type} {iso(self.time)} {self.elb} {self.client_port} {self.target_port} "
                f"{_t(self.request_processing_time)} {_t(self.target_processing_time)} {_t(self.response_processing_time)} "
                f"{self.elb_status_code} {self.target_status_code} {self.received_bytes} {self.sent_bytes} "
                f"{_q(self.request)} {_q(self.user_agent)} {self.ssl_cipher} {self.ssl_protocol} {self.target_group_arn} "
                f"{_q(self.trace_id)} {_q(self.domain_name)} {_q(self.chosen_cert_arn)} {self.matched_rule_priority} "
                f"{iso(self.request_creation_time)} {_q(self.actions_executed)} {_q(self.redirect_url)} {_q(self.error_reason)} "
                f"{_q(self.target_port_list)} {_q(self.target_status_code_list)} {_q(self.classification)} "
                f"{_q(self.classification_reason)} {self.conn_trace_id}")


def parse_line(line: str) -> dict[str, str]:
    """A log line back into ``{field: value}`` with AWS's field names (extra trailing fields are kept as ``_extra``)."""
    values = shlex.split(line)
    out = dict(zip(FIELDS, values))
    if len(values) < len(FIELDS):
        raise ValueError(f"{len(values)} fields, AWS's format has {len(FIELDS)}")
    if len(values) > len(FIELDS):
        out["_extra"] = " ".join(values[len(FIELDS):])
    return out


def object_key(*, bucket_prefix: str, account_id: str, region: str, lb_name: str, lb_id: str,
               window_end: float, delivered: float, node_ip: str, random_part: str) -> str:
    """The S3 key AWS uses for one node's file of one 5-minute window."""
    end = datetime.fromtimestamp(window_end, timezone.utc).strftime("%Y%m%dT%H%MZ")
    day = datetime.fromtimestamp(delivered, timezone.utc).strftime("%Y/%m/%d")
    padded = ".".join(f"{int(o):03d}" for o in node_ip.split("."))
    name = f"{account_id}_elasticloadbalancing_{region}_app.{lb_name}.{lb_id.replace('/', '.')}_{end}_{padded}_{random_part}.log.gz"
    prefix = bucket_prefix.strip("/")
    return f"{prefix + '/' if prefix else ''}AWSLogs/{account_id}/elasticloadbalancing/{region}/{day}/{name}"


@dataclass
class AccessLogWriter:
    """Collects lines per (node, window) and puts a gzip file to S3 when a window closes.

    ``put(bucket, key, data)`` stores one object (boto3's put_object, or the backend).
    ``settings()`` returns the LB's current ``(enabled, bucket, prefix)``, so turning
    the attribute on or off takes effect at once. Call :meth:`tick` with the
    simulated time to flush closed windows, and :meth:`flush` at shutdown.
    """

    put: Callable[[str, str, bytes], None]
    settings: Callable[[], tuple[bool, str, str]]
    account_id: str
    region: str
    lb_name: str
    lb_id: str
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    pending: dict[tuple[str, float], list[AccessLogEntry]] = field(default_factory=dict)
    written: deque[str] = field(default_factory=lambda: deque(maxlen=WRITTEN_KEPT))  # the latest keys (S3 holds them all)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, node_ip: str, entry: AccessLogEntry) -> None:
        """Log one request (a no-op while access logging is disabled)."""
        if not self.settings()[0]:
            return
        window_end = (int(entry.time) // WINDOW_S + 1) * WINDOW_S
        with self._lock:
            self.pending.setdefault((node_ip, window_end), []).append(entry)  # formatted at delivery, off the request path

    def tick(self, now: float) -> list[str]:
        """Deliver every window that ended at or before ``now``; returns the keys written."""
        with self._lock:
            due = [k for k in self.pending if k[1] <= now]
            batches = [(k, self.pending.pop(k)) for k in due]
        return [self._deliver(node, end, lines, now) for (node, end), lines in batches]

    def flush(self, now: float) -> list[str]:
        """Deliver everything, closed windows or not (the cloud is stopping)."""
        with self._lock:
            batches = list(self.pending.items())
            self.pending.clear()
        return [self._deliver(node, end, lines, now) for (node, end), lines in batches]

    def _deliver(self, node_ip: str, window_end: float, entries: list[AccessLogEntry], now: float) -> str:
        enabled, bucket, prefix = self.settings()
        rand = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
        key = object_key(bucket_prefix=prefix, account_id=self.account_id, region=self.region, lb_name=self.lb_name,
                         lb_id=self.lb_id, window_end=window_end, delivered=now, node_ip=node_ip, random_part=rand)
        if bucket:
            self.put(bucket, key, gzip.compress(("\n".join(e.line() for e in entries) + "\n").encode()))
            self.written.append(key)
        return key


assert [f.name for f in fields(AccessLogEntry)] == list(FIELDS)
