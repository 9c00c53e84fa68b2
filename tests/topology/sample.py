"""A hand-made discovery snapshot of the seed's standard architecture, for model and render tests.

Two AZs, three tiers, an ALB with four targets in every health state that matters,
an ASG mid-scale-out, a target-tracking policy with its alarms, Multi-AZ RDS, Route 53,
CloudFront + S3 and a bastion.
"""
from __future__ import annotations

from awslab.topology.records import (Alarm, AutoScalingGroup, Bucket, Database, Distribution, DnsRecord, Gateway, Instance,
                                     Listener, LoadBalancer, RouteTable, ScalingPolicy, SecurityGroup, SgRule, Snapshot,
                                     Subnet, TargetGroup, TargetHealth, Vpc)

AZS = ["ap-northeast-2a", "ap-northeast-2c"]
ALB_ARN = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/lab-alb/50dc6c495c0c9188"
TG_ARN = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/lab-web/73e2d6bc24d8a067"
POLICY_ARN = "arn:aws:autoscaling:ap-northeast-2:123456789012:scalingPolicy:1:autoScalingGroupName/lab-web:policyName/cpu70"


def sample_snapshot(states=("healthy", "healthy", "initial", "draining")) -> Snapshot:
    subnets = []
    for i, az in enumerate(AZS):
        z = az[-1]
        subnets += [Subnet(f"subnet-pub{z}", "vpc-1", az, f"10.0.{i + 1}.0/24", f"lab-public-{z}", "public", "public", "rtb-pub", "igw-1"),
                    Subnet(f"subnet-app{z}", "vpc-1", az, f"10.0.{i + 11}.0/24", f"lab-private-{z}", "private", "app", f"rtb-priv{z}", "nat-1"),
                    Subnet(f"subnet-db{z}", "vpc-1", az, f"10.0.{i + 21}.0/24", f"lab-db-{z}", "private", "db", f"rtb-priv{z}", "nat-1")]
    ids = ["i-0aaa000000000001", "i-0ccc000000000002", "i-0aaa000000000003", "i-0ccc000000000004"]
    instances = [Instance(iid, f"subnet-app{'ac'[n % 2]}", AZS[n % 2], "running", f"10.0.{11 + n % 2}.{10 + n}", name="lab-web",
                          security_group_ids=["sg-app"], auto_scaling_group="lab-web",
                          lifecycle_state="Pending" if states[n] == "initial" else ("Terminating" if states[n] == "draining" else "InService"),
                          health_status="Healthy") for n, iid in enumerate(ids)]
    instances.append(Instance("i-0bbb00000000bast", "subnet-puba", AZS[0], "running", "10.0.1.5", "3.35.0.1", "lab-bastion",
                              ["sg-bastion"], role="bastion"))
    return Snapshot(
        region="ap-northeast-2", availability_zones=AZS, vpcs=[Vpc("vpc-1", "10.0.0.0/16", "lab-vpc")], subnets=subnets,
        gateways=[Gateway("igw-1", "internet", "vpc-1"), Gateway("nat-1", "nat", "vpc-1", "subnet-puba")],
        route_tables=[RouteTable("rtb-pub", "vpc-1", subnet_ids=["subnet-puba", "subnet-pubc"], routes={"0.0.0.0/0": "igw-1"})],
        security_groups=[SecurityGroup("sg-alb", "lab-alb-sg", "vpc-1", [SgRule("tcp/80", cidr="0.0.0.0/0")]),
                         SecurityGroup("sg-app", "lab-app-sg", "vpc-1", [SgRule("tcp/80", "sg-alb"), SgRule("tcp/22", "sg-bastion")]),
                         SecurityGroup("sg-db", "lab-db-sg", "vpc-1", [SgRule("tcp/3306", "sg-app")]),
                         SecurityGroup("sg-bastion", "lab-bastion-sg", "vpc-1", [SgRule("tcp/22", cidr="203.0.113.7/32")])],
        instances=instances,
        load_balancers=[LoadBalancer(ALB_ARN, "lab-alb", "lab-alb-1.ap-northeast-2.elb.amazonaws.com", vpc_id="vpc-1",
                                     subnet_ids=["subnet-puba", "subnet-pubc"], security_group_ids=["sg-alb"],
                                     listeners=[Listener("l-1", "HTTP", 80, [TG_ARN])])],
        target_groups=[TargetGroup(TG_ARN, "lab-web", vpc_id="vpc-1", health_check_path="/health", load_balancer_arns=[ALB_ARN],
                                   targets=[TargetHealth(iid, 80, st, "Elb.InitialHealthChecking" if st == "initial" else "")
                                            for iid, st in zip(ids, states)])],
        auto_scaling_groups=[AutoScalingGroup("lab-web", 2, 6, 4, ["subnet-appa", "subnet-appc"], [TG_ARN], "ELB", ids)],
        policies=[ScalingPolicy("cpu70", "lab-web", "TargetTrackingScaling", POLICY_ARN, "CPU 70%", ["TargetTracking-high"])],
        alarms=[Alarm("TargetTracking-lab-web-AlarmHigh", "ALARM", "CPUUtilization", "> 70", [POLICY_ARN]),
                Alarm("TargetTracking-lab-web-AlarmLow", "OK", "CPUUtilization", "< 63", [POLICY_ARN])],
        databases=[Database("lab-db", "mysql", "available", AZS[0], AZS[1], ["subnet-dba", "subnet-dbc"], ["sg-db"], True)],
        dns_records=[DnsRecord("example.com.", "api.example.com.", "A", "lab-alb-1.ap-northeast-2.elb.amazonaws.com.", True),
                     DnsRecord("example.com.", "www.example.com.", "A", "d111111abcdef8.cloudfront.net.", True)],
        distributions=[Distribution("E2QWRUHEXAMPLE", "d111111abcdef8.cloudfront.net", "Deployed",
                                    ["lab-site.s3.ap-northeast-2.amazonaws.com", "lab-alb-1.ap-northeast-2.elb.amazonaws.com"],
                                    {"*": "lab-site.s3.ap-northeast-2.amazonaws.com", "/api/*": "lab-alb-1.ap-northeast-2.elb.amazonaws.com"})],
        buckets=[Bucket("lab-site")],
    )
