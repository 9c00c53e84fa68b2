"""Watch AWS change its mind, and time it: the course's measuring tape.

A lab predicts a time from a resource's own settings ("unhealthy within
interval x (threshold - 1) to interval x threshold + timeout"), then measures
it here. Every observation is a standard describe call; the time is the
cloud's own: simulated time on the embedded cloud (so a measured 75 s is 75 s
of AWS time, however fast the simulator runs), the wall clock elsewhere.
"""
from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import AwslabError, BackendError, ValidationError
from ..i18n import _
from ..progress import progress

__all__ = ["Watched", "target_health", "wait_for_target", "pause", "fast_forward", "break_app", "repair_app", "cloud_now",
           "APP_FAULTS"]

#: What awslab's simulator can do to an instance's web app (AWS has no API for a bug in your app).
APP_FAULTS = ("crash", "unhealthy", "hang", "slow")


@dataclass
class Watched:
    """What was seen while waiting: ``(seconds since the start, state, reason)`` at each change."""

    what: str
    reached: bool
    seconds: float
    changes: list[tuple[float, str, str]] = field(default_factory=list)
    started: float = 0.0  # the cloud's time when the watch began

    def text(self) -> str:
        head = (_("{what}: reached after {s:.0f} s").format(what=self.what, s=self.seconds) if self.reached
                else _("{what}: not reached after {s:.0f} s").format(what=self.what, s=self.seconds))
        rows = [f"  +{t:5.0f} s  {state:<10} {reason}" for t, state, reason in self.changes]
        return "\n".join([head, *rows])

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td style='text-align:right'>+{t:.0f} s</td><td style='text-align:left'><code>{html.escape(s)}</code>"
                       f"</td><td style='text-align:left'>{html.escape(r)}</td></tr>" for t, s, r in self.changes)
        colour = "#1a7f37" if self.reached else "#b42318"
        head = html.escape(self.text().splitlines()[0])
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'><b>{head}</b><table>{rows}</table></div>"


def _simulator(lab: Any):
    from ..drills.simulator import simulator

    return simulator(lab)


def cloud_now(lab: Any) -> float:
    """The cloud's time in epoch seconds: simulated on the embedded cloud, the wall clock elsewhere."""
    sim = _simulator(lab)
    return sim.now() if sim is not None else time.time()


def target_health(lab: Any, target_group_arn: str) -> dict[str, tuple[str, str]]:
    """``{instance id: (state, reason)}`` from ``describe-target-health``."""
    found = lab.client("elbv2").describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason", "")) for d in found}


def _watch(lab: Any, what: str, read: Callable[[], tuple[str, str]], done: Callable[[str], bool],
           timeout_s: float, since: float | None = None, awaited: str | None = None) -> Watched:
    sim = _simulator(lab)
    clock = sim.now if sim is not None else time.time
    t0 = clock() if since is None else since
    seen = Watched(what, False, 0.0, started=t0)
    start = time.monotonic()
    last = None
    with progress(awaited or what, None, simulated=sim is not None) as shown:
        while True:
            state, reason = read()
            now = clock() - t0
            if (state, reason) != last:
                seen.changes.append((now, state, reason))
                last = (state, reason)
            shown.update(now, (time.monotonic() - start) / timeout_s if timeout_s else 1.0)
            if done(state):
                seen.reached, seen.seconds = True, seen.changes[-1][0]
                return seen
            if time.monotonic() >= start + timeout_s:
                seen.seconds = now
                shown.finish(False)
                return seen
            time.sleep(0.1)


def pause(seconds: float, lab: Any = None) -> float:
    """Let ``seconds`` of the cloud's time pass (simulated on the embedded cloud: at 20x, 30 s take 1.5 s); returns them."""
    from . import current_lab

    lab = lab or current_lab()
    sim = _simulator(lab)
    if sim is None:
        time.sleep(seconds)
        return seconds
    t0 = sim.now()
    deadline = time.monotonic() + max(60.0, seconds)  # bounded even if the clock is paused
    with progress(_("{seconds:g} s of the cloud's time to pass").format(seconds=seconds), seconds, True) as shown:
        while sim.now() - t0 < seconds and time.monotonic() < deadline:
            time.sleep(0.05)
            shown.update(sim.now() - t0)
    return sim.now() - t0


