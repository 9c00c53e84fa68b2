"""What a built lab is, read back by its tag: each resource's key settings, with IDs replaced by names.

Two builds of the same lab on two clouds (the Python build, and its CLI log replayed by the AWS CLI) give
equal snapshots when they built the same thing. ARNs, IDs, account ids and random suffixes are left out.
"""
from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from awslab.layers._base import lab_nat_gateways, paginate, tag_value
from awslab.layers.autoscaling import describe_autoscaling
from awslab.layers.database import describe_database
from awslab.layers.edge import describe_edge
from awslab.layers.loadbalancing import describe_loadbalancing
from awslab.layers.scaling import describe_scaling
from awslab.layers.teardown import find_lab_resources


def resource_counts(lab) -> Counter:
    """How many resources of each kind carry the lab's tag (the Auto Scaling group's instances and volumes left out:
    how many the group has launched so far depends on when you look)."""
    counts: Counter = Counter()
    for r in find_lab_resources(lab):
        kind = r.resource_type
        if kind == "arn":
            kind = r.resource_id.split(":")[5].split("/")[0]
        if kind not in ("instance", "volume"):
            counts[(r.service, kind)] += 1
    return counts


def snapshot(lab) -> dict[str, Any]:
    """The lab's resources and their key settings, by layer, found by tag."""
    names = _names(lab)
    return {"network": _network(lab, names), "security": _security(lab, names), "compute": _compute(lab, names),
            "database": _database(lab, names), "loadbalancing": _loadbalancing(lab, names),
            "autoscaling": _autoscaling(lab, names), "edge": _edge(lab)}


