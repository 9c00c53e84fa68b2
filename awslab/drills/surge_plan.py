"""The surge without a simulator: which ALB gets the requests, how many, and what they cost, confirmed first.

On LocalStack or a real account nothing simulates the users: the surge is real HTTP requests sent from this machine
to the lab's own Application Load Balancer. Before one request goes out the student sees a plan and confirms it:

- **the target**: the lab's ALB, found by the lab's tag (``awslab:lab``) through ``DescribeLoadBalancers`` and
  ``DescribeTags``, and its HTTP listener on port 80. No other host is ever asked: the URL is built from that ALB's
  DNS name, and a name that is not one of the lab's load balancers is refused;
- **the bounds**: the peak rate, the duration and the total number of requests, each under a hard cap;
- **the cost it adds**: the ALB's LCUs (from the dated price table, :mod:`awslab.guardrails.prices`) and the
  instances Auto Scaling may add while it lasts.

Without ``confirm=True`` the plan is the error's text, and nothing is sent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..config import LAB_TAG
from ..errors import ValidationError
from ..guardrails import GuardrailError
from ..i18n import N_, _
from ..lab import Lab
from ..sim.load import LoadShape, users as users_shape
from .failure import DrillError

__all__ = ["LoadPlan", "LoadNotConfirmed", "plan_load", "lab_load_balancers", "MAX_RATE_RPS", "MAX_DURATION_S",
           "MAX_REQUESTS", "REQUEST_TIMEOUT_S"]

#: The hard caps of one surge. 200 req/s is the seed's 1000 users, each thinking 5 s between clicks.
MAX_RATE_RPS = 200.0
MAX_DURATION_S = 1800.0
MAX_REQUESTS = 200_000
#: A request not answered within this is counted as failed; the run ends at most this long after its duration.
REQUEST_TIMEOUT_S = 5.0
#: One LCU is 25 new connections per second (https://aws.amazon.com/elasticloadbalancing/pricing/). Counting every
#: request as a new connection over-estimates (the generator keeps connections open), so the figure is an upper bound.
NEW_CONNECTIONS_PER_LCU = 25.0
#: Target tracking scales in only after 15 one-minute datapoints below the target
#: (https://docs.aws.amazon.com/autoscaling/ec2/userguide/target-tracking-scaling-policy-overview.html): the extra
#: instances run about that long after the users leave.
SCALE_IN_S = 15 * 60

PLAN = N_("Surge on lab '{lab}': real HTTP requests from this machine to its load balancer {alb} ({url}), rising from "
          "{rate_from:g} to {rate_to:g} requests/s over {ramp_s:g} s, for {duration_s:g} s: about {expected} requests, "
          "at most {max_requests}. Caps: {cap_rate:g} requests/s, {cap_duration:g} s, {cap_requests} requests.")
COST = N_("Cost it adds in {region} (price table of {date}): at most ${lcu_usd:.4f} for {lcu:.1f} ALB LCU over the "
          "surge, and up to ${ec2_usd:.4f} if Auto Scaling adds {extra} {instance_type} instances (MaxSize {max_size}) "
          "for the surge and the 15 minutes it takes to scale in. Source: {source}")
NO_COST = N_("No AWS charge: backend '{backend}' is not a real account.")
NOT_CONFIRMED = N_("Nothing was sent: a surge without the simulator sends real requests, and needs your "
                   "confirmation.\n{plan}")
NOT_CONFIRMED_FIX = N_("If that is fine, start it with surge(lab, ..., confirm=True); stop it any time with .stop() "
                       "or Ctrl-C in .wait().")
OVER_CAP = N_("above 0 and at most {cap} (the surge's cap), not {value}")
OVER_CAP_FIX = N_("Use a smaller value, for example {example}; the caps keep a surge from this machine bounded.")


class LoadNotConfirmed(GuardrailError):
    """The plan, shown instead of sending: the student has not confirmed the surge."""

    def __init__(self, problem: str, fix: str, plan: "LoadPlan"):
        super().__init__(problem, fix)
        self.plan = plan


@dataclass(frozen=True)
class LoadPlan:
    """What a surge will send, where, for how long, and what it costs (``usd`` None: not a real account)."""

    lab: str
    load_balancer: str
    load_balancer_arn: str
    dns_name: str
    url: str
    rate_from: float
    rate_to: float
    ramp_s: float
    at_s: float
    duration_s: float
    expected_requests: int
    max_requests: int
    cost_text: str
    usd: float | None

    def shape(self) -> LoadShape:
        """Requests per second at ``t`` seconds after the start."""
        return _rate_shape(self.rate_from, self.rate_to, self.at_s, self.ramp_s)

    def text(self) -> str:
        return _(PLAN).format(lab=self.lab, alb=self.load_balancer, url=self.url, rate_from=self.rate_from,
                              rate_to=self.rate_to, ramp_s=self.ramp_s, duration_s=self.duration_s,
                              expected=self.expected_requests, max_requests=self.max_requests, cap_rate=MAX_RATE_RPS,
                              cap_duration=MAX_DURATION_S, cap_requests=MAX_REQUESTS) + "\n" + self.cost_text


def _rate_shape(rate_from: float, rate_to: float, at_s: float, ramp_s: float) -> LoadShape:
    # users() gives a rate in users x 1/(think + response): here the rate itself, so one "user" per request/s.
    return users_shape(rate_from, rate_to, at_s, ramp_s, think_time_s=0.0, response_time_s=1.0)


def _check_cap(name: str, value: float, cap: float, example: str) -> None:
    if not (0 < value <= cap):  # also refuses NaN
        raise ValidationError(name, value, _(OVER_CAP).format(cap=f"{cap:g}", value=value),
                              _(OVER_CAP_FIX).format(example=example))


def lab_load_balancers(lab: Lab) -> list[dict]:
    """The lab's Application Load Balancers: those tagged ``awslab:lab=<lab.name>``."""
    elb = lab.client("elbv2")
    albs = [b for page in elb.get_paginator("describe_load_balancers").paginate() for b in page["LoadBalancers"]
            if b.get("Type", "application") == "application"]
    mine: set[str] = set()
    for i in range(0, len(albs), 20):  # DescribeTags takes at most 20 ARNs
        for d in elb.describe_tags(ResourceArns=[b["LoadBalancerArn"] for b in albs[i:i + 20]])["TagDescriptions"]:
            if any(t["Key"] == LAB_TAG and t["Value"] == lab.name for t in d.get("Tags", [])):
                mine.add(d["ResourceArn"])
    return [b for b in albs if b["LoadBalancerArn"] in mine]


