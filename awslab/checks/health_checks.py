"""Lab 05, the target group and its health checks: the seed's GET /health every 30 s, healthy 2, unhealthy 3.

Settings and their AWS ranges: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .network import the_vpc
from .probes import lab_instances, lab_items, label, name_of, tags_of
from .registry import not_yet, ok, question, task

#: The seed's health check (LoadBalancerSpec's defaults): the settings task 05.1 asks for.
SEED = {"HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 3}
CLI_FLAG = {"HealthCheckPath": "--health-check-path", "HealthCheckIntervalSeconds": "--health-check-interval-seconds",
            "HealthCheckTimeoutSeconds": "--health-check-timeout-seconds",
            "HealthyThresholdCount": "--healthy-threshold-count", "UnhealthyThresholdCount": "--unhealthy-threshold-count"}
#: Task 05.4's goal: an app that stops answering is out of rotation within this many seconds, at worst.
DETECT_WITHIN_S = 25


def the_target_group(lab: Any) -> dict:
    """The lab's target group ``<lab>-tg`` (task 05.1's), or a not-yet saying to do 05.1 first."""
    elb = lab.client("elbv2")
    try:
        groups = elb.describe_target_groups(Names=[f"{lab.name}-tg"])["TargetGroups"]
    except elb.exceptions.TargetGroupNotFoundException:
        groups = []
    if not groups:
        raise not_yet(_("There is no target group named {name} yet.").format(name=f"{lab.name}-tg"),
                      _("Do task 05.1 first: elbv2.create_target_group(Name=..., ...)."))
    return groups[0]


def worst_case_detection(tg: dict) -> int:
    """Seconds from an app's failure to ``unhealthy``, at worst: the failure lands just after a passing check."""
    return int(tg["HealthCheckIntervalSeconds"]) * int(tg["UnhealthyThresholdCount"]) + int(tg["HealthCheckTimeoutSeconds"])


@task("05.1", N_("Create the target group with the seed's health check"))
def target_group(lab: Any) -> Any:
    v = the_vpc(lab)
    tg = the_target_group(lab)
    name, arn = tg["TargetGroupName"], tg["TargetGroupArn"]
    basics = {"Protocol": "HTTP", "Port": 80, "TargetType": "instance", "VpcId": v["VpcId"]}
    for key, want in basics.items():
        if tg.get(key) != want:
            raise not_yet(_("{tg} has {key} {got}; the lab needs {want}. {key} cannot be changed: delete the target "
                            "group and create it again.").format(tg=name, key=key, got=tg.get(key), want=want),
                          f"aws elbv2 delete-target-group --target-group-arn {arn}")
    for key, want in SEED.items():
        if tg.get(key) != want:
            raise not_yet(_("{tg} has {key} = {got}; the seed uses {want}.").format(tg=name, key=key, got=tg.get(key), want=want),
                          f"aws elbv2 modify-target-group --target-group-arn {arn} {CLI_FLAG[key]} {want}")
    codes = tg.get("Matcher", {}).get("HttpCode")
    if codes != "200":
        raise not_yet(_("{tg} counts these codes as healthy: {got}. The seed's app answers 200 when it is well; count "
                        "only that.").format(tg=name, got=codes),
                      f"aws elbv2 modify-target-group --target-group-arn {arn} --matcher HttpCode=200")
    return ok(_("{tg}: HTTP:80 in {vpc}; GET /health every 30 s, timeout 5 s, healthy after 2 passes, unhealthy after 3 "
                "failures.").format(tg=name, vpc=v["VpcId"]), [name])


def is_private(lab: Any, subnet: dict) -> bool:
    """A subnet of the app tier: tagged so by the builder, or named as lab 01 names it."""
    return tags_of(subnet).get("awslab:tier") == "private" or name_of(subnet).startswith(f"{lab.name}-private-")


def app_instances(lab: Any) -> list[dict]:
    """The lab's web servers launched by hand from the launch template (not by an Auto Scaling group), not terminated."""
    return [i for i in lab_instances(lab) if name_of(i) == f"{lab.name}-app" and "aws:autoscaling:groupName" not in tags_of(i)]


