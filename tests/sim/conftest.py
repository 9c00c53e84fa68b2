"""In-process simulator fixture: moto's in-memory backends + a virtual-clock Simulator.

Scenario tests drive time explicitly (``world.advance``) and read exact event
times from the timeline, so their assertions can state AWS's expected windows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import boto3
import pytest

REGION = "ap-northeast-2"
START = 1_796_000_000.0  # a fixed simulated epoch (2026-11-30T...Z) so timestamps are reproducible


@dataclass
class World:
    """A simulated account: boto3 clients on moto, the simulator, and small builders."""

    sim: object
    ec2: object
    elbv2: object
    autoscaling: object
    subnets: dict = field(default_factory=dict)  # az -> subnet id
    vpc_id: str = ""

    def advance(self, seconds: float) -> float:
        return self.sim.advance(seconds)

    @property
    def now(self) -> float:
        return self.sim.now

    def network(self, azs=("a", "c")) -> None:
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        for i, az in enumerate(azs):
            zone = REGION + az
            self.subnets[zone] = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=f"10.0.{10 + i}.0/24",
                                                        AvailabilityZone=zone)["Subnet"]["SubnetId"]
        self.ec2.create_launch_template(LaunchTemplateName="web-lt",
                                        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})

    def target_group(self, name="web-tg", interval=30, timeout=5, healthy=2, unhealthy=3, path="/health",
                     deregistration_delay=None, behind_alb=True) -> str:
        """The seed's settings by default: 30 s interval, healthy 2, unhealthy 3, path /health.

        ``behind_alb`` puts the group behind an ALB listener, as on AWS, where a group no load balancer uses is
        not health-checked (its targets are unused / Target.NotInUse).
        """
        arn = self.elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=self.vpc_id, HealthCheckPath=path,
            HealthCheckIntervalSeconds=interval, HealthCheckTimeoutSeconds=timeout,
            HealthyThresholdCount=healthy, UnhealthyThresholdCount=unhealthy)["TargetGroups"][0]["TargetGroupArn"]
        if behind_alb:
            self.listener(arn, name)
        if deregistration_delay is not None:
            self.elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": str(deregistration_delay)}])
        return arn

    def listener(self, tg_arn: str, name: str = "web") -> str:
        """An ALB (one per call) whose HTTP:80 listener forwards to ``tg_arn``; returns the listener's ARN."""
        lb = self.elbv2.create_load_balancer(Name=f"{name}-alb"[:32], Subnets=list(self.subnets.values()),
                                             Scheme="internet-facing", Type="application")["LoadBalancers"][0]
        return self.elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])["Listeners"][0]["ListenerArn"]

    def asg(self, name="web-asg", desired=2, min_size=1, max_size=10, tg_arns=(), health_check_type="ELB",
            grace=60, **kw) -> str:
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=min_size, MaxSize=max_size, DesiredCapacity=desired,
            LaunchTemplate={"LaunchTemplateName": "web-lt"}, VPCZoneIdentifier=",".join(self.subnets.values()),
            TargetGroupARNs=list(tg_arns), HealthCheckType=health_check_type, HealthCheckGracePeriod=grace, **kw)
        return name

    def run_instance(self, zone=None) -> str:
        zone = zone or next(iter(self.subnets))
        return self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                      SubnetId=self.subnets[zone])["Instances"][0]["InstanceId"]

    def group(self, name="web-asg") -> dict:
        return self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]

    def health(self, tg_arn) -> dict:
        """instance id -> (state, reason, description) from describe-target-health."""
        out = self.elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"),
                                    d["TargetHealth"].get("Description")) for d in out}

    def state(self, tg_arn, instance_id):
        """The simulator's target state (cheap; for run_until predicates)."""
        th = self.sim.elb.health(tg_arn, instance_id)
        return th.state if th else None

    def events(self, event=None, resource=None, component=None, since=None):
        return self.sim.timeline.query(event=event, resource=resource, component=component, since=since)

    def first(self, event, since=None, **match):
        """Time of the first timeline event named ``event`` whose details match ``match``."""
        for e in self.sim.timeline.query(event=event, since=since):
            if all((e.resource if k == "resource" else e.details.get(k)) == v for k, v in match.items()):
                return e.time
        return None

    def run_until(self, predicate, limit=3600.0, step=1.0) -> float:
        """Advance in ``step`` s until ``predicate()``; returns the simulated time (fails after ``limit``)."""
        end = self.now + limit
        while not predicate():
            assert self.now < end, f"condition not reached within {limit} simulated seconds"
            self.advance(step)
        return self.now


@pytest.fixture
def world(monkeypatch):
    from moto import mock_aws

    from awslab.cloud import moto_ext
    from awslab.sim import Simulator

    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sim = Simulator(mode="virtual", seed=7, start_epoch=START).install()
        try:
            yield World(sim, boto3.client("ec2", region_name=REGION), boto3.client("elbv2", region_name=REGION),
                        boto3.client("autoscaling", region_name=REGION))
        finally:
            moto_ext.uninstall()
