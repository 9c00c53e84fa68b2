"""Failed Auto Scaling launches, as describe-scaling-activities shows them: AWS's status reason, another AZ
tried at once (balanced-best-effort), and retries that back off instead of failing at every sweep."""
from __future__ import annotations

from awslab.sim.asg_launch import LAUNCH_RETRY_FIRST_S, LAUNCH_RETRY_MAX_S
from awslab.sim.autoscaling import ASG_HEALTH_SWEEP_S
from awslab.sim.ec2 import APP_START_S, PENDING_TO_RUNNING_S, SHUTTING_DOWN_TO_TERMINATED_S

REGION = "ap-northeast-2"
DAY = 86400.0
#: A /28 has 11 usable addresses (AWS reserves 5).
SMALL = 11


def _network_with_a_full_subnet(w) -> tuple[str, str, list[str]]:
    """AZ a: a /28 filled by plain RunInstances; AZ c: a roomy /24. Returns (full, roomy, the filler instances)."""
    w.vpc_id = w.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    def subnet(cidr, az):
        return w.ec2.create_subnet(VpcId=w.vpc_id, CidrBlock=cidr, AvailabilityZone=REGION + az)["Subnet"]["SubnetId"]

    full, roomy = subnet("10.0.10.0/28", "a"), subnet("10.0.11.0/24", "c")
    w.subnets = {REGION + "a": full, REGION + "c": roomy}
    w.ec2.create_launch_template(LaunchTemplateName="web-lt",
                                 LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    fillers = w.ec2.run_instances(ImageId="ami-12c6146b", MinCount=SMALL, MaxCount=SMALL, InstanceType="t3.micro",
                                  SubnetId=full)["Instances"]
    return full, roomy, [i["InstanceId"] for i in fillers]


def _activities(w, name="web-asg") -> list[dict]:
    out, token = [], None
    while True:
        more = {"NextToken": token} if token else {}
        page = w.autoscaling.describe_scaling_activities(AutoScalingGroupName=name, **more)
        out += page["Activities"]
        token = page.get("NextToken")
        if not token:
            return list(reversed(out))  # oldest first


def _failed(w) -> list[dict]:
    return [a for a in _activities(w) if a["StatusCode"] == "Failed"]


def _zones_in_service(w) -> list[str]:
    return sorted(i["AvailabilityZone"] for i in w.group()["Instances"] if i["LifecycleState"] == "InService")


def test_a_full_subnet_fails_with_aws_reason_and_the_launch_goes_to_the_other_az(world):
    w = world
    full, roomy, _ = _network_with_a_full_subnet(w)
    w.asg(desired=2, health_check_type="EC2", grace=0)
    failed = _failed(w)
    assert len(failed) == 1, "one failed attempt in the full AZ, then the other AZ at once"
    reason = f"There are not enough free addresses in subnet '{full}' to satisfy the requested number of instances."
    assert failed[0]["StatusMessage"] == f"{reason} Launching EC2 instance failed."
    assert failed[0]["Description"] == (f"Launching a new EC2 instance.  Status Reason: {reason} "
                                        "Launching EC2 instance failed.")
    assert f'"Subnet ID": "{full}"' in failed[0]["Details"] and "ap-northeast-2a" in failed[0]["Details"]
    assert failed[0]["Cause"].endswith("increasing the capacity from 0 to 2.")
    w.advance(PENDING_TO_RUNNING_S[1] + 1)
    assert _zones_in_service(w) == [REGION + "c", REGION + "c"], "balanced-best-effort: both in the healthy AZ"
    assert w.ec2.describe_subnets(SubnetIds=[full])["Subnets"][0]["AvailableIpAddressCount"] == 0


def test_failed_launches_back_off_and_the_group_rebalances_once_the_az_has_room(world):
    w = world
    full, roomy, fillers = _network_with_a_full_subnet(w)
    w.asg(desired=2, health_check_type="EC2", grace=0)
    w.advance(DAY)
    failed = _failed(w)
    times = [a["StartTime"].timestamp() for a in failed]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # AZRebalance retries the full AZ, less and less often: never more than once per back-off.
    assert all(g >= LAUNCH_RETRY_FIRST_S for g in gaps), gaps
    assert min(gaps[-5:]) >= LAUNCH_RETRY_MAX_S, gaps[-5:]
    assert len(failed) <= DAY / LAUNCH_RETRY_MAX_S + 10, f"{len(failed)} failed activities in one simulated day"
    assert _zones_in_service(w) == [REGION + "c", REGION + "c"]

    w.ec2.terminate_instances(InstanceIds=fillers[:1])  # one address comes back in AZ a
    w.advance(SHUTTING_DOWN_TO_TERMINATED_S[1] + LAUNCH_RETRY_MAX_S + ASG_HEALTH_SWEEP_S
              + PENDING_TO_RUNNING_S[1] + APP_START_S[1])
    assert _zones_in_service(w) == [REGION + "a", REGION + "c"], "AZRebalance launched in AZ a, then scaled in AZ c"


def test_a_group_wide_failure_is_recorded_once_per_attempt_and_backs_off(world):
    w = world
    w.network()
    w.asg(desired=1, max_size=4, health_check_type="EC2", grace=0)
    w.advance(PENDING_TO_RUNNING_S[1] + 1)
    w.ec2.delete_launch_template(LaunchTemplateName="web-lt")
    w.autoscaling.set_desired_capacity(AutoScalingGroupName="web-asg", DesiredCapacity=3)
    w.advance(3600)
    failed = _failed(w)
    lt_id = failed[0]["StatusMessage"].split("template ID ")[1].split(",")[0]
    assert {a["StatusMessage"] for a in failed} == {
        f"The specified launch template, with template ID {lt_id}, does not exist. Launching EC2 instance failed."}
    starts = [a["StartTime"] for a in failed]
    assert len(set(starts)) == len(starts), "one activity per attempt, not one per AZ or per missing instance"
    # 10, 20, 40, ... 300 s apart: about 17 attempts in an hour (a sweep-paced retry would make 60 or more).
    assert len(failed) <= 3600 / LAUNCH_RETRY_MAX_S + 8, len(failed)
