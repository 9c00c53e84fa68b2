"""The CloudWatch agent on every instance: the web app's log lines, batched into CloudWatch Logs.

Each hosted app hands its access and error lines to :meth:`AgentShipper.add`, stamped in simulated
time. On every sync :meth:`AgentShipper.deliver` does what the agent on that instance would:

- it reads the instance's user data once (``DescribeInstanceAttribute``) and keeps the agent
  configuration it writes (:func:`awslab.webapp.cwagent.agent_config_in`); an instance whose user data
  configures no agent sends nothing, as on AWS;
- it sends each stream's buffer when ``force_flush_interval`` (5 s by default) of simulated time has
  passed since that stream's last send, creating the log group and stream first, as the agent does;
- one PutLogEvents call carries at most 10,000 events and 1,048,576 bytes, counting 26 bytes per
  event on top of its message
  (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
  A buffer never grows past that: the oldest lines are dropped and counted (:attr:`AgentShipper.dropped`).
"""
from __future__ import annotations

import base64
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from ..webapp.cwagent import FORCE_FLUSH_S, agent_config_in

__all__ = ["AgentShipper", "StreamBuffer", "MAX_EVENTS", "MAX_BATCH_BYTES", "EVENT_OVERHEAD"]

#: PutLogEvents: "The maximum number of log events in a batch is 10,000."
MAX_EVENTS = 10_000
#: PutLogEvents: "The maximum batch size is 1,048,576 bytes. This size is calculated as the sum of all event
#: messages in UTF-8, plus 26 bytes for each log event."
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
#: The largest message CloudWatch Logs takes (256 KB less the overhead); longer lines are truncated, as the agent does.
MAX_MESSAGE_BYTES = 256 * 1024 - EVENT_OVERHEAD


@dataclass
class StreamBuffer:
    """One log stream's lines waiting to be sent, never more than one PutLogEvents call holds."""

    group: str
    stream: str
    events: deque = field(default_factory=deque)  # (timestamp ms, message)
    size: int = 0
    last_sent: float | None = None
    dropped: int = 0

    def add(self, when: float, message: str) -> None:
        data = message.encode("utf-8", "replace")[:MAX_MESSAGE_BYTES]
        message = data.decode("utf-8", "ignore")
        self.events.append((int(when * 1000), message))
        self.size += len(data) + EVENT_OVERHEAD
        while len(self.events) > MAX_EVENTS or self.size > MAX_BATCH_BYTES:
            _, old = self.events.popleft()
            self.size -= len(old.encode()) + EVENT_OVERHEAD
            self.dropped += 1

    def take(self) -> list[dict]:
        """Everything buffered, in time order, as PutLogEvents' ``logEvents``."""
        out = sorted(self.events, key=lambda e: e[0])
        self.events.clear()
        self.size = 0
        return [{"timestamp": t, "message": m} for t, m in out]


@dataclass
class AgentShipper:
    """The agents of every hosted instance (``record`` writes the timeline)."""

    record: Callable[..., None] | None = None
    buffers: dict[tuple[str, str], StreamBuffer] = field(default_factory=dict)
    configs: dict[str, dict | None] = field(default_factory=dict)  # instance -> {kind: (group, stream)} or None
    pending: dict[str, list[tuple[str, float, str]]] = field(default_factory=dict)  # lines of not yet read instances
    created: set[tuple[str, str]] = field(default_factory=set)
    dropped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, instance_id: str, kind: str, when: float, line: str) -> None:
        """One line the app on ``instance_id`` wrote to its ``kind`` log (``access`` or ``error``). Any thread."""
        with self._lock:
            if instance_id not in self.configs:
                held = self.pending.setdefault(instance_id, [])
                held.append((kind, when, line))
                if len(held) > MAX_EVENTS:
                    del held[0]
                    self.dropped += 1
                return
            self._buffer(instance_id, kind, when, line)

    def _buffer(self, instance_id: str, kind: str, when: float, line: str) -> None:
        target = (self.configs.get(instance_id) or {}).get(kind)
        if target is None:
            return  # no agent, or the agent does not tail this file
        buf = self.buffers.get(target)
        if buf is None:
            buf = self.buffers[target] = StreamBuffer(*target)
        before = buf.dropped
        buf.add(when, line)
        self.dropped += buf.dropped - before

    def has_work(self) -> bool:
        return bool(self.pending) or any(b.events for b in list(self.buffers.values()))

    def _configure(self, ec2: Any, instance_id: str) -> None:
        """Read the instance's user data once and learn where its agent sends each file."""
        try:
            got = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
            text = base64.b64decode(got.get("UserData", {}).get("Value") or "").decode("utf-8", "replace")
        except ec2.exceptions.ClientError as e:
            if "NotFound" not in str(e):
                return  # try again on the next sync
            text = ""  # a terminated instance: nothing more to send
        except Exception:
            return
        config = agent_config_in(text or "")
        targets = None
        if config is not None:
            files = config.get("logs", {}).get("logs_collected", {}).get("files", {}).get("collect_list", [])
            targets = {}
            for f in files if isinstance(files, list) else []:
                kind = str(f.get("file_path", "")).rsplit("/", 1)[-1].removesuffix(".log")
                stream = str(f.get("log_stream_name", "{instance_id}")).replace("{instance_id}", instance_id)
                if f.get("log_group_name"):
                    targets[kind] = (str(f["log_group_name"]), stream)
        with self._lock:
            self.configs[instance_id] = targets
            for kind, when, line in self.pending.pop(instance_id, []):
                self._buffer(instance_id, kind, when, line)

    def deliver(self, logs: Any, ec2: Any, now: float, final: bool = False) -> int:
        """Send every stream whose flush interval has passed (all of them when ``final``); returns events sent."""
        for iid in [i for i in list(self.pending) if i not in self.configs]:
            self._configure(ec2, iid)
        sent = 0
        with self._lock:
            due = [b for b in self.buffers.values() if b.events and
                   (final or b.last_sent is None or now - b.last_sent >= FORCE_FLUSH_S)]
            batches = [(b, b.take()) for b in due]
            for b, _ in batches:
                b.last_sent = now
        for buf, events in batches:
            try:
                self._ensure(logs, buf.group, buf.stream)
                logs.put_log_events(logGroupName=buf.group, logStreamName=buf.stream, logEvents=events)
                sent += len(events)
            except Exception as e:  # the agent logs a failed send and goes on
                self.created.discard((buf.group, buf.stream))
                if self.record:
                    self.record("dataplane", buf.stream, "app_log_delivery_failed", log_group=buf.group,
                                events=len(events), error=str(e)[:200])
        return sent

    def _ensure(self, logs: Any, group: str, stream: str) -> None:
        """Create the group and the stream if they are missing (the agent does, with its role's permission)."""
        if (group, stream) in self.created:
            return
        for create, kw in ((logs.create_log_group, {"logGroupName": group}),
                           (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):
            try:
                create(**kw)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
        self.created.add((group, stream))

    def forget(self, instance_id: str) -> None:
        """A terminated instance: its agent is gone (what it had buffered is lost, as on AWS)."""
        with self._lock:
            self.configs.pop(instance_id, None)
            self.pending.pop(instance_id, None)