def fast_forward(seconds: float, lab: Any = None, step_s: float = 30.0) -> float:
    """Let ``seconds`` of the cloud's time pass at once: the embedded cloud's clock jumps ahead ``step_s`` at a time
    (every control loop runs as it would have); elsewhere this waits. Returns the seconds that passed.

    :func:`pause` waits at the simulator's pace (20x: 15 minutes take 45 s); this takes a moment.
    """
    from . import current_lab

    lab = lab or current_lab()
    sim = _simulator(lab)
    if sim is None:
        time.sleep(seconds)
        return seconds
    t0 = sim.now()
    with progress(_("{seconds:g} s of the cloud's time to pass").format(seconds=seconds), seconds, True) as shown:
        while (left := seconds - (sim.now() - t0)) > 1e-6:  # a running clock may pass the mark between two reads
            shown.update(sim.advance(min(step_s, left)) - t0)
    return sim.now() - t0


def wait_for_target(lab: Any, target_group_arn: str, instance_id: str, state: str, timeout_s: float = 120.0,
                    since: Any = None) -> Watched:
    """Read ``describe-target-health`` until ``instance_id`` is in ``state``; time every change on the cloud's clock.

    ``timeout_s`` is wall time. On the embedded cloud at 20x, 120 s of wall time is 40 minutes of AWS time.
    Times count from ``since`` (the cloud's time as a datetime or epoch seconds, e.g. when you broke the app)
    when given, else from the first read.
    """
    states = ("initial", "healthy", "unhealthy", "unused", "draining", "unavailable")
    if state not in states:
        raise ValidationError("state", state, _("a target's state is one of {states}").format(states=", ".join(states)),
                              _("Use one of AWS's TargetHealth states, e.g. 'healthy'."))

    def read() -> tuple[str, str]:
        return target_health(lab, target_group_arn).get(instance_id, ("not registered", ""))

    start = since.timestamp() if hasattr(since, "timestamp") else since
    seen = _watch(lab, _("{target} becomes {state}").format(target=instance_id, state=state), read,
                  lambda s: s == state, timeout_s, start, _("{target} to be {state} in {target_group}").format(
                      target=instance_id, state=state, target_group=target_group_arn.split("/")[-2]
                      if target_group_arn.count("/") >= 2 else target_group_arn))
    if seen.reached:
        _exact(lab, seen, target_group_arn, instance_id, state)
    return seen


def _exact(lab: Any, seen: Watched, target_group_arn: str, instance_id: str, state: str) -> None:
    """Replace the moment a poll first saw ``state`` with the moment the cloud recorded the change.

    A poll every 0.1 s of wall time sees a change up to 2 simulated seconds late at 20x (more on a busy
    machine); the embedded cloud's record says when it happened, on the same clock.
    """
    sim = _simulator(lab)
    if sim is None:
        return
    try:
        events = sim.timeline(since=seen.started, component="elb", resource=instance_id, limit=200)
    except AwslabError:
        return
    times = [e["time"] for e in events if e.get("event") == "target_health_changed"
             and e.get("details", {}).get("target_group_arn") == target_group_arn and e["details"].get("state") == state]
    if times and seen.started <= times[-1] <= seen.started + seen.seconds:
        at = times[-1] - seen.started
        seen.seconds = at
        t, s, r = seen.changes[-1]
        seen.changes[-1] = (at, s, r)


def break_app(lab: Any, instance_id: str, kind: str = "unhealthy") -> str:
    """Break one instance's web app the way a bug would: ``unhealthy`` (GET /health answers 500), ``crash``, ``hang``, ``slow``.

    AWS has no API for this, so it is awslab's control API, not an AWS call; everything you then
    observe comes through the AWS APIs. Returns what you would do to a real server instead.
    """
    if kind not in APP_FAULTS:
        raise ValidationError("kind", kind, _("an app can fail as {kinds}").format(kinds=", ".join(APP_FAULTS)),
                              _("Use kind='unhealthy' (GET /health answers 500) or kind='crash'."))
    sim = _simulator(lab)
    if sim is None:
        raise BackendError(_("Breaking an app needs the embedded cloud's simulator; this lab runs on {where}.").format(
            where=lab.endpoint_url or _("real AWS")),
            _("On a real server, do it on the instance: stop the web app (sudo systemctl stop awslab-web)."))
    try:
        sim.inject(instance_id, kind)
    except AwslabError as e:
        raise BackendError(_("The cloud would not break {instance}: {error}").format(instance=instance_id, error=e.problem),
                           _("Check the id with describe-instances: is it running?")) from e
    return _("on a real server: make GET /health fail (for example, stop the app: sudo systemctl stop awslab-web)")


def repair_app(lab: Any, instance_id: str) -> None:
    """Undo :func:`break_app`."""
    sim = _simulator(lab)
    if sim is not None:
        try:
            sim.clear(instance_id)
        except BackendError:
            pass  # the instance is gone (Auto Scaling replaced it): nothing to repair
