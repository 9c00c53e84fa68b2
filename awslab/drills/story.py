"""The story of a drill: the simulator's timeline, told the way AWS's consoles would tell it.

Every line is something AWS itself records or reports: a target's health
(``describe-target-health``), an Auto Scaling activity with its cause
(``describe-scaling-activities``), an instance's state (``describe-instances``),
stamped in simulated time and as an offset from the moment the drill began:

    +0:00:00  fault         i-0abc   the web app is broken: crash
    +0:01:30  ELB           i-0abc   healthy -> unhealthy (Target.FailedHealthChecks)
    +0:01:41  Auto Scaling  i-0abc   marked Unhealthy (ELB health check)
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable

from ..i18n import N_, _

__all__ = ["Story", "StoryLine", "tell", "short_name"]

#: Who did it: AWS's services by their names (never translated), and awslab's two hands (translated when told).
ACTORS = {"fault": N_("fault"), "ec2": "EC2", "elb": "ELB", "autoscaling": "Auto Scaling", "cloudwatch": "CloudWatch",
          "dataplane": N_("data plane")}


@dataclass(frozen=True)
class StoryLine:
    """One event: ``offset_s`` simulated seconds after the drill began."""

    offset_s: float
    iso: str
    actor: str
    resource: str
    text: str
    detail: str = ""
    #: The timeline event it tells (``app_up``, ``target_health_changed``, ...), for code that looks for one.
    event: str = ""

    @property
    def offset(self) -> str:
        sign, s = ("-" if self.offset_s < 0 else "+"), int(abs(self.offset_s))
        return f"{sign}{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"

    def __str__(self) -> str:
        return f"{self.offset}  {self.actor:<12}  {self.resource:<20}  {self.text}"


@dataclass(repr=False)
class Story:
    """The lines of a drill in time order; prints as text, shows as a table in a notebook."""

    lines: list[StoryLine] = field(default_factory=list)

    def __iter__(self):
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def first(self, contains: str = "", event: str = "", resource: str = "") -> StoryLine | None:
        """The first line whose text contains ``contains`` (e.g. ``"-> unhealthy"``), of ``event`` (e.g. ``"app_up"``)
        and about ``resource`` (each optional), or None."""
        return next((line for line in self.lines if contains in line.text and (not event or line.event == event)
                     and (not resource or line.resource == resource)), None)

    def __str__(self) -> str:
        return "\n".join(str(line) for line in self.lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cell = "<td style='white-space:nowrap;text-align:left'>"
        rows = "".join(
            f"<tr>{cell}<code>{line.offset}</code></td>{cell}{html.escape(line.iso)}</td>{cell}{html.escape(line.actor)}</td>"
            f"{cell}<code style='white-space:nowrap'>{html.escape(line.resource)}</code></td><td style='text-align:left' title='{html.escape(line.detail)}'>"
            f"{html.escape(line.text)}</td></tr>" for line in self.lines)
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in (
            _("after"), _("simulated time (UTC)"), _("who"), _("resource"), _("what happened")))
        head = f"<tr>{head}</tr>"
        return f"<table>{head}{rows}</table>"


_UUID_SUFFIX = re.compile(r"-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def short_name(resource: str) -> str:
    """A resource as a person would say it: an ARN's last part, an alarm name without the UUID target tracking adds."""
    if resource.startswith("arn:"):
        resource = resource.split(":", 5)[-1]
        resource = resource.split("/", 1)[-1] if resource.startswith(("targetgroup/", "loadbalancer/")) else resource
    return _UUID_SUFFIX.sub("", resource)


def _params(d: dict, *skip: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in d.items() if k not in skip)


