"""Lab 16, health-check tuning: detection time against false alarms, on the drill lab's target group.

- AWS's limits: ``HealthCheckIntervalSeconds`` 5-300, ``HealthCheckTimeoutSeconds`` 2-120 and shorter than the
  interval, ``HealthyThresholdCount`` and ``UnhealthyThresholdCount`` 2-10
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
- A target is ``unhealthy`` after ``UnhealthyThresholdCount`` failed checks in a row, one every interval; a check
  that gets no answer within the timeout fails (``Target.Timeout``)
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).

Every check reads only AWS APIs. Task 16.3's figures are the drill's measurements, which the drill writes in tags on
its target groups (``awslab:measured-*``) when its result is read.
"""
from __future__ import annotations

from typing import Any

from ..drills.health_check_setup import MEASURED_DETECTION, MEASURED_FALSE_ALARMS, MEASURED_SPAN, drill_target_groups
from ..i18n import N_, _
from .registry import not_yet, ok, question, task

#: Task 16.1's goals: a crashed app out of rotation within this many seconds at worst, with at most one check every
#: this many seconds from each ALB node (each node checks every target).
DETECT_WITHIN_S = 40
LEAST_INTERVAL_S = 10
#: Task 16.3: the slow app's slowest answer (the drill's SlowApp: 4.75 s give or take 1.25 s), and the least the
#: measurement must cover (a simulated hour).
SLOWEST_ANSWER_S = 6.0
MEASURED_AT_LEAST_S = 3600
#: AWS's ranges (API_CreateTargetGroup).
LIMITS = {"HealthCheckIntervalSeconds": (5, 300), "HealthCheckTimeoutSeconds": (2, 120),
          "HealthyThresholdCount": (2, 10), "UnhealthyThresholdCount": (2, 10)}
SETTINGS = tuple(LIMITS)
FLAGS = {"HealthCheckIntervalSeconds": "health-check-interval-seconds",
         "HealthCheckTimeoutSeconds": "health-check-timeout-seconds",
         "HealthyThresholdCount": "healthy-threshold-count", "UnhealthyThresholdCount": "unhealthy-threshold-count"}


def the_target_group(lab: Any) -> dict:
    """The drill lab's target group ``<lab>-tg`` (the builder's)."""
    elb, name = lab.client("elbv2"), f"{lab.name}-tg"
    try:
        return elb.describe_target_groups(Names=[name])["TargetGroups"][0]
    except elb.exceptions.TargetGroupNotFoundException:
        raise not_yet(_("There is no target group named {name}: the lab's first cell builds it.").format(name=name),
                      _("Run the lab's first cell again: lab = start(\"16\").")) from None


def worst_case_s(tg: dict) -> int:
    """interval x unhealthy threshold + timeout: the longest a crashed app can still get requests."""
    return (int(tg["HealthCheckIntervalSeconds"]) * int(tg["UnhealthyThresholdCount"])
            + int(tg["HealthCheckTimeoutSeconds"]))


def _modify(tg: dict, **flags: Any) -> str:
    return f"aws elbv2 modify-target-group --target-group-arn {tg['TargetGroupArn']} " + " ".join(
        f"--{k} {v}" for k, v in flags.items())


