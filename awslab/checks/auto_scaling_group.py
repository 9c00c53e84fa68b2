"""Lab 07, the Auto Scaling group: servers as cattle, launched from the template, spread over the AZs, replaced.

The group keeps ``DesiredCapacity`` instances running between ``MinSize`` and
``MaxSize``, launched from the launch template into the private subnets,
balanced across the AZs and registered with the target groups. With
``HealthCheckType`` ELB it also replaces an instance whose app fails the target
group's health check, once ``HealthCheckGracePeriod`` has passed. AWS's reference:
https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-groups.html
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..i18n import N_, _
from .health_checks import app_instances, is_private, the_target_group
from .network import the_vpc
from .probes import lab_instances, lab_items, label, name_of
from .registry import not_yet, ok, question, task

#: The builder's group (awslab.layers.autoscaling.AutoScalingSpec): later labs keep these settings.
SIZES = {"MinSize": 2, "MaxSize": 6}
#: Task 07.3's desired capacity: two per AZ.
DESIRED = 4
#: A new instance boots, runs its user data and passes its first health check well within this (seconds).
GRACE_PERIOD = 300
CLI_FLAG = {"MinSize": "--min-size", "MaxSize": "--max-size"}


def find_group(lab: Any) -> dict | None:
    """The lab's Auto Scaling group ``<lab>-asg``, or None."""
    found = lab.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[f"{lab.name}-asg"])["AutoScalingGroups"]
    return found[0] if found else None


def the_group(lab: Any) -> dict:
    """The lab's group (task 07.1's), or a not-yet saying to do 07.1 first."""
    found = find_group(lab)
    if found is None:
        raise not_yet(_("There is no Auto Scaling group named {name} yet (task 07.1).").format(name=f"{lab.name}-asg"),
                      _("Do task 07.1 first: autoscaling.create_auto_scaling_group(AutoScalingGroupName=..., ...)."))
    return found


def lab_target_groups(lab: Any) -> list[dict]:
    """The target groups the group serves: ``<lab>-tg`` and, when lab 06 made it, ``<lab>-api-tg``."""
    elb = lab.client("elbv2")
    found = [the_target_group(lab)]
    try:
        found += elb.describe_target_groups(Names=[f"{lab.name}-api-tg"])["TargetGroups"]
    except elb.exceptions.TargetGroupNotFoundException:
        pass
    return found


def private_subnets(lab: Any) -> list[dict]:
    vpc_id = the_vpc(lab)["VpcId"]
    return sorted((s for s in lab_items(lab, "describe_subnets", "Subnets") if s.get("VpcId") == vpc_id
                   and is_private(lab, s)), key=lambda s: s["AvailabilityZone"])


def _registered(lab: Any, tg: dict) -> dict[str, str]:
    """``{instance id: state}`` of the targets of ``tg`` that still take requests (not draining)."""
    health = lab.client("elbv2").describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in health if d["TargetHealth"]["State"] != "draining"}


@task("07.2", N_("Retire lab 05's hand-launched servers: deregister, then terminate"))
def retired(lab: Any) -> Any:
    grouped = {i["InstanceId"] for i in lab_instances(lab) if name_of(i) == f"{lab.name}-app"} - {
        i["InstanceId"] for i in app_instances(lab)}
    for tg in lab_target_groups(lab):
        pets = sorted(i for i in _registered(lab, tg) if i not in grouped)
        if pets:
            raise not_yet(_("{ids} still registered in {tg}. Deregister first: the ALB stops sending them new requests "
                            "and lets the ones in flight finish (connection draining), then terminate them.").format(
                ids=", ".join(pets), tg=tg["TargetGroupName"]),
                f"aws elbv2 deregister-targets --target-group-arn {tg['TargetGroupArn']} --targets "
                + " ".join(f"Id={i}" for i in pets))
    running = app_instances(lab)
    if running:
        ids = " ".join(i["InstanceId"] for i in running)
        raise not_yet(_("{ids} no longer take requests but still run (and cost money). Terminate them: the group "
                        "launches its own from the template.").format(ids=", ".join(ids.split())),
                      f"aws ec2 terminate-instances --instance-ids {ids}")
    gone = lab_instances(lab, ("shutting-down", "terminated"))
    pets = [i for i in gone if name_of(i) == f"{lab.name}-app" and i["InstanceId"] not in grouped]
    return ok(_("No hand-launched server is registered or running: the fleet is the group's to manage."),
              [label(i["InstanceId"], i["State"]["Name"]) for i in pets])


