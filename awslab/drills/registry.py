"""Every drill, by name: what the instructor console's buttons and ``awslab drill`` start.

A drill is one call that breaks (or loads) something in a lab and returns an object
that follows :class:`Drill`: its milestones in order, ``status()`` read through the
standard AWS APIs, ``wait_until(milestone)``, ``story()`` in AWS's words, and
``reset()``, which leaves the lab as the drill found it. Each drill module adds
its :class:`DrillSpec` to :data:`DRILLS` here, in the order the course teaches them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

from ..i18n import N_, _
from ..lab import Lab

__all__ = ["Drill", "DrillSpec", "DRILLS", "drill_spec"]


@runtime_checkable
class Drill(Protocol):
    """What every running drill offers (the console and the labs use nothing else)."""

    milestones: tuple[str, ...]

    def status(self) -> Any: ...

    def wait_until(self, milestone: str, timeout_s: float = ..., fast_forward: bool | None = ...,
                   **kw: Any) -> Any: ...

    def story(self) -> Any: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class DrillSpec:
    """One drill: ``start(lab, **params)`` begins it; ``title`` and ``what`` are English (shown through _())."""

    key: str
    title: str
    what: str
    start: Callable[..., Drill]

    def display_title(self) -> str:
        return _(self.title)

    def display_what(self) -> str:
        return _(self.what)


def _instance_failure(lab: Lab, **params: Any) -> Drill:
    from .failure import fail_instance

    return fail_instance(lab, **params)


def _surge(lab: Lab, **params: Any) -> Drill:
    from .surge import surge

    return surge(lab, **params)


def _az_outage(lab: Lab, **params: Any) -> Drill:
    from .az_outage import az_outage

    return az_outage(lab, **params)


def _policy_comparison(lab: Lab, **params: Any) -> Drill:
    from .policy_drill import policy_comparison

    return policy_comparison(lab, **params)


def _health_check_tuning(lab: Lab, **params: Any) -> Drill:
    from .health_check_tuning import health_check_tuning

    return health_check_tuning(lab, **params)


def _bad_deploy(lab: Lab, **params: Any) -> Drill:
    from .bad_deploy import bad_deploy

    return bad_deploy(lab, **params)


#: The drills, in the order the course teaches them. Each new drill module appends its spec here.
DRILLS: dict[str, DrillSpec] = {spec.key: spec for spec in (
    DrillSpec("instance_failure", N_("Instance failure"),
              N_("One app server's web app crashes; the ALB stops routing to it and Auto Scaling replaces it."),
              _instance_failure),
    DrillSpec("surge", N_("Surge"),
              N_("100 users become 1,000 in a minute; an alarm fires and a scaling policy adds instances."), _surge),
    DrillSpec("az_outage", N_("AZ outage"),
              N_("A network ACL cuts one Availability Zone off; the ALB routes to the other AZ and Auto Scaling "
                 "replaces the lost instances."), _az_outage),
    DrillSpec("policy_comparison", N_("Policy comparison"),
              N_("The same surge against each kind of scaling policy alone (target tracking, step, simple, scheduled, "
                 "none): first scale-out, peak latency, 5xx and instance-hours, side by side. The lab is not touched."),
              _policy_comparison),
    DrillSpec("health_check_tuning", N_("Health-check tuning"),
              N_("Several health-check settings side by side: how fast each notices a crashed app, and how often a slow "
                 "but working one is taken out of service."), _health_check_tuning),
    DrillSpec("bad_deploy", N_("Bad deploy"),
              N_("A new launch template version whose app fails its health checks goes out with an instance refresh; "
                 "the refresh fails and rolls back."), _bad_deploy),
)}


def drill_spec(key: str) -> DrillSpec:
    """The drill named ``key``; a clear error naming the drills there are."""
    from ..errors import ValidationError

    if key not in DRILLS:
        raise ValidationError("drill", key, _("one of: {names}").format(names=", ".join(DRILLS)),
                              _("Pick a drill by its key, for example awslab.drills.DRILLS['instance_failure'].start(lab)."))
    return DRILLS[key]
