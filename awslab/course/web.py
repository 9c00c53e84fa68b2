"""``curl`` for notebooks: send a request to a load balancer by its DNS name, as a user's browser would.

On AWS the name resolves through DNS. The embedded cloud serves each ALB
listener on a local address, so here the name is looked up in the data plane
(:func:`awslab.traffic.target.alb_url`) and the request carries
``Host: <dns name>``, as it would on AWS.

``curl(url, from_instance="i-...")`` is ``curl`` run *on* that instance: its own
web app (``http://localhost/``), another instance by private IP (security
groups decide), or the instance metadata service (``http://169.254.169.254/...``).
On AWS you would log in to the instance to do that; the embedded cloud's data
plane makes the request from the instance's own address instead.
"""
from __future__ import annotations

import html
import http.client
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..i18n import _

__all__ = ["curl", "Reply"]


@dataclass
class Reply:
    """One HTTP answer: status, the first line of the body, and the headers a lesson points at."""

    url: str
    status: int | None
    reason: str
    body: str
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    aws_seconds: float | None = None  # the same wait on the cloud's clock (simulated time on the embedded cloud)
    detail: str = ""  # why there was no answer (the rule that dropped the connection)

    def text(self) -> str:
        first = self.body.strip().splitlines()[0] if self.body.strip() else ""
        took = self.seconds if self.aws_seconds is None else self.aws_seconds
        if self.status is None:
            head = _("{url}: no answer ({reason}) after {s:.1f} s").format(url=self.url, reason=self.reason, s=took)
            return f"{head}\n  {self.detail}" if self.detail else head
        wait = f" ({took:.1f} s)" if took >= 1 else ""
        return f"{self.status} {self.reason} · {_shorten(first)}{wait}"

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        ok = self.status is not None and self.status < 400
        colour = "#1a7f37" if ok else "#b42318"
        return (f"<div style='border-left:4px solid {colour};padding:2px 10px'>"
                f"<code style='white-space:pre-wrap'>{html.escape(self.text())}</code></div>")


