"""The issue's scenarios in virtual time, with AWS's expected windows derived from each resource's settings."""
from __future__ import annotations

from collections import Counter

from awslab.sim.ec2 import APP_START_S, PENDING_TO_RUNNING_S
from awslab.sim.elb_health import REGISTRATION_S
from awslab.sim.autoscaling import ASG_HEALTH_SWEEP_S

INTERVAL, TIMEOUT, HEALTHY, UNHEALTHY = 30, 5, 2, 3  # the seed's health-check settings
#: Launch -> healthy, at most: pending->running + app start + registration + one check interval.
LAUNCH_TO_HEALTHY_MAX = PENDING_TO_RUNNING_S[1] + APP_START_S[1] + REGISTRATION_S + INTERVAL + 1


def _all_healthy(w, tg, n):
    ths = w.sim.elb.targets_of(tg)
    return len(ths) == n and all(th.state == "healthy" for th in ths)


def _zones(w, name="web-asg", states=("Pending", "InService")):
    return Counter(i["AvailabilityZone"] for i in w.group(name)["Instances"] if i["LifecycleState"] in states)


def test_crash_unhealthy_after_three_checks_then_asg_replaces_and_replacement_becomes_healthy(world):
    """Crash at t0 with interval 30 s and unhealthy threshold 3.

    The first failing check comes at t0+u (0 < u <= 30); the 3rd consecutive failure
    2 intervals later, so unhealthy in (t0+60, t0+90] (+timeout only for hangs).
    The ASG (type ELB, grace 60 s, already over) acts at its next sweep: within
    ASG_HEALTH_SWEEP_S. The replacement launches at the same moment the old one
    starts terminating, and is healthy within LAUNCH_TO_HEALTHY_MAX of its launch;
    it is InService (registered) before it is healthy.
    """
    w = world
    w.network()
    tg = w.target_group(deregistration_delay=60)
    w.asg(desired=2, tg_arns=[tg])
    w.run_until(lambda: _all_healthy(w, tg, 2), limit=300)
    w.advance(60)  # past the 60 s grace period
    victim = w.group()["Instances"][0]["InstanceId"]
    t0 = w.now
    w.sim.ec2.inject_fault(victim, "crash")
    w.run_until(lambda: w.state(tg, victim) == "unhealthy", limit=200)
    t_unhealthy = w.first("target_health_changed", resource=victim, state="unhealthy")
    assert t0 + 2 * INTERVAL < t_unhealthy <= t0 + 3 * INTERVAL
    assert w.health(tg)[victim][1:] == ("Target.FailedHealthChecks", "Health checks failed")

    w.advance(ASG_HEALTH_SWEEP_S + 1)
    t_term = w.first("lifecycle_changed", resource=victim, lifecycle_state="Terminating")
    assert t_term is not None and t_unhealthy <= t_term <= t_unhealthy + ASG_HEALTH_SWEEP_S
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
    term = next(a for a in acts if a["Description"] == f"Terminating EC2 instance: {victim}")
    assert "an instance was taken out of service in response to an ELB system health check failure." in term["Cause"]
    launch = acts[0]
    assert launch["Description"].startswith("Launching a new EC2 instance: ")
    assert launch["StartTime"] == term["StartTime"]  # the replacement launches while the old one terminates
    new = launch["Description"].rsplit(" ", 1)[1]
    assert "increasing the capacity from 1 to 2." in launch["Cause"]

    w.run_until(lambda: w.state(tg, new) == "healthy", limit=LAUNCH_TO_HEALTHY_MAX)
    t_in_service = w.first("lifecycle_changed", resource=new, lifecycle_state="InService")
    t_healthy = w.first("target_health_changed", resource=new, state="healthy")
    assert t_term < t_in_service < t_healthy <= t_term + LAUNCH_TO_HEALTHY_MAX
    assert {i["InstanceId"]: i["LifecycleState"] for i in w.group()["Instances"]}[new] == "InService"
    assert w.health(tg)[victim][0] == "draining"
    w.advance(60 + 45)  # deregistration delay, then shutting-down -> terminated
    assert victim not in {i["InstanceId"] for i in w.group()["Instances"]}
    assert sorted(_zones(w).values()) == [1, 1]


def test_stopped_instance_is_unused_at_once_and_replaced(world):
    """StopInstances: the target is unused/Target.InvalidState immediately (no health check
    needed). ASG treats a non-running state as a failure even in the grace period (300 s
    here): at its next sweep (<= ASG_HEALTH_SWEEP_S) the instance is Unhealthy and
    Terminating (deregistered: draining), and its replacement is Pending at the same moment."""
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=2, tg_arns=[tg], grace=300)
    w.run_until(lambda: _all_healthy(w, tg, 2), limit=300)
    before = {i["InstanceId"] for i in w.group()["Instances"]}
    victim = sorted(before)[1]
    t0 = w.now
    w.ec2.stop_instances(InstanceIds=[victim])
    assert w.health(tg)[victim] == ("unused", "Target.InvalidState", "Target is in the stopped state")
    w.advance(ASG_HEALTH_SWEEP_S)
    inst = {i["InstanceId"]: i for i in w.group()["Instances"]}
    assert inst[victim]["HealthStatus"] == "Unhealthy" and inst[victim]["LifecycleState"] == "Terminating"
    (new,) = set(inst) - before
    assert inst[new]["LifecycleState"] in ("Pending", "InService")
    assert w.health(tg)[victim][0] == "draining"
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg")["Activities"]
    assert "in response to an EC2 health check that indicated it had been terminated or stopped." in acts[1]["Cause"]
    assert acts[0]["StartTime"] == acts[1]["StartTime"]
    t_term = w.first("lifecycle_changed", resource=victim, lifecycle_state="Terminating")
    assert t0 < t_term <= t0 + ASG_HEALTH_SWEEP_S
    w.run_until(lambda: _all_healthy(w, tg, 2) and len(w.sim.autoscaling.group("web-asg").instances) == 2, limit=600, step=5)
    assert victim not in w.health(tg)


