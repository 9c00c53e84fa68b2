"""A CloudFormation stack update changes an Auto Scaling group in place, as AWS does (moto's suite found it).

AWS replaces an ``AWS::AutoScaling::AutoScalingGroup`` only when its AutoScalingGroupName changes; MinSize,
MaxSize, LaunchConfigurationName and the rest update without replacement
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html).
moto deleted and re-created the group, which the simulator's "Delete in progress" turned into AlreadyExists.
"""
from __future__ import annotations

import json

import boto3

from awslab.sim.ec2 import PENDING_TO_RUNNING_S

from .conftest import REGION

RUNNING = PENDING_TO_RUNNING_S[1] + 1


def _template(w, lc: str, min_size: int, max_size: int) -> str:
    return json.dumps({"Resources": {"Group": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
        "AutoScalingGroupName": "web-asg", "LaunchConfigurationName": lc, "MinSize": str(min_size),
        "MaxSize": str(max_size), "VPCZoneIdentifier": list(w.subnets.values())}}}})


def test_a_stack_update_changes_the_group_in_place_and_keeps_its_instances(world):
    w = world
    w.network()
    cfn = boto3.client("cloudformation", region_name=REGION)
    for lc in ("lc-1", "lc-2"):
        w.autoscaling.create_launch_configuration(LaunchConfigurationName=lc, ImageId="ami-12c6146b",
                                                  InstanceType="t3.micro")
    cfn.create_stack(StackName="web", TemplateBody=_template(w, "lc-1", 1, 5))
    w.advance(RUNNING)
    before = {i["InstanceId"] for i in w.group()["Instances"]}
    assert len(before) == 1

    cfn.update_stack(StackName="web", TemplateBody=_template(w, "lc-2", 2, 6))

    g = w.group()
    assert "Status" not in g  # not being deleted
    assert (g["MinSize"], g["MaxSize"], g["LaunchConfigurationName"]) == (2, 6, "lc-2")
    w.advance(RUNNING)
    after = {i["InstanceId"] for i in w.group()["Instances"]}
    assert before < after and len(after) == 2  # the first instance kept running; one more for MinSize 2