def _pick_alb(lab: Lab, alb: str | None) -> tuple[dict, str]:
    """The lab's ALB (``alb``: its name or DNS name, when the lab has several) and its port-80 HTTP URL."""
    found = lab_load_balancers(lab)
    if not found:
        raise DrillError(_("Lab {lab} has no Application Load Balancer to send the surge to.").format(lab=lab.name),
                         _("Build it first: lab.build() (or lab.build(until='loadbalancing'))."))
    if alb is not None:
        chosen = [b for b in found if alb in (b["LoadBalancerName"], b["DNSName"])]
        if not chosen:
            raise ValidationError("alb", alb, _("one of the lab's own load balancers ({names})").format(
                names=", ".join(b["LoadBalancerName"] for b in found)),
                _("A surge sends requests only to the lab's own ALB: name one of those, or leave alb out."))
        found = chosen
    lb = found[0]
    listeners = lab.client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    if not any(x["Port"] == 80 and x["Protocol"] == "HTTP" for x in listeners):
        raise DrillError(_("Load balancer {alb} has no HTTP listener on port 80.").format(alb=lb["LoadBalancerName"]),
                         _("Build the load balancer layer again (lab.build()); it creates the port-80 listener."))
    return lb, "http://{dns}".format(dns=lb["DNSName"])


