"""Auto Scaling behaviour: health replacement rules, suspended processes, activities, scale-in."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from awslab.sim.asg_rules import pick_launch_az, pick_victim
from awslab.sim.autoscaling import ASG_HEALTH_SWEEP_S
from awslab.sim.ec2 import APP_START_S, PENDING_TO_RUNNING_S
from awslab.sim.elb_health import REGISTRATION_S

SETTLE = PENDING_TO_RUNNING_S[1] + APP_START_S[1] + REGISTRATION_S + 31  # launch -> healthy, at most


def _states(w, name="web-asg"):
    return {i["InstanceId"]: (i["LifecycleState"], i["HealthStatus"]) for i in w.group(name)["Instances"]}


def _lifecycles(w, name="web-asg"):
    return sorted(s for s, _ in _states(w, name).values())


def test_set_instance_health_respects_grace_when_asked_and_replaces_at_once(world):
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=2, tg_arns=[tg], grace=300)
    w.advance(SETTLE)
    a, b = list(_states(w))
    w.autoscaling.set_instance_health(InstanceId=a, HealthStatus="Unhealthy", ShouldRespectGracePeriod=True)
    assert _states(w)[a] == ("InService", "Healthy")  # inside the 300 s grace period: ignored
    w.autoscaling.set_instance_health(InstanceId=a, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
    assert _states(w)[a] == ("Terminating", "Unhealthy")
    (one,) = w.autoscaling.describe_auto_scaling_instances(InstanceIds=[a])["AutoScalingInstances"]
    assert (one["AutoScalingGroupName"], one["LifecycleState"], one["HealthStatus"]) == ("web-asg", "Terminating", "UNHEALTHY")
    assert one["AvailabilityZone"] in w.subnets
    assert _lifecycles(w) == ["InService", "Pending", "Terminating"]  # replacement launched at once
    cause = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"][1]["Cause"]
    assert cause.endswith("an instance was taken out of service in response to a user health-check.")


def test_elb_health_waits_for_grace_and_is_ignored_with_ec2_type(world):
    """Grace 200 s counts from InService: a crash just after InService makes the target
    unhealthy in ~90 s, but ASG marks the instance only at the first sweep after the grace
    period ends. A group with HealthCheckType EC2 never acts on ELB health."""
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=1, tg_arns=[tg], grace=200)
    w.asg(name="ec2-asg", desired=1, tg_arns=[tg], health_check_type="EC2")
    w.run_until(lambda: _lifecycles(w) == ["InService"] and _lifecycles(w, "ec2-asg") == ["InService"], limit=60)
    (iid,) = _states(w)
    (other,) = _states(w, "ec2-asg")
    t_in = w.first("lifecycle_changed", resource=iid, lifecycle_state="InService")
    w.sim.ec2.inject_fault(iid, "crash")
    w.sim.ec2.inject_fault(other, "crash")
    w.run_until(lambda: w.state(tg, iid) == "unhealthy", limit=150)
    assert _states(w)[iid] == ("InService", "Healthy")
    w.advance(t_in + 200 - w.now - 1)
    assert _states(w)[iid] == ("InService", "Healthy")
    w.advance(ASG_HEALTH_SWEEP_S + 1)
    marked = w.first("instance_unhealthy", resource=iid)
    assert t_in + 200 <= marked <= t_in + 200 + ASG_HEALTH_SWEEP_S
    w.advance(600)
    assert _states(w, "ec2-asg") == {other: ("InService", "Healthy")}
    assert w.state(tg, other) == "unhealthy"


def test_suspended_processes_are_honoured(world):
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=2, tg_arns=[tg])
    w.advance(SETTLE)
    w.autoscaling.suspend_processes(AutoScalingGroupName="web-asg", ScalingProcesses=["Launch", "AddToLoadBalancer"])
    w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=3)
    w.advance(120)
    assert len(_states(w)) == 2
    w.autoscaling.resume_processes(AutoScalingGroupName="web-asg", ScalingProcesses=["Launch"])
    w.advance(ASG_HEALTH_SWEEP_S + SETTLE)
    assert _lifecycles(w) == ["InService"] * 3
    assert len(w.health(tg)) == 2  # AddToLoadBalancer suspended: the new one is not registered
    w.autoscaling.resume_processes(AutoScalingGroupName="web-asg", ScalingProcesses=["AddToLoadBalancer"])
    w.autoscaling.attach_load_balancer_target_groups(AutoScalingGroupName="web-asg", TargetGroupARNs=[tg])
    assert len(w.health(tg)) == 3

    w.autoscaling.suspend_processes(AutoScalingGroupName="web-asg", ScalingProcesses=["ReplaceUnhealthy"])
    victim = next(iter(_states(w)))
    w.ec2.stop_instances(InstanceIds=[victim])
    w.advance(2 * ASG_HEALTH_SWEEP_S)
    assert _states(w)[victim] == ("InService", "Unhealthy")  # marked, not replaced
    w.autoscaling.resume_processes(AutoScalingGroupName="web-asg")
    w.advance(ASG_HEALTH_SWEEP_S + 1)
    assert _states(w)[victim][0] == "Terminating"


def test_unhealthy_replacements_go_ten_percent_of_desired_at_a_time(world):
    """Desired 10 -> one ELB-unhealthy replacement at a time; the next starts only after the
    previous replacement passed its health check and warmed up (DefaultInstanceWarmup 60)."""
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=10, max_size=10, tg_arns=[tg], grace=0, DefaultInstanceWarmup=60)
    w.advance(SETTLE)
    sick = list(_states(w))[:3]
    for iid in sick:
        w.sim.ec2.inject_fault(iid, "unhealthy")
    w.run_until(lambda: any(_states(w)[i][0] == "Terminating" for i in sick), limit=200, step=5)
    w.advance(ASG_HEALTH_SWEEP_S + 5)
    terminating = [i for i in sick if _states(w).get(i, ("Gone",))[0] in ("Terminating", "Gone")]
    assert len(terminating) == 1
    w.advance(20 * 60)
    assert not set(sick) & set(_states(w))
    starts = sorted(w.first("lifecycle_changed", resource=i, lifecycle_state="Terminating") for i in sick)
    assert all(b - a >= 60 for a, b in zip(starts, starts[1:]))  # serialized by health check + warmup
    assert _lifecycles(w) == ["InService"] * 10


def test_activities_wording_details_paging_and_scale_in_draining(world):
    w = world
    w.network()
    tg = w.target_group(deregistration_delay=120)
    w.asg(desired=2, tg_arns=[tg])
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
    assert [(a["StatusCode"], a["Progress"]) for a in acts] == [("PreInService", 30)] * 2
    assert "EndTime" not in acts[0]
    assert acts[0]["Cause"].endswith("a user request created an AutoScalingGroup changing the desired capacity from 0 to 2.  "
                                     f"At {acts[0]['StartTime'].strftime('%Y-%m-%dT%H:%M:%SZ')} an instance was started in response "
                                     "to a difference between desired and actual capacity, increasing the capacity from 0 to 2.")
    details = [json.loads(a["Details"]) for a in acts]
    assert {d["Availability Zone"] for d in details} == set(w.subnets)
    assert {d["Subnet ID"] for d in details} == set(w.subnets.values())
    w.advance(SETTLE)
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
    assert {(a["StatusCode"], a["Progress"]) for a in acts} == {("Successful", 100)} and all("EndTime" in a for a in acts)

    w.autoscaling.update_auto_scaling_group(AutoScalingGroupName="web-asg", MinSize=1, MaxSize=5, DesiredCapacity=1)
    victim = next(i for i, (s, _) in _states(w).items() if s == "Terminating")
    page = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg", MaxRecords=1)
    assert page["Activities"][0]["Description"] == f"Terminating EC2 instance: {victim}"
    assert "a user request update of AutoScalingGroup constraints to min: 1, max: 5, desired: 1 changing the desired capacity from 2 to 1." in page["Activities"][0]["Cause"]
    nxt = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg", MaxRecords=1, NextToken=page["NextToken"])
    assert nxt["Activities"][0]["ActivityId"] != page["Activities"][0]["ActivityId"]
    assert w.health(tg)[victim][0] == "draining"
    w.advance(119)
    assert w.sim.ec2.state_of(victim) == "running"  # deregistration delay first, then terminate
    w.advance(2)
    assert w.sim.ec2.state_of(victim) == "shutting-down"

    (keep,) = [i for i, (s, _) in _states(w).items() if s == "InService"]
    act = w.autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=keep, ShouldDecrementDesiredCapacity=False)["Activity"]
    assert act["Description"] == f"Terminating EC2 instance: {keep}"
    assert act["Cause"].endswith(f"instance {keep} was taken out of service in response to a user request.")
    assert _lifecycles(w) == ["Pending", "Terminating", "Terminating"]


def test_simulator_api_for_policies(world):
    w = world
    w.network()
    w.asg(desired=2, health_check_type="EC2", DefaultCooldown=300)
    sim = w.sim.autoscaling
    assert w.group()["CreatedTime"] == w.sim.now_datetime()  # simulated, like every timestamp
    g = sim.group("web-asg")
    assert (g.desired_capacity, g.default_cooldown, g.health_check_type) == (2, 300, "EC2")
    assert all(sim.in_warmup("web-asg", i.instance_id) for i in g.instances)  # Pending
    assert sim.set_desired_capacity("web-asg", 3, "a monitor alarm AlarmHigh in state ALARM triggered policy scale-out",
                                    honor_cooldown=True) is False  # launches in progress
    w.advance(400)
    assert sim.set_desired_capacity("web-asg", 30, "a monitor alarm AlarmHigh in state ALARM triggered policy scale-out")
    assert sim.group("web-asg").desired_capacity == 10  # clamped to MaxSize
    cause = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"][0]["Cause"]
    assert "a monitor alarm AlarmHigh in state ALARM triggered policy scale-out changing the desired capacity from 2 to 10.  At " in cause
    with pytest.raises(ClientError) as e:
        w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web-asg")
    assert e.value.response["Error"]["Code"] == "ResourceInUse"
    w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web-asg", ForceDelete=True)
    w.advance(60)
    assert {w.sim.ec2.state_of(i.instance_id) for i in g.instances} == {"terminated"}


def test_az_rebalance_launches_first_then_terminates_in_the_fullest_az(world):
    """Terminating both AZ-a instances with a decrement leaves a=0, c=2. AZRebalance launches
    in a first (the group briefly has 3), then scale-in removes one from c: a=1, c=1."""
    from collections import Counter

    w = world
    w.network()
    w.asg(desired=4, health_check_type="EC2")
    w.advance(60)
    zone_a = [i["InstanceId"] for i in w.group()["Instances"] if i["AvailabilityZone"].endswith("a")]
    for iid in zone_a:
        w.autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=iid, ShouldDecrementDesiredCapacity=True)
    w.advance(60)
    w.run_until(lambda: len(w.sim.autoscaling.group("web-asg").instances) == 3, limit=ASG_HEALTH_SWEEP_S + 5)
    launched = [i for i in w.sim.autoscaling.group("web-asg").instances if i.availability_zone.endswith("a")]
    assert len(launched) == 1  # launch before terminate
    w.advance(300)
    g = w.group()
    assert g["DesiredCapacity"] == 2
    assert Counter(i["AvailabilityZone"][-1] for i in g["Instances"]) == Counter({"a": 1, "c": 1})


@dataclass
class M:
    instance_id: str
    availability_zone: str
    launch_time: float
    template_rank: tuple = (1, 1)
    protected: bool = False


def test_default_termination_policy_order():
    rng = random.Random(0)
    ms = [M("i-1", "a", 0), M("i-2", "a", 100), M("i-3", "b", 0), M("i-4", "a", 50, (1, 0)), M("i-5", "b", 10)]
    assert pick_victim(ms, 1000, rng).instance_id == "i-4"  # AZ a has most; oldest template first
    ms[3] = M("i-4", "a", 50)
    # closest to the next instance hour: at t=3500, i-1 (0) is 100 s away, i-4 (50) 150 s, i-2 (100) 200 s
    assert pick_victim(ms, 3500, rng).instance_id == "i-1"
    ms = [M("i-1", "a", 0, protected=True), M("i-2", "a", 0, protected=True), M("i-3", "b", 0)]
    assert pick_victim(ms, 10, rng).instance_id == "i-3"  # the busiest AZ has no unprotected instance
    assert pick_victim(ms, 10, rng, ["NewestInstance"]).instance_id == "i-3"
    assert pick_launch_az(["za", "zb", "zc"], ["za", "zb", "za"]) == "zc"
    assert pick_launch_az(["za", "zb"], ["zb"]) == "za"


def test_failed_launches_are_recorded_and_a_broken_probe_is_an_internal_error(world):
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=1, tg_arns=[tg])
    w.advance(120)
    w.ec2.delete_launch_template(LaunchTemplateName="web-lt")
    w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=2)
    failed = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"][0]
    assert failed["StatusCode"] == "Failed" and failed["Progress"] == 100
    assert failed["Description"].startswith("Launching a new EC2 instance.  Status Reason: ")
    assert failed["Description"].endswith(". Launching EC2 instance failed.")

    def broken(target):
        raise RuntimeError("probe bug")

    w.sim.elb.probe = broken
    w.advance(3 * 30 + 1)  # the checker keeps running and reports AWS's internal-error reason
    (iid,) = [i for i in w.health(tg)]
    assert w.health(tg)[iid] == ("unhealthy", "Elb.InternalError", "Health checks failed due to an internal error")