@task("05.2", N_("Launch two web servers from the launch template, one per private subnet"))
def instances(lab: Any) -> Any:
    v = the_vpc(lab)
    private = {s["SubnetId"] for s in lab_items(lab, "describe_subnets", "Subnets")
               if s.get("VpcId") == v["VpcId"] and is_private(lab, s)}
    mine = app_instances(lab)
    if not mine:
        raise not_yet(_("No instance named {name} is running yet. Launch two from the launch template {lt}.").format(
            name=f"{lab.name}-app", lt=f"{lab.name}-app-lt"),
            f"aws ec2 run-instances --launch-template LaunchTemplateName={lab.name}-app-lt --subnet-id <private subnet>")
    outside = [i for i in mine if i.get("SubnetId") not in private]
    if outside:
        i = outside[0]
        raise not_yet(_("{instance} is in {subnet}, which is not one of the lab's private subnets. App servers belong in "
                        "private subnets, where the internet cannot reach them.").format(
            instance=i["InstanceId"], subnet=i.get("SubnetId")),
            f"aws ec2 terminate-instances --instance-ids {i['InstanceId']}")
    azs = {i["Placement"]["AvailabilityZone"] for i in mine}
    if len(mine) < 2 or len(azs) < 2:
        raise not_yet(_("{n} app instance(s) in {azs}; the lab needs one in each private subnet, so that one AZ can fail "
                        "and the other still serves.").format(n=len(mine), azs=", ".join(sorted(azs))),
                      f"aws ec2 run-instances --launch-template LaunchTemplateName={lab.name}-app-lt --subnet-id <the other private subnet>")
    if len(mine) > 2:
        raise not_yet(_("{n} app instances are running ({ids}); the lab uses two. Terminate the extra ones.").format(
            n=len(mine), ids=", ".join(i["InstanceId"] for i in mine)),
            "aws ec2 terminate-instances --instance-ids " + " ".join(i["InstanceId"] for i in mine[2:]))
    pending = [i["InstanceId"] for i in mine if i["State"]["Name"] != "running"]
    if pending:
        raise not_yet(_("{ids} still pending: an instance takes some seconds to boot. Wait for it.").format(ids=", ".join(pending)),
                      "ec2.get_waiter('instance_running').wait(InstanceIds=[...])")
    return ok(_("Two app servers running, one per AZ: {ids}.").format(
        ids=", ".join(f"{i['InstanceId']} ({i['Placement']['AvailabilityZone']})" for i in mine)),
        [label(i["InstanceId"], i.get("PrivateIpAddress", "")) for i in mine])


@task("05.3", N_("Register both web servers as targets"))
def registered(lab: Any) -> Any:
    tg = the_target_group(lab)
    mine = {i["InstanceId"] for i in app_instances(lab)}
    if not mine:
        raise not_yet(_("Task 05.2 is not done yet: there is no app server to register."), _("Do task 05.2 first."))
    health = lab.client("elbv2").describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    targets = {d["Target"]["Id"]: d for d in health if d["TargetHealth"]["State"] != "draining"}
    missing = sorted(mine - set(targets))
    if missing:
        raise not_yet(_("{ids} not registered in {tg} yet.").format(ids=", ".join(missing), tg=tg["TargetGroupName"]),
                      f"aws elbv2 register-targets --target-group-arn {tg['TargetGroupArn']} --targets "
                      + " ".join(f"Id={i}" for i in missing))
    strangers = sorted(set(targets) - mine)
    if strangers:
        raise not_yet(_("{ids} is registered too, but it is not one of the lab's web servers (the bastion, perhaps): the "
                        "ALB would send users to it. Deregister it.").format(ids=", ".join(strangers)),
                      f"aws elbv2 deregister-targets --target-group-arn {tg['TargetGroupArn']} --targets "
                      + " ".join(f"Id={i}" for i in strangers))
    wrong_port = [i for i, d in targets.items() if d["Target"].get("Port") != 80]
    if wrong_port:
        raise not_yet(_("{ids} is registered on port {port}; the web app listens on 80.").format(
            ids=", ".join(wrong_port), port=targets[wrong_port[0]]["Target"].get("Port")),
            f"aws elbv2 register-targets --target-group-arn {tg['TargetGroupArn']} --targets Id={wrong_port[0]},Port=80")
    states = ", ".join(f"{i}: {d['TargetHealth']['State']}" for i, d in sorted(targets.items()))
    return ok(_("Both app servers are targets of {tg} on port 80 ({states}).").format(tg=tg["TargetGroupName"], states=states),
              sorted(targets))


