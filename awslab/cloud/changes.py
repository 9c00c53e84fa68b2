"""Which AWS calls changed the cloud: so readers re-read only after a change, not on a timer.

Every AWS API action is either a *read* (``Describe*``, ``List*``, ``Get*``, ...)
or a *change* (``Create*``, ``Modify*``, ``RunInstances``, ...). moto tells the
two apart by the action's name, exactly as IAM policies do (``ec2:Describe*`` is
the read-only set). The cloud counts changes per service, and the data plane
(which mirrors the network and the load balancers from the ``describe_*`` APIs)
re-reads them when this count moves instead of once a second: with 140
instances a full re-read costs a third of a core, for nothing when nothing changed.

Changes the simulator makes itself (an instance going pending -> running, a
target turning unhealthy) are not API calls; the simulator announces them as
events, which the data plane also listens to.
"""
from __future__ import annotations

import threading
from typing import Callable

__all__ = ["READ_PREFIXES", "is_read_only", "record", "generation", "on_change", "install"]

#: Action-name prefixes that only read (IAM's read-only access levels use the same verbs).
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Search", "Select", "Query", "Scan", "BatchGet",
                 "Estimate", "Preview", "Validate", "Simulate", "Test")

_lock = threading.Lock()
_generation: dict[str, int] = {}
_listeners: list[Callable[[str, str], None]] = []


def is_read_only(action: str) -> bool:
    """True when ``action`` (an API action name such as ``DescribeInstances``) cannot change anything."""
    return action.startswith(READ_PREFIXES)


def record(service: str, action: str) -> None:
    """Count a change to ``service`` (moto's service name, e.g. ``ec2``, ``elbv2``; ``"*"`` for all) and tell the listeners."""
    with _lock:
        if service != "*":
            _generation[service] = _generation.get(service, 0) + 1
        _generation["*"] = _generation.get("*", 0) + 1
    for listener in list(_listeners):
        listener(service, action)


def generation(service: str = "*") -> int:
    """How many changes ``service`` (or, with ``"*"``, any service) has had since the cloud started."""
    return _generation.get(service, 0)


def on_change(listener: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Call ``listener(service, action)`` after every change (keep it cheap: it runs in the request)."""
    _listeners.append(listener)
    return listener


_installed = False


def install() -> None:
    """Count changes at moto's single entry point for actions (idempotent). The cloud server calls this."""
    global _installed
    if _installed:
        return
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action

    def call_action(self: BaseResponse):
        try:
            result = original(self)
        finally:  # a failed change may still have changed something: count it too
            try:
                action = self._get_action() or ""  # None when moto found no action in the request
            except Exception:  # noqa: BLE001 - no action name: treat as a change (re-reading is always safe)
                action = ""
            if not is_read_only(action):
                record(getattr(self, "service_name", "") or "", action)
        return result

    BaseResponse.call_action = call_action
    _installed = True
