"""The embedded cloud's simulator, as a drill sees it: its clock, its faults and its timeline.

These are awslab's own control routes (``/_awslab/...``), not AWS APIs: AWS has
no API to make an app return 500 or to fast-forward time. Everything a drill
*observes* still comes from the standard AWS APIs; the simulator is only the
hand that breaks things and the clock that can be sped up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cloud.client import ControlClient, ControlRefused
from ..errors import BackendError
from ..lab import Lab
from ..i18n import N_, _

__all__ = ["Simulator", "simulator"]

REFUSED_FIX = N_("Check the instance id and the fault's settings; `awslab status` shows what is running.")


@dataclass(frozen=True)
class Simulator:
    """The control API of the awslab cloud at ``url``."""

    url: str

    def _call(self, method: str, path: str, body: dict | None = None, query: dict | None = None) -> Any:
        return ControlClient(self.url).call(method, path, body, query, fix=_(REFUSED_FIX))

    def now(self) -> float:
        """Simulated time, in epoch seconds (what every AWS timestamp in the lab is stamped with)."""
        return float(self._call("GET", "clock")["now"])

    def clock(self) -> dict:
        return self._call("GET", "clock")

    def set_clock(self, **settings: Any) -> dict:
        """Change the clock: ``speed`` (simulated seconds per wall second), ``paused``, ``mode``."""
        return self._call("POST", "clock", settings)

    def advance(self, seconds: float) -> float:
        """Run the simulator ``seconds`` of simulated time at once (the control loops do everything they would)."""
        return float(self._call("POST", "clock/advance", {"seconds": seconds})["now"])

    def pause(self) -> dict:
        """Stop the clock (simulated time moves only through :meth:`advance` until :meth:`resume`)."""
        return self._call("POST", "clock/pause")

    def resume(self) -> dict:
        return self._call("POST", "clock/resume")

    def metric_delivery_delay(self) -> float:
        """Seconds after its period ends that this cloud's CloudWatch datapoints become readable."""
        return float(self._call("GET", "cloudwatch")["delivery_delay_s"])

    def inject(self, instance_id: str, kind: str, **params: Any) -> dict:
        return self._call("POST", "faults", {"instance_id": instance_id, "kind": kind, **params})

    def clear(self, instance_id: str) -> None:
        self._call("DELETE", "faults", {"instance_id": instance_id})

    def set_load(self, shape: str, target_group_arn: str | None = None, **params: Any) -> dict:
        """Drive the simulated traffic (the CPU model, CloudWatch's metrics) with a load shape from now on."""
        return self._call("POST", "load", {"shape": shape, **({"target_group_arn": target_group_arn} if target_group_arn else {}), **params})

    def clear_load(self) -> None:
        self._call("DELETE", "load")

    def settled(self) -> bool:
        """Wait (a few seconds at most) until the data plane serves every API change made so far: a NACL just
        associated drops the very next health check. False when it could not say (no data plane)."""
        try:
            return bool(self._call("GET", "dataplane/settled").get("settled"))
        except (BackendError, ControlRefused):
            return False

    def request_from(self, instance_id: str, url: str, method: str = "GET", headers: dict[str, str] | None = None,
                     timeout_s: float = 10.0) -> dict:
        """``curl`` run on ``instance_id``: the data plane makes the request from the instance's own address."""
        body = {"instance_id": instance_id, "url": url, "method": method, "timeout_s": timeout_s,
                "headers": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())}
        return self._call("POST", "dataplane/request", body)

    def timeline(self, since: float | None = None, limit: int = 5000, component: str | None = None,
                 resource: str | None = None) -> list[dict]:
        query: dict[str, Any] = {"limit": limit}
        if since is not None:
            query["since"] = since
        query.update({k: v for k, v in (("component", component), ("resource", resource)) if v})
        return self._call("GET", "timeline", query=query)


def simulator(lab: Lab) -> Simulator | None:
    """The simulator behind ``lab``'s endpoint, or None (LocalStack, a real account: no simulator there)."""
    if not lab.endpoint_url:
        return None
    sim = Simulator(lab.endpoint_url.rstrip("/"))
    try:
        sim.clock()
    except ControlRefused as e:
        if e.status == 401:  # awslab's cloud, whose token this process cannot read: say so, don't pretend
            raise
        return None
    except BackendError:
        return None
    return sim