def _names(lab) -> dict[str, str]:
    """Every ID and ARN of the lab's EC2 and ELB resources -> its Name (so two clouds' IDs compare equal)."""
    ec2, elb = lab.client("ec2"), lab.client("elbv2")
    f = lab.lab_filters()
    out = {}
    for op, key, id_key in (("describe_subnets", "Subnets", "SubnetId"), ("describe_security_groups", "SecurityGroups", "GroupId"),
                            ("describe_vpcs", "Vpcs", "VpcId"), ("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
                            ("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId")):
        for x in paginate(ec2, op, key, Filters=f):
            out[x[id_key]] = tag_value(x.get("Tags"), "Name") or x.get("LaunchTemplateName")
    for n in lab_nat_gateways(lab):
        out[n["NatGatewayId"]] = tag_value(n.get("Tags"), "Name")
    for tg in paginate(elb, "describe_target_groups", "TargetGroups"):
        out[tg["TargetGroupArn"]] = tg["TargetGroupName"]
    for p in describe_scaling(lab)["policies"]:
        out[p["PolicyARN"]] = p["PolicyName"]
    return out


def _tags(tags: Any) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def _network(lab, names: dict) -> dict:
    ec2 = lab.client("ec2")
    f = lab.lab_filters()
    vpcs = list(paginate(ec2, "describe_vpcs", "Vpcs", Filters=f))
    dns = [ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] for v in vpcs]
    subnets = sorted((names[s["SubnetId"]], s["CidrBlock"], s["AvailabilityZone"], _tags(s["Tags"]).get("awslab:tier"),
                      s.get("MapPublicIpOnLaunch", False)) for s in paginate(ec2, "describe_subnets", "Subnets", Filters=f))
    tables = sorted((names.get(rt["RouteTableId"]) or _tags(rt["Tags"])["Name"],
                     sorted(("igw" if r.get("GatewayId", "").startswith("igw-") else names.get(r.get("NatGatewayId"), "local"))
                            for r in rt["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
                     sorted(names[a["SubnetId"]] for a in rt.get("Associations", []) if a.get("SubnetId")))
                    for rt in paginate(ec2, "describe_route_tables", "RouteTables", Filters=f))
    nats = sorted((_tags(n.get("Tags"))["Name"], names[n["SubnetId"]]) for n in lab_nat_gateways(lab))
    eips = sorted(_tags(a.get("Tags"))["Name"] for a in ec2.describe_addresses(Filters=f)["Addresses"])
    igws = sorted((names[i["InternetGatewayId"]], [names[a["VpcId"]] for a in i.get("Attachments", [])])
                  for i in paginate(ec2, "describe_internet_gateways", "InternetGateways", Filters=f))
    return {"vpcs": sorted(zip([v["CidrBlock"] for v in vpcs], dns)), "subnets": subnets, "route_tables": tables,
            "nat_gateways": nats, "elastic_ips": eips, "internet_gateways": igws}


def _security(lab, names: dict) -> dict:
    ec2 = lab.client("ec2")
    groups = []
    for g in paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=lab.lab_filters()):
        rules = sorted((p.get("FromPort"), p.get("ToPort"), r.get("CidrIp") or names.get(r.get("GroupId")))
                       for p in g.get("IpPermissions", []) for r in p.get("IpRanges", []) + p.get("UserIdGroupPairs", []))
        groups.append((g["GroupName"], g["Description"], rules))
    keys = sorted(k["KeyName"] for k in ec2.describe_key_pairs(Filters=lab.lab_filters())["KeyPairs"])
    return {"security_groups": sorted(groups), "key_pairs": keys}


def _user_data(encoded: str, secret_arn: str | None) -> str:
    text = base64.b64decode(encoded).decode()
    return text.replace(secret_arn, "<the DB secret>") if secret_arn else text


def _compute(lab, names: dict) -> dict:
    ec2, iam = lab.client("ec2"), lab.client("iam")
    live = [{"Name": "instance-state-name", "Values": ["pending", "running"]}, {"Name": "tag:awslab:layer", "Values": ["bastion"]}]
    bastions = [(i["InstanceType"], names[i["SubnetId"]], sorted(names[g["GroupId"]] for g in i["SecurityGroups"]), i.get("KeyName"),
                 bool(i.get("PublicIpAddress")), _tags(i["Tags"])) for r in paginate(ec2, "describe_instances", "Reservations",
                                                                            Filters=lab.lab_filters() + live) for i in r["Instances"]]
    secret = (describe_database(lab)["db_instances"] or [{}])[0].get("MasterUserSecret", {}).get("SecretArn")
    templates = []
    for lt in paginate(ec2, "describe_launch_templates", "LaunchTemplates", Filters=lab.lab_filters()):
        data = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"], Versions=["$Default"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        profile = data.get("IamInstanceProfile", {})
        templates.append((lt["LaunchTemplateName"], lt["DefaultVersionNumber"], data["InstanceType"], data.get("Monitoring"),
                          data.get("MetadataOptions"), data.get("KeyName"), sorted(names[g] for g in data.get("SecurityGroupIds", [])),
                          profile.get("Name") or profile.get("Arn", "").rsplit("/", 1)[-1],
                          sorted((t["ResourceType"], sorted(_tags(t["Tags"]).items())) for t in data.get("TagSpecifications", [])),
                          _user_data(data.get("UserData", ""), secret), _tags(lt.get("Tags"))))
    role_name, profile_name = lab.resource_name("app-role"), lab.resource_name("app-profile")
    role = iam.get_role(RoleName=role_name)["Role"]
    profile = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="read-db-secret")["PolicyDocument"]
    return {"bastions": bastions, "launch_templates": templates,
            "role": (role_name, role.get("Description"), _tags(role.get("Tags")), iam.list_role_policies(RoleName=role_name)["PolicyNames"],
                     json.dumps(policy, sort_keys=True).replace(secret or "-", "<the DB secret>")),
            "instance_profile": (profile_name, [r["RoleName"] for r in profile["Roles"]], _tags(profile.get("Tags")))}


def _database(lab, names: dict) -> dict:
    found = describe_database(lab)
    instances = [(i["DBInstanceIdentifier"], i["Engine"], i["EngineVersion"].split(".")[0], i["DBInstanceClass"], i["AllocatedStorage"],
                  i.get("StorageType"), i["MultiAZ"], i["Endpoint"]["Port"], i["PubliclyAccessible"], i["MasterUsername"],
                  i["DBSubnetGroup"]["DBSubnetGroupName"], sorted(names[g["VpcSecurityGroupId"]] for g in i["VpcSecurityGroups"]),
                  bool(i.get("MasterUserSecret")), _tags(i.get("TagList")), i["DBInstanceStatus"]) for i in found["db_instances"]]
    groups = [(g["DBSubnetGroupName"], g["DBSubnetGroupDescription"], sorted(names[s["SubnetIdentifier"]] for s in g["Subnets"]))
              for g in found["db_subnet_groups"]]
    return {"db_instances": instances, "db_subnet_groups": groups}