def _instance_type(lab: Lab, group: dict) -> str | None:
    spec = group.get("LaunchTemplate") or (group.get("MixedInstancesPolicy") or {}).get(
        "LaunchTemplate", {}).get("LaunchTemplateSpecification")
    if not spec:
        return None
    ref = {"LaunchTemplateId": spec["LaunchTemplateId"]} if spec.get("LaunchTemplateId") else {
        "LaunchTemplateName": spec["LaunchTemplateName"]}
    versions = lab.client("ec2").describe_launch_template_versions(**ref, Versions=[spec.get("Version") or "$Default"])
    found = versions["LaunchTemplateVersions"]
    return found[0]["LaunchTemplateData"].get("InstanceType") if found else None


def _cost(lab: Lab, group: dict, rate_to: float, duration_s: float) -> tuple[str, float | None]:
    """The cost text and dollars: the ALB's LCUs at the peak rate for the whole duration, plus the instances the group
    may add up to MaxSize, for the surge and its scale-in."""
    if lab.backend != "aws":
        return _(NO_COST).format(backend=lab.backend), None
    from ..guardrails.allowlist import check_caller
    from ..guardrails.prices import price_table

    check_caller(lab)  # a drill on a real account runs only in an allowed account and region
    prices = price_table(lab.region)
    lcu = rate_to / NEW_CONNECTIONS_PER_LCU
    lcu_usd = lcu * prices.unit("alb_lcu_hour") * duration_s / 3600
    kind = _instance_type(lab, group) or "t3.micro"
    extra = max(int(group["MaxSize"]) - int(group["DesiredCapacity"]), 0)
    ec2_usd = extra * prices.of("ec2_hour", kind, "EC2", "ec2") * (duration_s + SCALE_IN_S) / 3600
    text = _(COST).format(region=lab.region, date=prices.date, lcu_usd=lcu_usd, lcu=lcu, ec2_usd=ec2_usd, extra=extra,
                          instance_type=kind, max_size=group["MaxSize"],
                          source=", ".join((prices.sources["alb"], prices.sources["ec2"])))
    return text, lcu_usd + ec2_usd


def plan_load(lab: Lab, group: dict, users: tuple[float, float], ramp_s: float, at_s: float, duration_s: float,
              alb: str | None = None) -> LoadPlan:
    """The plan for ``users`` (each sending a request every 5 s, as the simulated surge's users do) on ``lab``'s ALB,
    checked against the caps. Reads only; sends nothing."""
    rate_from, rate_to = users[0] / 5.0, users[1] / 5.0
    _check_cap("users", max(users), MAX_RATE_RPS * 5, "users=(100, 1000)")
    _check_cap("duration_s", duration_s, MAX_DURATION_S, "duration_s=900")
    if not (0 <= at_s < duration_s and ramp_s >= 0):
        raise ValidationError("at_s", at_s, _("a start within the duration and a ramp of 0 s or more"),
                              _("Use at_s=0 and ramp_s=60, the seed's surge."))
    shape = _rate_shape(rate_from, rate_to, at_s, ramp_s)
    expected = int(math.ceil(sum(shape(t + 0.5) for t in range(int(math.ceil(duration_s))))))
    _check_cap("requests", max(expected, 1), MAX_REQUESTS, "a lower rate or a shorter duration_s")
    lb, url = _pick_alb(lab, alb)
    cost_text, usd = _cost(lab, group, max(rate_from, rate_to), duration_s)
    return LoadPlan(lab.name, lb["LoadBalancerName"], lb["LoadBalancerArn"], lb["DNSName"], url, rate_from, rate_to,
                    ramp_s, at_s, duration_s, expected, min(MAX_REQUESTS, int(expected * 1.05) + 10), cost_text, usd)


def require_confirmation(plan: LoadPlan, confirm: Any) -> None:
    """Nothing happens unless ``confirm`` is True: else LoadNotConfirmed, carrying the plan."""
    if confirm is not True:
        raise LoadNotConfirmed(_(NOT_CONFIRMED).format(plan=plan.text()), _(NOT_CONFIRMED_FIX), plan)
