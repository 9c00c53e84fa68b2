"""The AZ outage drill on the embedded cloud, in virtual time: AWS's windows from the resources' own settings."""
from __future__ import annotations

import uuid

import pytest

from awslab import Lab, ValidationError
from awslab.drills import DrillError, az_outage, find_az_outage
from awslab.drills.failure import replacement_window
from awslab.drills.nacl_isolation import DENY_ALL_ENTRIES, denies_all
from awslab.drills.registry import DRILLS
from awslab.sim.asg_health import ASG_HEALTH_SWEEP_S

from ..conftest import clock, control
from ..topology.stack import build_stack, wait_healthy


def _healthy(lab: Lab, tg_arn: str) -> set[str]:
    th = lab.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in th if d["TargetHealth"]["State"] == "healthy"}


def _nacls(lab: Lab, vpc_id: str) -> list:
    """describe-network-acls of the VPC: which NACL each subnet uses, and every NACL's entries."""
    acls = lab.client("ec2").describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    return sorted((a["NetworkAclId"], a["IsDefault"], sorted(s["SubnetId"] for s in a["Associations"]),
                   sorted((e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in a["Entries"])) for a in acls)


@pytest.fixture
def stack(cloud_url):
    with clock(cloud_url, mode="virtual"):
        lab = Lab(name="z" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)
        st = build_stack(lab, desired=2, database=False)
        wait_healthy(lab, cloud_url, st.tg_arn, 2)  # boot, then one passing check each: bounded
        yield lab, st
        outage = find_az_outage(lab)
        if outage is not None:
            outage.reset()
        lab.teardown()


def _settings(lab: Lab, st) -> tuple[dict, dict]:
    tg = lab.client("elbv2").describe_target_groups(TargetGroupArns=[st.tg_arn])["TargetGroups"][0]
    group = lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[st.asg_name])["AutoScalingGroups"][0]
    return tg, group


def _in_service_at(lab: Lab, st, instance_id: str):
    acts = lab.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=st.asg_name)["Activities"]
    return next(a["EndTime"] for a in acts if a["Description"] == f"Launching a new EC2 instance: {instance_id}")


def test_without_removing_subnets_the_replacement_lands_in_the_same_az_and_fails_too(stack):
    """The Well-Architected lab's lesson: Auto Scaling balances AZs, so it launches into the AZ that is down."""
    lab, st = stack
    before = _nacls(lab, st.network.vpc_id)
    tg, group = _settings(lab, st)
    drill = az_outage(lab)
    az = drill.availability_zone
    assert drill.status().isolated and set(drill.subnet_ids) == {s.subnet_id for s in (
        st.network.public_subnets + st.network.private_subnets + st.network.db_subnets) if s.availability_zone == az}
    (victim,) = drill.status().victims
    status = drill.wait_until("unhealthy", fast_forward=True, step_s=5, timeout_s=60)
    assert status.healthy_by_az.get(az, 0) == 0 and status.healthy_by_az.get(status.group_azs[1]) == 1
    went = drill.story().first("-> unhealthy (Target.Timeout)")
    interval, threshold, timeout = (int(tg[k]) for k in ("HealthCheckIntervalSeconds", "UnhealthyThresholdCount",
                                                         "HealthCheckTimeoutSeconds"))
    assert went is not None and went.resource.startswith(victim)
    assert interval * (threshold - 1) <= went.offset_s <= interval * threshold + timeout + 5, went

    low, high = replacement_window(tg, group, _in_service_at(lab, st, victim), drill.began_at)
    status = drill.wait_until("replaced", fast_forward=True, step_s=15, timeout_s=120)
    assert set(status.replacements.values()) == {az}, "AZ balance puts the replacement where the group is thinnest"
    terminating = drill.story().first(f"Terminating EC2 instance: {victim}")
    assert terminating is not None and low <= terminating.offset_s <= high + 15, (terminating, low, high)
    (replacement,) = status.replacements
    for _ in range(20):  # its own checks time out too: UnhealthyThresholdCount of them after its registration
        if drill.story().first("-> unhealthy", resource=f"{replacement} ({az})"):
            break
        control(lab.endpoint_url, "POST", "clock/advance", {"seconds": interval})
    assert drill.story().first("-> unhealthy (Target.Timeout)", resource=f"{replacement} ({az})")
    assert _healthy(lab, st.tg_arn) - {replacement} and replacement not in _healthy(lab, st.tg_arn)

    drill.reset()
    drill.reset()  # harmless
    assert _nacls(lab, st.network.vpc_id) == before, "every subnet back on the NACL it had, the drill's NACL gone"
    status = drill.wait_until("rebalanced", fast_forward=True, step_s=15, timeout_s=120)
    assert status.healthy_by_az == {status.group_azs[0]: 1, status.group_azs[1]: 1}
    assert [m for m in drill.milestones if status.reached(m)] == list(drill.milestones)