def _loadbalancing(lab, names: dict) -> dict:
    found = describe_loadbalancing(lab)
    elb = lab.client("elbv2")
    keys = ("Protocol", "Port", "TargetType", "HealthCheckProtocol", "HealthCheckPath", "HealthCheckIntervalSeconds",
            "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher")
    tgs = [(tg["TargetGroupName"], names[tg["VpcId"]], [tg.get(k) for k in keys],
            {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
             if a["Key"] == "deregistration_delay.timeout_seconds"}) for tg in found["target_groups"]]
    lbs = [(lb["LoadBalancerName"], lb["Scheme"], lb["Type"], lb.get("IpAddressType"), sorted(names[z["SubnetId"]] for z in lb["AvailabilityZones"]),
            sorted(names[g] for g in lb.get("SecurityGroups", []))) for lb in found["load_balancers"]]
    listeners = [(x["Port"], x["Protocol"], [(a["Type"], names[a["TargetGroupArn"]]) for a in x["DefaultActions"]],
                  _tags(elb.describe_tags(ResourceArns=[x["ListenerArn"]])["TagDescriptions"][0]["Tags"])) for x in found["listeners"]]
    return {"target_groups": tgs, "load_balancers": lbs, "listeners": listeners}


def _autoscaling(lab, names: dict) -> dict:
    groups = [(g["AutoScalingGroupName"], g["MinSize"], g["MaxSize"], g["DesiredCapacity"], g["HealthCheckType"],
               g["HealthCheckGracePeriod"], g.get("DefaultInstanceWarmup"), g["DefaultCooldown"],
               sorted(names[s] for s in g["VPCZoneIdentifier"].split(",")), sorted(names[t] for t in g["TargetGroupARNs"]),
               (names[g["LaunchTemplate"]["LaunchTemplateId"]], g["LaunchTemplate"]["Version"]),
               sorted(m["Metric"] for m in g.get("EnabledMetrics", [])),
               sorted((t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in g["Tags"]))
              for g in describe_autoscaling(lab)["auto_scaling_groups"]]
    found = describe_scaling(lab)
    keep = ("PolicyName", "PolicyType", "AdjustmentType", "ScalingAdjustment", "Cooldown", "StepAdjustments", "MetricAggregationType",
            "EstimatedInstanceWarmup", "TargetTrackingConfiguration")
    policies = sorted(json.dumps({k: p.get(k) for k in keep}, sort_keys=True) for p in found["policies"])
    cw = lab.client("cloudwatch")
    alarms = sorted((a["AlarmName"], a["Namespace"], a["MetricName"], a["Statistic"], a["Period"], a["EvaluationPeriods"], a["Threshold"],
                     a["ComparisonOperator"], sorted(names[x] for x in a["AlarmActions"]),
                     _tags(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]))
                    for a in found["alarms"] if not a["AlarmName"].startswith("TargetTracking-"))
    scheduled = sorted((a["ScheduledActionName"], a["Recurrence"], a.get("MinSize"), a.get("MaxSize"), a.get("DesiredCapacity"))
                       for a in found["scheduled_actions"])
    return {"groups": groups, "policies": policies, "alarms": alarms, "scheduled_actions": scheduled}


def _edge(lab) -> dict:
    found = describe_edge(lab)
    s3, r53, cf = lab.client("s3"), lab.client("route53"), lab.client("cloudfront")
    account = lab.client("sts").get_caller_identity()["Account"]
    buckets = []
    for b in found["buckets"]:
        block = s3.get_public_access_block(Bucket=b["Name"])["PublicAccessBlockConfiguration"]
        policy = json.loads(s3.get_bucket_policy(Bucket=b["Name"])["Policy"])["Statement"][0]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])]
        tags = _tags(s3.get_bucket_tagging(Bucket=b["Name"])["TagSet"])
        buckets.append((b["Name"].replace(account, "<account>"), block, policy["Principal"], policy["Action"], keys, tags))
    dists = []
    for d in found["distributions"]:
        c = cf.get_distribution_config(Id=d["Id"])["DistributionConfig"]
        tags = _tags(cf.list_tags_for_resource(Resource=d["ARN"])["Tags"]["Items"])
        dists.append((c["Comment"], c["Enabled"], c["DefaultRootObject"], c["PriceClass"], sorted(o["Id"] for o in c["Origins"]["Items"]),
                      [b["PathPattern"] for b in c.get("CacheBehaviors", {}).get("Items", [])], tags))
    zones = []
    for z in found["hosted_zones"]:
        zid = z["Id"].rsplit("/", 1)[-1]
        records = sorted((r["Name"], r["Type"], (r.get("AliasTarget") or {}).get("EvaluateTargetHealth"))
                         for r in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"] if r["Type"] == "A")
        tags = _tags(r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"]["Tags"])
        zones.append((z["Name"], z.get("Config", {}).get("Comment"), records, tags))
    oacs = [(o["Name"], o.get("SigningProtocol"), o.get("SigningBehavior"), o.get("OriginAccessControlOriginType"))
            for o in found["origin_access_controls"]]
    return {"buckets": buckets, "distributions": dists, "hosted_zones": zones, "origin_access_controls": oacs}