def _shorten(line: str, most: int = 200) -> str:
    """``line`` whole if it fits, else cut at the last space or comma before ``most`` characters, with an ellipsis."""
    if len(line) <= most:
        return line
    cut = max(line.rfind(" ", 0, most), line.rfind(",", 0, most))
    return line[: cut if cut > most // 2 else most].rstrip(" ,") + " …"


def _local(url: str, endpoint_url: str | None) -> tuple[str, int, str]:
    """(host, port, Host header) to connect to for ``url``: the data plane's address for an ALB's or a CloudFront
    distribution's DNS name (``https://`` is served as HTTP on this machine)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if endpoint_url and host.endswith(".elb.amazonaws.com"):
        from ..traffic.target import alb_url

        local = urlsplit(alb_url(host, endpoint_url, port))
        return local.hostname or "127.0.0.1", local.port or 80, host
    if endpoint_url and host.endswith(".cloudfront.net"):
        from ..traffic.target import cdn_url

        local = urlsplit(cdn_url(host, endpoint_url))
        return local.hostname or "127.0.0.1", local.port or 80, host
    return host, port, parts.netloc


def curl(url: str, lab=None, timeout_s: float = 15.0, headers: dict[str, str] | None = None,
         from_instance: str | None = None, method: str = "GET", retry_s: float = 0.0) -> Reply:
    """GET ``url`` (an ALB's ``http://<dns name>/path``) and return the :class:`Reply`; never raises for a network error.

    With ``from_instance`` the request is made on that instance (see the module's doc); ``retry_s``
    retries a refused connection for that many seconds of AWS time, as ``curl --retry-connrefused``
    does while a server's app is still starting.
    """
    from . import current_lab

    from .watch import _simulator

    lab = lab or current_lab()
    if from_instance is not None:
        return _curl_on_instance(lab, url, from_instance, method, headers, timeout_s, retry_s)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:  # find the listener first: the time a reply shows is the request's, not the lookup's
        host, port, host_header = _local(url, lab.endpoint_url)
    except Exception as e:
        return Reply(url, None, type(e).__name__, str(e), 0.0)
    sim = _simulator(lab)
    clock = sim.clock() if sim is not None else None
    t0 = time.monotonic()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        conn.request("GET", path, headers={"Host": host_header, "User-Agent": "awslab-curl", **(headers or {})})
        r = conn.getresponse()
        body = r.read(65536).decode("utf-8", errors="replace")
        conn.close()
        reply = Reply(url, r.status, r.reason, body, time.monotonic() - t0, {k.lower(): v for k, v in r.getheaders()})
    except Exception as e:  # a timeout, a refused connection: the student's answer, not a crash
        reply = Reply(url, None, type(e).__name__, "", time.monotonic() - t0)
    if clock is not None:
        reply.aws_seconds = _aws_seconds(sim, clock, reply.seconds)
    return reply


def _aws_seconds(sim: Any, before: dict, wall_s: float) -> float:
    """How long the request took in the cloud's time. In realtime mode the data plane runs every AWS timeout as
    wall time / speed (the ALB's 10 s connect timeout is 0.5 s at 20x), so the wall time x speed is the ALB's own
    measure; two reads of the simulated clock could differ from it by the moments the clock was held still while
    the data plane applied a change. In virtual time (the clock moves only when told) the clock's reads decide."""
    if before.get("mode") == "realtime" and not before.get("paused") and before.get("speed"):
        return wall_s * float(before["speed"])
    return sim.now() - float(before["now"])


def _curl_on_instance(lab, url: str, instance_id: str, method: str, headers: dict[str, str] | None, timeout_s: float,
                      retry_s: float) -> Reply:
    """``curl`` on the instance, through the embedded cloud's data plane (``POST /_awslab/dataplane/request``)."""
    from ..errors import BackendError
    from .watch import _simulator

    sim = _simulator(lab)
    if sim is None:
        raise BackendError(
            _("A request from inside an instance needs the embedded cloud's data plane; this lab runs on {where}.").format(
                where=lab.endpoint_url or _("real AWS")),
            _("On AWS, log in to the instance (SSH through the bastion, or Session Manager: aws ssm start-session "
              "--target {instance}) and run: curl {url}").format(instance=instance_id, url=url))
    aws0, deadline = sim.now(), time.monotonic() + 120
    while True:
        try:
            got = sim.request_from(instance_id, url, method, headers, timeout_s)
        except BackendError as e:
            raise BackendError(e.problem, _("From an instance, curl reaches its own app (http://localhost/), other "
                                            "instances by private IP, and the metadata service (http://169.254.169.254/)."
                                            )) from None
        waited = sim.now() - aws0
        if got.get("error") != "refused" or waited >= retry_s or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    # With retries the wait is the AWS time they took; a single request shows its own time (a dropped
    # connection is reported without waiting it out: its time is the timeout curl would wait).
    aws = waited if retry_s and got.get("error") != "timeout" else None
    return Reply(url, got.get("status"), got.get("reason", ""), got.get("body", ""), float(got.get("seconds", 0.0)),
                 got.get("headers") or {}, aws, got.get("detail", ""))


def my_ip(lab=None) -> str:
    """Your address as the lab's cloud sees it: what a bastion's SSH rule should admit (with /32).

    On the embedded cloud your machine plays the internet from 127.0.0.1
    (:data:`awslab.dataplane.addresses.INTERNET`). Elsewhere it is your public
    IP, as https://checkip.amazonaws.com answers it.
    """
    import urllib.request

    from . import current_lab

    lab = lab or current_lab()
    if lab.backend == "embedded":
        from ..dataplane.addresses import INTERNET

        return INTERNET
    with urllib.request.urlopen("https://checkip.amazonaws.com", timeout=10) as r:
        return r.read().decode().strip()
