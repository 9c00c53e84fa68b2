"""Builds a small version of the seed's stack with plain boto3, for discovery tests and the benchmark.

Network from awslab's network layer; the rest (security groups, ALB, target group, ASG,
policy, alarm, RDS, bastion) straight through boto3, so these tests do not depend on
the other layers' builders.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from awslab.layers.network import build_network


@dataclass
class Stack:
    network: object
    alb_arn: str = ""
    alb_dns: str = ""
    tg_arn: str = ""
    asg_name: str = ""
    policy_arn: str = ""
    alarm_name: str = ""
    bastion_id: str = ""
    db_id: str = ""
    sgs: dict = field(default_factory=dict)


def _sg(ec2, lab, vpc_id, name, rules):
    sg = ec2.create_security_group(GroupName=lab.resource_name(name), Description=name, VpcId=vpc_id,
                                   TagSpecifications=[{"ResourceType": "security-group", "Tags": lab.tags(lab.resource_name(name), "security")}])["GroupId"]
    perms = []
    for port, src in rules:
        p = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        p["UserIdGroupPairs" if src.startswith("sg-") else "IpRanges"] = [{"GroupId": src}] if src.startswith("sg-") else [{"CidrIp": src}]
        perms.append(p)
    if perms:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perms)
    return sg


def build_stack(lab, desired: int = 2, database: bool = True) -> Stack:
    net = build_network(lab)
    ec2, elb, asg, cw = lab.client("ec2"), lab.client("elbv2"), lab.client("autoscaling"), lab.client("cloudwatch")
    st = Stack(net)
    alb_sg = _sg(ec2, lab, net.vpc_id, "alb-sg", [(80, "0.0.0.0/0")])
    app_sg = _sg(ec2, lab, net.vpc_id, "app-sg", [(80, alb_sg)])
    db_sg = _sg(ec2, lab, net.vpc_id, "db-sg", [(3306, app_sg)])
    st.sgs = {"alb": alb_sg, "app": app_sg, "db": db_sg}
    lb = elb.create_load_balancer(Name=lab.resource_name("alb"), Subnets=net.subnet_ids("public"), SecurityGroups=[alb_sg],
                                  Scheme="internet-facing", Type="application", Tags=lab.tags(lab.resource_name("alb"), "lb"))["LoadBalancers"][0]
    st.alb_arn, st.alb_dns = lb["LoadBalancerArn"], lb["DNSName"]
    st.tg_arn = elb.create_target_group(Name=lab.resource_name("web"), Protocol="HTTP", Port=80, VpcId=net.vpc_id,
                                        HealthCheckPath="/health", TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=st.alb_arn, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": st.tg_arn}])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    lt = ec2.create_launch_template(LaunchTemplateName=lab.resource_name("lt"),
                                    LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "SecurityGroupIds": [app_sg]})
    st.asg_name = lab.resource_name("web")
    asg.create_auto_scaling_group(AutoScalingGroupName=st.asg_name, MinSize=1, MaxSize=max(4, desired), DesiredCapacity=desired,
                                  LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"},
                                  VPCZoneIdentifier=",".join(net.subnet_ids("private")), TargetGroupARNs=[st.tg_arn],
                                  HealthCheckType="ELB", HealthCheckGracePeriod=300,
                                  Tags=[{"Key": t["Key"], "Value": t["Value"], "PropagateAtLaunch": True} for t in lab.tags(st.asg_name, "autoscaling")])
    asg.put_scaling_policy(AutoScalingGroupName=st.asg_name, PolicyName="scale-out", PolicyType="SimpleScaling",
                                           AdjustmentType="ChangeInCapacity", ScalingAdjustment=2)
    st.policy_arn = asg.describe_policies(AutoScalingGroupName=st.asg_name)["ScalingPolicies"][0]["PolicyARN"]
    st.alarm_name = lab.resource_name("cpu-high")
    cw.put_metric_alarm(AlarmName=st.alarm_name, MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average", Period=60,
                        EvaluationPeriods=3, Threshold=70, ComparisonOperator="GreaterThanThreshold",
                        Dimensions=[{"Name": "AutoScalingGroupName", "Value": st.asg_name}], AlarmActions=[st.policy_arn])
    st.bastion_id = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=net.subnet_ids("public")[0],
                                      TagSpecifications=[{"ResourceType": "instance", "Tags": lab.tags(lab.resource_name("bastion"), "bastion")}]
                                      )["Instances"][0]["InstanceId"]
    if database:
        rds = lab.client("rds")
        rds.create_db_subnet_group(DBSubnetGroupName=lab.resource_name("db"), DBSubnetGroupDescription="db",
                                   SubnetIds=net.subnet_ids("db"))
        st.db_id = lab.resource_name("db")
        rds.create_db_instance(DBInstanceIdentifier=st.db_id, DBInstanceClass="db.t3.micro", Engine="mysql", MasterUsername="admin",
                               MasterUserPassword="secret123!", AllocatedStorage=20, DBSubnetGroupName=lab.resource_name("db"),
                               VpcSecurityGroupIds=[db_sg], MultiAZ=True, AvailabilityZone=net.availability_zones[0])
    return st


def healthy_targets(lab, tg_arn: str) -> set[str]:
    """The targets ``describe-target-health`` calls healthy."""
    found = lab.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in found if d["TargetHealth"]["State"] == "healthy"}


def wait_healthy(lab, cloud_url: str, tg_arn: str, count: int = 2, steps: int = 60, wall_s: float = 90.0) -> set[str]:
    """Move the cloud's clock 30 s at a time until ``count`` targets are healthy (boot, then one passing check).

    Bounded in steps and in wall time. Between two steps the wall clock moves a little too: an instance's web app
    starts in a process of its own, and on a busy machine a burst of clock steps can outrun it (its checks then
    fail, and the group replaces it, again and again). Raises AssertionError naming what it saw.
    """
    import time

    from ..conftest import control

    deadline = time.monotonic() + wall_s
    for _ in range(steps):
        healthy = healthy_targets(lab, tg_arn)
        if len(healthy) >= count or time.monotonic() > deadline:
            break
        control(cloud_url, "POST", "clock/advance", {"seconds": 30})
        time.sleep(0.1)
    healthy = healthy_targets(lab, tg_arn)
    assert len(healthy) >= count, f"the stack never became healthy: {len(healthy)} of {count} targets healthy"
    return healthy