def test_with_the_subnets_removed_auto_scaling_launches_in_the_surviving_az_then_rebalances(stack):
    lab, st = stack
    asg = lab.client("autoscaling")
    zone_ids = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[st.asg_name])["AutoScalingGroups"][0]["VPCZoneIdentifier"]
    drill = az_outage(lab, remove_subnets=True)
    az = drill.availability_zone
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[st.asg_name])["AutoScalingGroups"][0]
    assert group["AvailabilityZones"] != [] and az not in group["AvailabilityZones"]
    status = drill.wait_until("replaced", fast_forward=True, step_s=15, timeout_s=120)
    assert status.replaced_elsewhere and az not in status.replacements.values()
    drill.reset()
    restored_at = drill._restored_at
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[st.asg_name])["AutoScalingGroups"][0]
    assert group["VPCZoneIdentifier"] == zone_ids and az in group["AvailabilityZones"]
    status = drill.wait_until("rebalanced", fast_forward=True, step_s=15, timeout_s=120)
    assert status.in_service_by_az == {status.group_azs[0]: 1, status.group_azs[1]: 1}
    # AZRebalance: launch in the restored AZ first, then terminate in the fuller one (the AWS page in az_outage.py)
    acts = asg.describe_scaling_activities(AutoScalingGroupName=st.asg_name)["Activities"]
    launched = [a for a in acts if "rebalancing" in a.get("Cause", "") and a["StartTime"].timestamp() >= restored_at]
    assert len(launched) == 1 and az in launched[0]["Details"], launched
    terminated = [a for a in acts if a["Description"].startswith("Terminating") and a["StartTime"] >= launched[0]["EndTime"]]
    assert len(terminated) == 1 and az not in terminated[0]["Details"], terminated
    # a settled group is rebalanced at the first health sweep after the victim's deregistration delay ran out
    delay = int({a["Key"]: a["Value"] for a in lab.client("elbv2").describe_target_group_attributes(
        TargetGroupArn=st.tg_arn)["Attributes"]}["deregistration_delay.timeout_seconds"])
    assert launched[0]["StartTime"].timestamp() - restored_at <= delay + 2 * ASG_HEALTH_SWEEP_S


def test_refusals_change_nothing_and_a_fresh_kernel_can_reset(stack):
    lab, st = stack
    before = _nacls(lab, st.network.vpc_id)
    with pytest.raises(ValidationError) as e:
        az_outage(lab, az="us-east-1a")
    assert e.value.field == "az" and "ap-northeast-2a" in str(e.value)
    assert _nacls(lab, st.network.vpc_id) == before
    first = az_outage(lab, az=st.network.availability_zones[1])
    with pytest.raises(DrillError) as e:
        az_outage(lab)
    assert "already running" in str(e.value) and "find_az_outage" in str(e.value)
    again = find_az_outage(lab)  # what a new kernel sees: read back from the NACL's tags
    assert again.availability_zone == first.availability_zone and again.network_acl_id == first.network_acl_id
    again.reset()
    first.reset()
    assert find_az_outage(lab) is None and _nacls(lab, st.network.vpc_id) == before


def test_a_lab_without_an_auto_scaling_group_across_two_azs_is_refused(lab):
    with pytest.raises(DrillError) as e:
        az_outage(lab)
    assert "lab.build()" in str(e.value)
    assert DRILLS["az_outage"].start.__name__ == "_az_outage"


def test_the_drill_nacl_denies_all_and_a_default_nacl_does_not():
    deny = {"Entries": [{"CidrBlock": "0.0.0.0/0", "Protocol": "-1", "RuleAction": "deny", **e} for e in DENY_ALL_ENTRIES]}
    assert denies_all(deny)
    allow = {"Entries": [{"CidrBlock": "0.0.0.0/0", "Protocol": "-1", "RuleAction": "allow", "Egress": eg, "RuleNumber": 100}
                         for eg in (True, False)]}
    assert not denies_all(allow)
    only_in = {"Entries": [e for e in deny["Entries"] if not e["Egress"]]
               + [{"CidrBlock": "0.0.0.0/0", "Protocol": "-1", "RuleAction": "allow", "Egress": True, "RuleNumber": 50}]}
    assert not denies_all(only_in)
    assert not denies_all({"Entries": []}), "no entry says anything: not read as a deny-all"


def test_teardown_in_the_middle_of_an_outage_ends_clean(cloud_url):
    with clock(cloud_url, mode="virtual"):
        lab = Lab(name="z" + uuid.uuid4().hex[:8], endpoint_url=cloud_url)
        st = build_stack(lab, desired=2, database=False)
        az_outage(lab, remove_subnets=True)
        lab.teardown()
        left = lab.client("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [st.network.vpc_id]}])["Vpcs"]
        assert left == [] and find_az_outage(lab) is None