@task("05.4", N_("Detect a failed app within 25 seconds"))
def faster(lab: Any) -> Any:
    tg = the_target_group(lab)
    arn = tg["TargetGroupArn"]
    interval, timeout = int(tg["HealthCheckIntervalSeconds"]), int(tg["HealthCheckTimeoutSeconds"])
    unhealthy = int(tg["UnhealthyThresholdCount"])
    worst = worst_case_detection(tg)
    if timeout >= interval:
        raise not_yet(_("The timeout ({timeout} s) must be shorter than the interval ({interval} s): a check must end before "
                        "the next one starts.").format(timeout=timeout, interval=interval),
                      f"aws elbv2 modify-target-group --target-group-arn {arn} --health-check-timeout-seconds {max(2, interval // 2)}")
    if worst > DETECT_WITHIN_S:
        raise not_yet(_("At worst a failure is detected after interval × unhealthy threshold + timeout = {i} × {u} + {t} = "
                        "{worst} s; the goal is {goal} s or less. Shorten the interval or lower the threshold.").format(
            i=interval, u=unhealthy, t=timeout, worst=worst, goal=DETECT_WITHIN_S),
            f"aws elbv2 modify-target-group --target-group-arn {arn} --health-check-interval-seconds 10 "
            "--unhealthy-threshold-count 2")
    return ok(_("Worst case {i} × {u} + {t} = {worst} s (goal: {goal} s or less).").format(
        i=interval, u=unhealthy, t=timeout, worst=worst, goal=DETECT_WITHIN_S), [tg["TargetGroupName"]])


question("05.q1", N_("A newly registered target passes its first health check. When does the ALB start sending it requests?"),
         [N_("At once: a new target needs one passing check."),
          N_("After HealthyThresholdCount passing checks in a row (2 in the seed)."),
          N_("After the health check grace period."),
          N_("Only after the next deployment.")],
         answer=0,
         why=N_("AWS: 'After your target is registered, it must pass one health check to be considered healthy.' "
                "HealthyThresholdCount counts only for a target coming BACK from unhealthy."),
         hints={1: N_("That is the rule for a target that was unhealthy and recovers. A new target is trusted sooner."),
                2: N_("The grace period is Auto Scaling's, not the load balancer's: it delays Auto Scaling's verdict, not routing.")})

question("05.q2", N_("Every target of the group fails its health checks at the same time. What does the ALB do with requests?"),
         [N_("It answers 503 to every request."),
          N_("It sends them to all the targets anyway (it 'fails open')."),
          N_("It holds them until a target is healthy."),
          N_("It sends them to another target group.")],
         answer=1,
         why=N_("When no target is healthy, AWS routes to all of them: a broken health check page must not take down a "
                "service whose app still works. You saw it: 200 from the ALB while both targets were unhealthy."),
         hints={0: N_("503 is for a target group with no registered targets at all."),
                2: N_("The ALB never queues requests; it waits only up to its idle timeout for a target's answer.")})

question("05.q3", N_("Why does the seed not check every 5 seconds with an unhealthy threshold of 2?"),
         [N_("AWS does not allow intervals under 30 s."),
          N_("Every ALB node checks every target, so short intervals multiply the load, and a threshold of 2 flags a server "
             "that merely hiccupped."),
          N_("Health checks are billed per check."),
          N_("A shorter interval makes the ALB slower.")],
         answer=1,
         why=N_("Faster detection has a price: more checks (from every ALB node) and more false alarms, each of which makes "
                "Auto Scaling replace a server that was fine. The seed's 30 s x 3 is gentle; tune it to what your users can bear."),
         hints={0: N_("The allowed range is 5-300 s."), 2: N_("Health checks cost nothing extra.")})