def _group_fix(lab: Any, name: str, subnets: list[dict], tgs: list[dict]) -> str:
    return (f"aws autoscaling create-auto-scaling-group --auto-scaling-group-name {name} "
            f"--launch-template 'LaunchTemplateName={lab.name}-app-lt,Version=$Default' --min-size 2 "
            f"--desired-capacity 2 --max-size 6 --vpc-zone-identifier {','.join(s['SubnetId'] for s in subnets)} "
            f"--target-group-arns {' '.join(t['TargetGroupArn'] for t in tgs)} --health-check-type ELB "
            f"--health-check-grace-period {GRACE_PERIOD} "
            f"--tags ResourceId={name},ResourceType=auto-scaling-group,Key=awslab:lab,Value={lab.name},"
            "PropagateAtLaunch=true")


def _template_and_sizes(lab: Any, g: dict) -> None:
    name = g["AutoScalingGroupName"]
    update = f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name}"
    lt = g.get("LaunchTemplate") or {}
    if lt.get("LaunchTemplateName") != f"{lab.name}-app-lt":
        raise not_yet(_("{group} launches from {got}; the lab's servers come from the launch template {lt} (lab 04).")
                      .format(group=name, got=lt.get("LaunchTemplateName") or _("no launch template"),
                              lt=f"{lab.name}-app-lt"),
                      f"{update} --launch-template 'LaunchTemplateName={lab.name}-app-lt,Version=$Default'")
    if lt.get("Version") != "$Default":
        raise not_yet(_("{group} uses version {got} of the template; the lab follows $Default, the version you chose "
                        "(lab 04). $Latest would launch any new version at once, even one you are still trying out.")
                      .format(group=name, got=lt.get("Version")),
                      f"{update} --launch-template 'LaunchTemplateName={lab.name}-app-lt,Version=$Default'")
    for key, want in SIZES.items():
        if g.get(key) != want:
            raise not_yet(_("{group} has {key} {got}; the lab uses min 2 (one per AZ, always), max 6.").format(
                group=name, key=key, got=g.get(key)), f"{update} {CLI_FLAG[key]} {want}")


def _placement(lab: Any, g: dict, subnets: list[dict], tgs: list[dict]) -> None:
    name = g["AutoScalingGroupName"]
    update = f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name}"
    want = {s["SubnetId"] for s in subnets}
    got = {s for s in g.get("VPCZoneIdentifier", "").split(",") if s}
    if got != want:
        extra = sorted(got - want)
        why = (_("{extra} is not one of the lab's private subnets: app servers belong where the internet cannot reach "
                 "them.").format(extra=", ".join(extra)) if extra else
               _("With one AZ, the loss of that AZ takes the whole app down; the group spreads over both."))
        raise not_yet(_("{group} launches into {got}; the lab uses both private subnets {want}. {why}").format(
            group=name, got=", ".join(sorted(got)) or "-",
            want=", ".join(label(s["SubnetId"], name_of(s)) for s in subnets), why=why),
            f"{update} --vpc-zone-identifier {','.join(sorted(want))}")
    missing = [t for t in tgs if t["TargetGroupArn"] not in g.get("TargetGroupARNs", [])]
    if missing:
        raise not_yet(_("{group} is not attached to {tgs}: its instances would never be registered, so the ALB would "
                        "not send them a single request.").format(
            group=name, tgs=", ".join(t["TargetGroupName"] for t in missing)),
            f"aws autoscaling attach-load-balancer-target-groups --auto-scaling-group-name {name} "
            f"--target-group-arns {' '.join(t['TargetGroupArn'] for t in missing)}")


def _health(g: dict) -> None:
    name = g["AutoScalingGroupName"]
    update = f"aws autoscaling update-auto-scaling-group --auto-scaling-group-name {name}"
    if g.get("HealthCheckType") != "ELB":
        raise not_yet(_("{group} uses the {type} health check: it replaces an instance only when EC2 says the VM is "
                        "not running. An app that fails /health on a running VM would stay, and the ALB would route "
                        "around it: one server short, for good.").format(group=name, type=g.get("HealthCheckType")),
                      f"{update} --health-check-type ELB --health-check-grace-period {GRACE_PERIOD}")
    if g.get("HealthCheckGracePeriod") != GRACE_PERIOD:
        raise not_yet(_("{group} has a grace period of {got} s; the lab uses {want} s. A new instance needs time to "
                        "boot, start the app and pass its first health check; judged sooner, it fails and is replaced, "
                        "over and over (the API's default is 0).").format(
            group=name, got=g.get("HealthCheckGracePeriod"), want=GRACE_PERIOD),
                      f"{update} --health-check-grace-period {GRACE_PERIOD}")


def _tagged(lab: Any, g: dict) -> None:
    name = g["AutoScalingGroupName"]
    tags = {t["Key"]: t for t in g.get("Tags", [])}
    tag = tags.get("awslab:lab")
    if not tag or tag.get("Value") != lab.name or not tag.get("PropagateAtLaunch"):
        raise not_yet(_("{group} does not put the tag awslab:lab={lab} on the instances it launches: later labs and "
                        "teardown find the lab's servers by it.").format(group=name, lab=lab.name),
                      f"aws autoscaling create-or-update-tags --tags ResourceId={name},ResourceType=auto-scaling-group,"
                      f"Key=awslab:lab,Value={lab.name},PropagateAtLaunch=true")