def _within_limits(tg: dict) -> None:
    for key, (low, high) in LIMITS.items():
        if not low <= int(tg[key]) <= high:
            raise not_yet(_("{key} is {value}; AWS allows {low}-{high}.").format(
                key=key, value=tg[key], low=low, high=high),
                _modify(tg, **{FLAGS[key]: min(max(int(tg[key]), low), high)}))
    if int(tg["HealthCheckTimeoutSeconds"]) >= int(tg["HealthCheckIntervalSeconds"]):
        raise not_yet(_("The timeout ({timeout} s) must be shorter than the interval ({interval} s): a check must end "
                        "before the next one starts.").format(timeout=tg["HealthCheckTimeoutSeconds"],
                                                            interval=tg["HealthCheckIntervalSeconds"]),
                      _modify(tg, **{"health-check-timeout-seconds": int(tg["HealthCheckIntervalSeconds"]) // 2}))


@task("16.1", N_("Detect a crashed app within 40 s, checking each server at most every 10 s"))
def faster(lab: Any) -> Any:
    tg = the_target_group(lab)
    _within_limits(tg)
    interval, worst = int(tg["HealthCheckIntervalSeconds"]), worst_case_s(tg)
    if interval < LEAST_INTERVAL_S:
        raise not_yet(_("Every {interval} s is more often than the budget: each ALB node checks each server, so a "
                        "server gets several checks per interval. Keep the interval at {least} s or more.").format(
            interval=interval, least=LEAST_INTERVAL_S),
            _modify(tg, **{"health-check-interval-seconds": LEAST_INTERVAL_S}))
    if worst > DETECT_WITHIN_S:
        raise not_yet(_("At worst a crash is detected after interval × unhealthy threshold + timeout = "
                        "{i} × {u} + {t} = {worst} s; the goal is {goal} s.").format(
            i=interval, u=tg["UnhealthyThresholdCount"], t=tg["HealthCheckTimeoutSeconds"], worst=worst,
            goal=DETECT_WITHIN_S), _modify(tg, **{"health-check-interval-seconds": 10, "unhealthy-threshold-count": 3}))
    return ok(_("{tg}: a check every {interval} s, unhealthy after {u}; a crash is detected within {worst} s at "
                "worst.").format(tg=tg["TargetGroupName"], interval=interval, u=tg["UnhealthyThresholdCount"],
                                 worst=worst), [tg["TargetGroupName"]])


@task("16.2", N_("Check what matters: the app's /health, not /"))
def deep_path(lab: Any) -> Any:
    tg = the_target_group(lab)
    path = tg.get("HealthCheckPath") or "/"
    fix = _modify(tg, **{"health-check-path": "/health"})
    if path == "/":
        raise not_yet(_("{tg} checks /, the home page, which answers 200 even when the app reports itself broken: the "
                        "ALB keeps sending users to it. Check /health, where the app says whether it can serve.").format(
            tg=tg["TargetGroupName"]), fix)
    if path != "/health":
        raise not_yet(_("{tg} checks {path}; the web app's health endpoint is /health (any other path answers 404, and "
                        "every target would fail).").format(tg=tg["TargetGroupName"], path=path), fix)
    codes = str((tg.get("Matcher") or {}).get("HttpCode") or "200")
    if codes != "200":
        raise not_yet(_("{tg} accepts HTTP {codes}: /health answers 500 when the app is broken, so accept 200 "
                        "only.").format(tg=tg["TargetGroupName"], codes=codes),
                      _modify(tg, matcher="HttpCode=200"))
    name = tg["TargetGroupName"]
    return ok(_("{tg} checks GET /health and accepts only 200.").format(tg=name), [name])


def _measured(lab: Any) -> list[tuple[dict, dict]]:
    """The drill's target groups whose result has been read, with their measurement tags (describe-tags)."""
    return [(g, tags) for g, tags in drill_target_groups(lab) if MEASURED_SPAN in tags]


@task("16.3", N_("Under the slow app: no false alarm in a measured hour, detection within 40 s"))
def measured_choice(lab: Any) -> Any:
    tg = the_target_group(lab)
    _within_limits(tg)
    mine = {k: int(tg[k]) for k in SETTINGS}
    runs = [(g, tags) for g, tags in _measured(lab) if {k: int(g[k]) for k in SETTINGS} == mine]
    settings = ", ".join(f"{k} {v}" for k, v in mine.items())
    if not runs:
        raise not_yet(_("{tg} uses {settings}, and no drill run has measured these settings (or the drill was reset "
                        "before this check). Run the drill with them, read its result, then check.").format(
            tg=tg["TargetGroupName"], settings=settings),
            "health_check_tuning(lab, settings=(mine,)) -> run; run.wait_until('measured'); run.result()")
    _group, tags = runs[-1]
    span, alarms = float(tags[MEASURED_SPAN]), int(tags[MEASURED_FALSE_ALARMS])
    detected = float(tags[MEASURED_DETECTION]) if tags.get(MEASURED_DETECTION) else None
    if span < MEASURED_AT_LEAST_S - 1:
        raise not_yet(_("The run covered {span:.0f} simulated seconds; measure a whole hour ({least} s): "
                        "run.wait_until('measured').").format(span=span, least=MEASURED_AT_LEAST_S))
    if alarms:
        raise not_yet(_("In the measured hour these settings took the slow but working server out of service {n} times. "
                        "Its slowest answers take about {slowest:g} s: a timeout below that fails some checks.").format(
            n=alarms, slowest=SLOWEST_ANSWER_S), _modify(tg, **{"health-check-timeout-seconds": 8}))
    if detected is None or detected > DETECT_WITHIN_S:
        raise not_yet(_("The crashed server was detected after {seconds} s; the goal is {goal} s.").format(
            seconds=tags.get(MEASURED_DETECTION) or "—", goal=DETECT_WITHIN_S),
            _modify(tg, **{"health-check-interval-seconds": 10, "unhealthy-threshold-count": 3}))
    return ok(_("{tg} uses settings the drill measured: no false alarm in {minutes:.0f} simulated minutes, a crash "
                "detected after {seconds:g} s.").format(tg=tg["TargetGroupName"], minutes=span / 60, seconds=detected),
              [tg["TargetGroupName"]])


question("16.q1", N_("Compared with the seed's 30 s × 3, what does a 5 s interval with a threshold of 2 cost?"),
         [N_("Nothing: health checks are free, so faster is simply better."),
          N_("Six times as many checks on every server, from every ALB node, and a slow-but-working server taken out "
             "of service whenever two answers in a row are late."),
          N_("The ALB stops routing while it checks."),
          N_("Auto Scaling launches more instances to carry the checks.")],
         answer=1,
         why=N_("The drill measured it: the aggressive setting detected a crash in seconds, and took the slow server out "
                "of service many times an hour. Each false alarm sends its users elsewhere and, with ELB health checks "
                "on the group, can get a working server replaced."),
         hints={0: N_("They cost no money, but look at the false alarms column."),
                2: N_("Checks and routing run side by side."),
                3: N_("Auto Scaling reacts to load and to health, not to the checks themselves.")})

question("16.q2", N_("Why check /health rather than / ?"),
         [N_("/ is slower to answer."),
          N_("/health is where the app says whether it can serve (its database, its disk); / may answer 200 while "
             "the app is broken."),
          N_("AWS requires the path /health."),
          N_("The ALB caches /.")],
         answer=1,
         why=N_("You saw it: with the path /, the server whose /health answered 500 stayed healthy and kept its users. "
                "A deep check can also fail every server at once when a shared dependency is down, which is why the "
                "ALB then fails open (lab 05)."),
         hints={0: N_("Both answer in milliseconds here."), 2: N_("Any path works; the default is /."),
                3: N_("An ALB does not cache.")})

question("16.q3", N_("Why must the timeout be shorter than the interval?"),
         [N_("So that each check ends (passes or times out) before the next one starts: the verdicts stay in order."),
          N_("To save bandwidth."),
          N_("It need not be; AWS only recommends it."),
          N_("Because the ALB's idle timeout is 60 s.")],
         answer=0,
         why=N_("One check at a time per target: a check that could still be waiting when the next begins would overlap "
                "it, and the count of failures in a row would mean nothing. ELB refuses a timeout that is not shorter "
                "than the interval."),
         hints={1: N_("A check is one small GET."),
                2: N_("Try it: create-target-group refuses it ('must be smaller than the interval')."),
                3: N_("The idle timeout is for connections with users, not for health checks.")})
