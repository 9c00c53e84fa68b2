"""Lab 12, the failure drill: the Auto Scaling settings that decide when a broken server is replaced.

- ``HealthCheckGracePeriod``: "the minimum amount of time (in seconds) to keep a new instance in service before
  terminating it if it's found to be unhealthy"; "Setting this value too high reduces the effectiveness of the
  Amazon EC2 Auto Scaling health checks."
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html
- ``HealthCheckType``: ``EC2`` (the API's default) sees only whether the instance runs; ``ELB`` also takes the target
  group's verdict on the app.
  https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-health-checks.html
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .registry import not_yet, ok, question, task

#: Task 12.1: the grace period the drill asks for, and the most it accepts.
GRACE_S = 60
GRACE_MAX_S = 120


def the_group(lab: Any) -> dict:
    """The drill's Auto Scaling group ``<lab>-asg`` (the builder's), or a not-yet saying how to get it."""
    name = f"{lab.name}-asg"
    groups = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise not_yet(_("There is no Auto Scaling group named {name}: the drill's first cell builds it.").format(name=name),
                      _("Run the lab's first cell again: lab = start(\"12\")."))
    return groups[0]


def one_health_check_s(lab: Any, group: dict) -> int:
    """Interval + timeout of the group's (first) target group: the longest one health check can take to conclude."""
    arns = group.get("TargetGroupARNs") or []
    if not arns:
        return 35  # AWS's defaults for an HTTP target group: 30 s + 5 s
    tg = lab.client("elbv2").describe_target_groups(TargetGroupArns=arns[:1])["TargetGroups"][0]
    return int(tg["HealthCheckIntervalSeconds"]) + int(tg["HealthCheckTimeoutSeconds"])


def _update(name: str, flag: str) -> str:
    return f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name} {flag}"


@task("12.1", N_("Shorten the group's health check grace period to 60 s"))
def grace_period(lab: Any) -> Any:
    g = the_group(lab)
    name, grace = g["AutoScalingGroupName"], int(g.get("HealthCheckGracePeriod") or 0)
    fix = _update(name, f"--health-check-grace-period {GRACE_S}")
    if grace > GRACE_MAX_S:
        raise not_yet(_("{group} keeps a new instance in service for {grace} s before it acts on a failed health check, "
                        "so a server that breaks in its first minutes stays in the group that long. The drill's app "
                        "answers within seconds of boot: {goal} s is enough.").format(group=name, grace=grace, goal=GRACE_S),
                      fix)
    if grace == 0:
        raise not_yet(_("A grace period of 0 turns it off: Auto Scaling may judge a new instance by the health checks it "
                        "fails while its app is still starting, and replace it again and again. Give it {goal} s.").format(
            goal=GRACE_S), fix)
    one = one_health_check_s(lab, g)
    if grace < one:
        raise not_yet(_("{grace} s is shorter than one health check of its target group ({one} s: interval + timeout): a "
                        "new instance could be judged before it had a chance to pass one. Give it {goal} s.").format(
            grace=grace, one=one, goal=GRACE_S), fix)
    return ok(_("{group}: HealthCheckGracePeriod {grace} s: longer than one health check ({one} s), and a server that "
                "breaks is no longer kept for minutes.").format(group=name, grace=grace, one=one), [name])


def _health_check_type(lab: Any, want: str, missing: str, done: str) -> Any:
    """The group uses ``want`` health checks, or a not-yet (``missing``, with the CLI that switches it); ``done`` if so."""
    g = the_group(lab)
    name, kind = g["AutoScalingGroupName"], g.get("HealthCheckType")
    if kind != want:
        raise not_yet(_(missing).format(group=name, kind=kind), _update(name, f"--health-check-type {want}"))
    return ok(_(done).format(group=name), [name])


@task("12.2", N_("Switch the group to EC2 health checks"))
def ec2_health_checks(lab: Any) -> Any:
    return _health_check_type(
        lab, "EC2",
        N_("{group} uses {kind} health checks. For this experiment, switch it to EC2 (the API's default when a group is "
           "created without --health-check-type)."),
        N_("{group} uses EC2 health checks: Auto Scaling now sees only whether each instance runs, not whether its app "
           "answers."))


@task("12.3", N_("Switch the group back to ELB health checks"))
def elb_health_checks(lab: Any) -> Any:
    return _health_check_type(
        lab, "ELB",
        N_("{group} still uses {kind} health checks, so the server whose app is broken stays in the group and the group "
           "stays one server short. Switch it back to ELB."),
        N_("{group} uses ELB health checks again: the target group's verdict reaches Auto Scaling at its next health "
           "check."))


question("12.q1", N_("The ALB stopped sending requests to the crashed server after about a minute, yet Auto Scaling "
                     "replaced it only some minutes later. Why?"),
         [N_("The instance had come into service shortly before, and Auto Scaling waits out its health check grace "
             "period (counted from InService) before it acts on a failed health check."),
          N_("Auto Scaling needs HealthyThresholdCount failed checks of its own."),
          N_("A replacement waits for the group's cooldown."),
          N_("The old instance had to finish draining before a new one could launch.")],
         answer=0,
         why=N_("AWS: the grace period is 'the minimum amount of time (in seconds) to keep a new instance in service "
                "before terminating it if it's found to be unhealthy'. The drill's servers had just come into service, "
                "so the group waited until InService + 300 s, then acted at its next health check."),
         hints={1: N_("Auto Scaling takes the target group's verdict as it is; the thresholds belong to the target group."),
                2: N_("Replacing an unhealthy instance does not wait for a cooldown: cooldowns are for simple scaling policies."),
                3: N_("The replacement launches while the old instance terminates (and drains): look at the two activities' "
                      "StartTime.")})

question("12.q2", N_("The group uses EC2 health checks and an app's /health starts answering 500; the instance itself "
                     "runs on. What happens?"),
         [N_("Auto Scaling replaces the instance after its grace period."),
          N_("The ALB stops sending it requests, but Auto Scaling keeps it: the group serves with one server fewer until "
             "someone notices."),
          N_("The ALB keeps sending it requests, because EC2 says the instance is fine."),
          N_("The ALB deregisters it from the target group.")],
         answer=1,
         why=N_("The target group's health checks still run (the ALB routes only to healthy targets), but with "
                "HealthCheckType EC2 Auto Scaling looks only at the instance's state: running, so healthy. The drill "
                "showed it: two of the group's health checks, no activity, HealthStatus HEALTHY."),
         hints={0: N_("With EC2 health checks Auto Scaling never hears the target group's verdict."),
                2: N_("Routing is the ALB's own decision, from its target group's health checks, whatever Auto Scaling uses."),
                3: N_("An unhealthy target stays registered; only Auto Scaling (or you) deregisters it.")})

question("12.q3", N_("During the crash, what did users see?"),
         [N_("Every request failed until the replacement was healthy."),
          N_("No request failed: the ALB noticed the crash at once."),
          N_("Some requests failed (502) until the target was marked unhealthy; then every request succeeded, from the "
             "other server."),
          N_("Requests waited in the ALB until the replacement was healthy.")],
         answer=2,
         why=N_("Until UnhealthyThresholdCount checks had failed, the ALB still sent the crashed server its turn; it "
                "refused connections and the ALB answered 502. Then the ALB routed around it. The seed's 'some requests "
                "fail, most are fine'."),
         hints={0: N_("The other server was healthy all along, and the ALB used it."),
                1: N_("The ALB learns about a failure only from its health checks, one every HealthCheckIntervalSeconds."),
                3: N_("An ALB never queues requests.")})