@task("07.1", N_("Create the Auto Scaling group: 2 to 6 servers over both private subnets, ELB health checks"))
def group(lab: Any) -> Any:
    subnets = private_subnets(lab)
    tgs = lab_target_groups(lab)
    name = f"{lab.name}-asg"
    g = find_group(lab)
    if g is None:
        raise not_yet(_("There is no Auto Scaling group named {name} yet.").format(name=name),
                      _group_fix(lab, name, subnets, tgs))
    _template_and_sizes(lab, g)
    _placement(lab, g, subnets, tgs)
    _health(g)
    _tagged(lab, g)
    return ok(_("{group}: min 2, max 6, from {lt} ($Default), over {azs}, in {tgs}; ELB health checks after a "
                "{grace} s grace period.").format(
        group=name, lt=f"{lab.name}-app-lt", azs=", ".join(g["AvailabilityZones"]),
        tgs=", ".join(t["TargetGroupName"] for t in tgs), grace=GRACE_PERIOD), [name])


@task("07.3", N_("Set the desired capacity to 4 and see the AZs balance"))
def capacity(lab: Any) -> Any:
    g = the_group(lab)
    name = g["AutoScalingGroupName"]
    if g["DesiredCapacity"] != DESIRED:
        raise not_yet(_("{group} wants {got} instance(s); set it to {want}.").format(
            group=name, got=g["DesiredCapacity"], want=DESIRED),
            f"aws autoscaling set-desired-capacity --auto-scaling-group-name {name} --desired-capacity {DESIRED}")
    live = [i for i in g.get("Instances", []) if i["LifecycleState"] in ("Pending", "Pending:Wait", "InService")]
    per_az = Counter(i["AvailabilityZone"] for i in live)
    return ok(_("{group} wants {want}: {spread}.").format(
        group=name, want=DESIRED, spread=", ".join(f"{az}: {n}" for az, n in sorted(per_az.items()))),
        [f"{i['InstanceId']} ({i['AvailabilityZone']}, {i['LifecycleState']})" for i in live])


question("07.q1", N_("A new instance needs about 90 s to boot and start its app. What happens if the group's "
                     "HealthCheckGracePeriod is 0?"),
         [N_("Nothing special: a new target needs just one passing health check."),
          N_("Its health checks fail while it boots; the group sees an unhealthy instance and replaces it, and the "
             "replacement meets the same fate."),
          N_("The group waits for its default cooldown before it checks."),
          N_("EC2 stops the instance until the app is ready.")],
         answer=1,
         why=N_("AWS: 'The grace period prevents Amazon EC2 Auto Scaling from marking your newly launched instances "
                "Unhealthy and terminating them unnecessarily if they don't immediately pass these health checks "
                "after they enter the InService state.' With 0 (the API's default) it acts on an instance that simply "
                "was not ready yet. The console's default is 300 s."),
         hints={0: N_("That is how the load balancer decides to route to it. Auto Scaling acts on the failures "
                      "that come before the first pass."),
                2: N_("The default cooldown applies to simple scaling policies, not to health checks.")})

question("07.q2", N_("One instance's app answers 500 to /health while its VM runs fine. The group's HealthCheckType is "
                     "EC2. What happens?"),
         [N_("The group replaces it at its next health check."),
          N_("The ALB stops sending it requests, but the group keeps it: EC2 says it is running."),
          N_("The ALB terminates it."),
          N_("EC2 reboots it.")],
         answer=1,
         why=N_("EC2 health checks look at the VM (running, status checks), not at the app. The target group's check "
                "fails, so the ALB routes around it, but only HealthCheckType ELB lets the group act on that: you "
                "measured it, no replacement with EC2, one at the next health check with ELB."),
         hints={0: N_("That is what HealthCheckType ELB does. With EC2 the group only sees a running VM."),
                2: N_("A load balancer never terminates instances; it only routes.")})

question("07.q3", N_("You terminate one of the group's instances yourself (aws ec2 terminate-instances). What "
                     "does the group do?"),
         [N_("Lowers its desired capacity by one."),
          N_("Nothing until a scaling policy fires."),
          N_("At its next health check it finds the instance not running and launches a replacement."),
          N_("Starts the same instance again.")],
         answer=2,
         why=N_("The group keeps DesiredCapacity instances running. A terminated instance fails the EC2 health check "
                "(even during the grace period), so the group records 'an instance was taken out of service in "
                "response to an EC2 health check that indicated it had been terminated or stopped' and launches a new "
                "one from the template: cattle, not pets."),
         hints={0: N_("Only terminate-instance-in-auto-scaling-group with --should-decrement-desired-capacity does "
                      "that."),
                3: N_("A terminated instance is gone for good; the group launches a new one from the template.")})