def test_new_target_goes_initial_then_healthy_after_its_first_passing_check(world):
    """AWS: "After your target is registered, it must pass one health check to be considered
    healthy." With HealthyThresholdCount 5 the new target is still healthy after ONE check:
    registration (REGISTRATION_S) + the first check, far less than 5 intervals."""
    w = world
    w.network()
    tg = w.target_group(healthy=5)
    iid = w.run_instance()
    w.run_until(lambda: w.sim.ec2.is_app_up(iid), limit=120)
    t_reg = w.now
    w.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    assert w.health(tg)[iid] == ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
    w.advance(REGISTRATION_S)
    assert w.health(tg)[iid] in {("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"),
                                 ("healthy", None, None)}
    w.advance(1)
    assert w.health(tg)[iid] == ("healthy", None, None)
    assert w.first("target_health_changed", resource=iid, state="healthy") - t_reg < REGISTRATION_S + INTERVAL


def test_deregistered_target_drains_for_the_deregistration_delay(world):
    """deregistration_delay.timeout_seconds = 120: draining/Target.DeregistrationInProgress for
    120 s, then gone (describe of that target: unused/Target.NotRegistered)."""
    w = world
    w.network()
    tg = w.target_group(deregistration_delay=120)
    iid = w.run_instance()
    w.run_until(lambda: w.sim.ec2.state_of(iid) == "running", limit=60)
    w.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    w.advance(60)
    w.elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": iid}])
    assert w.health(tg)[iid] == ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
    w.advance(119)
    assert w.health(tg)[iid][0] == "draining"
    w.advance(2)
    assert iid not in w.health(tg)
    one = w.elbv2.describe_target_health(TargetGroupArn=tg, Targets=[{"Id": iid}])["TargetHealthDescriptions"][0]
    assert (one["TargetHealth"]["State"], one["TargetHealth"]["Reason"]) == ("unused", "Target.NotRegistered")


def test_group_of_four_over_two_azs_stays_balanced(world):
    """Launches go to the AZ with the fewest instances; scale-in picks the AZ with the most
    (AWS's default termination policy puts AZ balance first), so counts never differ by >1."""
    w = world
    w.network()
    tg = w.target_group()
    w.asg(desired=4, tg_arns=[tg], health_check_type="EC2")
    w.advance(120)
    assert sorted(_zones(w).values()) == [2, 2]
    victim = next(i for i in w.group()["Instances"] if i["AvailabilityZone"].endswith("a"))["InstanceId"]
    w.ec2.terminate_instances(InstanceIds=[victim])  # replaced at the next sweep, in the same AZ
    w.advance(ASG_HEALTH_SWEEP_S)
    assert sorted(_zones(w).values()) == [2, 2]
    w.advance(400)
    for desired, expected in [(6, [3, 3]), (5, [2, 3]), (2, [1, 1]), (3, [1, 2]), (4, [2, 2])]:
        w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=desired)
        w.advance(400)
        assert sorted(_zones(w).values()) == expected, desired
        assert len(w.group()["Instances"]) == desired
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web-asg", MaxRecords=100)["Activities"]
    assert any("a user request explicitly set group desired capacity changing the desired capacity from 5 to 2." in a["Cause"]
               and "was selected for termination." in a["Cause"] for a in acts)


def test_every_target_unhealthy_fails_open(world):
    """If only unhealthy targets remain, the ALB routes to all of them (fail-open, §1.3)."""
    w = world
    w.network()
    tg = w.target_group()
    ids = [w.run_instance(zone) for zone in w.subnets]
    w.run_until(lambda: all(w.sim.ec2.state_of(i) == "running" for i in ids), limit=60)
    w.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in ids])
    w.run_until(lambda: _all_healthy(w, tg, 2), limit=120)
    w.sim.ec2.inject_fault(ids[0], "unhealthy")
    w.run_until(lambda: w.state(tg, ids[0]) == "unhealthy", limit=120)
    assert [t.instance_id for t in w.sim.elb.routable_targets(tg)] == [ids[1]]
    assert w.health(tg)[ids[0]][1:] == ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    w.sim.ec2.inject_fault(ids[1], "hang")
    w.run_until(lambda: w.state(tg, ids[1]) == "unhealthy", limit=120)
    assert w.health(tg)[ids[1]][1:] == ("Target.Timeout", "Request timed out")
    routed = w.sim.elb.routable_targets(tg)
    assert sorted(t.instance_id for t in routed) == sorted(ids) and {t.state for t in routed} == {"unhealthy"}
    assert {t.availability_zone for t in routed} == set(w.subnets)