def _sentence(e: dict) -> tuple[str, str] | None:
    """(what happened, more detail) for a timeline event, or None for one that adds nothing.

    AWS's own words (states, reason codes, activity descriptions and causes) stay as AWS writes them;
    awslab's sentences around them are in the student's language.
    """
    d, kind = e.get("details", {}), e["event"]
    if kind in ("fault_injected", "load_changed"):
        params = _params(d, "kind", "shape")
        if kind == "fault_injected":
            text = _("the web app is broken: {kind}").format(kind=d.get("kind"))
        else:
            text = _("traffic changes: {shape}").format(shape=d.get("shape"))
        return text + (f" ({params})" if params else ""), ""
    if kind == "fault_cleared":
        return _("the web app is repaired (was {kind})").format(kind=d.get("kind")), ""
    if kind == "state_changed":
        return (None if d.get("previous") == d.get("state") else (f"{d.get('previous')} -> {d.get('state')}", d.get("availability_zone", "")))
    if kind in ("app_up", "app_down"):
        return (_("the web app answers") if kind == "app_up" else _("the web app stopped answering")), ""
    if kind == "target_health_changed":
        if d.get("previous") == d.get("state") and d.get("state") != "initial":
            return None
        reason = f" ({d['reason']})" if d.get("reason") else ""
        moved = d.get("state") if d.get("previous") == d.get("state") else f"{d.get('previous')} -> {d.get('state')}"
        return f"{moved}{reason}", d.get("description", "")
    return _worded(kind, d)


def _worded(kind: str, d: dict) -> tuple[str, str] | None:
    """The Auto Scaling, CloudWatch and target-group events of :func:`_sentence`."""
    if kind == "target_deregistered":
        return _("deregistered from the target group"), ""
    if kind == "instance_unhealthy":
        return _("marked Unhealthy ({source} health check)").format(source=d.get("source")), ""
    if kind == "lifecycle_changed":
        return _("lifecycle -> {state}").format(state=d.get("lifecycle_state")), d.get("availability_zone", "")
    if kind == "activity_started":
        return d.get("description") or _("activity started"), d.get("cause", "")
    if kind == "activity_finished":
        return "{}: {}".format(d.get("description") or _("activity"), d.get("status_code")), ""
    if kind == "instance_refresh_status":
        return _("instance refresh {status}, {percentage}% complete").format(
            status=d.get("status"), percentage=d.get("percentage")), d.get("reason", "")
    if kind == "desired_capacity_changed":
        return _("desired capacity {previous} -> {desired}").format(previous=d.get("previous"), desired=d.get("desired")), ""
    if kind == "alarm_state_changed":
        moved = f"{d['previous']} -> {d['state']}" if d.get("previous") else str(d.get("state"))
        return _("alarm {moved}").format(moved=moved), d.get("reason", "")
    if kind == "policy_executed":
        return _("policy {policy} (alarm {alarm}): desired {previous} -> {desired}").format(
            policy=d.get("policy"), alarm=d.get("alarm"), previous=d.get("previous"), desired=d.get("desired")), ""
    if kind == "cooldown_started":
        return _("cooldown: simple scaling waits before it acts again"), ""
    if kind == "load_changed":
        params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items() if k != "shape")
        return _("traffic changes: {shape}").format(shape=d.get("shape")) + (f" ({params})" if params else ""), ""
    return None


def tell(events: Iterable[dict], started_at: float, instance_ids: set[str], group: str | None,
         target_group_arns: set[str], alarm_names: set[str] = frozenset()) -> Story:
    """The drill's lines: events about its instances, group, target groups and alarms, since ``started_at``.

    The group's new instances join the story when Auto Scaling launches them.
    """
    events = [e for e in events if e["time"] >= started_at - 1e-6]
    ids = set(instance_ids)
    for e in events:  # instances the group launched during the drill
        if e["component"] == "autoscaling" and e["event"] == "lifecycle_changed" and e["details"].get("group_name") == group:
            ids.add(e["resource"])
    lines = []
    for e in events:
        d = e.get("details", {})
        ours = (e["component"] in ("fault", "ec2") and e["resource"] in ids) or \
               (e["component"] == "elb" and d.get("target_group_arn") in target_group_arns) or \
               (e["component"] == "autoscaling" and (e["resource"] == group or d.get("group_name") == group or e["resource"] in ids)) or \
               (e["component"] == "cloudwatch" and e["resource"] in alarm_names) or \
               (e["component"] == "dataplane" and e["event"] == "load_changed" and e["resource"] in target_group_arns | {"all"})
        said = _sentence(e) if ours else None
        if said:
            text, detail = said
            actor = ACTORS.get(e["component"])
            lines.append(StoryLine(e["time"] - started_at, e["iso"], _(actor) if actor else e["component"],
                                   short_name(e["resource"]), str(text), str(detail or ""), e["event"]))
    return Story(lines)
