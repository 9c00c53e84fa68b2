"""A lab's resources by type, count and key settings, read by its tag, with every ID and name left out (so a
lab and its copy made from the exported template compare equal when the copy is the same architecture)."""
from __future__ import annotations

import json
from typing import Any

from awslab.layers._base import tag_value
from awslab.layers.autoscaling import describe_autoscaling
from awslab.layers.compute import describe_compute
from awslab.layers.database import describe_database
from awslab.layers.edge import describe_edge
from awslab.layers.loadbalancing import describe_loadbalancing
from awslab.layers.network import describe_network
from awslab.layers.scaling import describe_scaling
from awslab.layers.security import describe_security


def _tier(tags: Any) -> str | None:
    return tag_value(tags, "awslab:tier")


def summary(lab: Any) -> dict[str, Any]:
    """Key settings by layer. Subnets, groups and policies are named by what they are (tier, role, kind)."""
    net = describe_network(lab)
    tiers = {s["SubnetId"]: f"{_tier(s.get('Tags'))}-{s['AvailabilityZone'][-1]}" for s in net["subnets"]}
    groups = describe_security(lab)["security_groups"]
    roles = {g["GroupId"]: tag_value(g.get("Tags"), "awslab:role") for g in groups}
    out: dict[str, Any] = {"network": _network(lab, net, tiers), "security": _security(groups, roles)}
    out["compute"] = _compute(lab, roles)
    out["loadbalancing"] = _loadbalancing(lab, tiers, roles)
    out["autoscaling"] = _autoscaling(lab, tiers)
    out["database"] = _database(lab, tiers, roles)
    out["edge"] = _edge(lab)
    return out


def _network(lab: Any, net: dict, tiers: dict) -> dict:
    ec2 = lab.client("ec2")
    tables = sorted((sorted("igw" if r.get("GatewayId", "").startswith("igw-") else "nat" for r in rt["Routes"]
                            if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
                     sorted(tiers[a["SubnetId"]] for a in rt.get("Associations", []) if a.get("SubnetId")))
                    for rt in net["route_tables"])
    return {"vpcs": [(v["CidrBlock"], ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute="enableDnsHostnames")[
                "EnableDnsHostnames"]["Value"]) for v in net["vpcs"]],
            "subnets": sorted((tiers[s["SubnetId"]], s["CidrBlock"], bool(s.get("MapPublicIpOnLaunch"))) for s in net["subnets"]),
            "internet_gateways": len(net["internet_gateways"]), "route_tables": tables,
            "nat_gateways": sorted(tiers[n["SubnetId"]] for n in net["nat_gateways"] if n["State"] in ("pending", "available")),
            "elastic_ips": len(ec2.describe_addresses(Filters=lab.lab_filters())["Addresses"])}


def _security(groups: list, roles: dict) -> list:
    return sorted((roles[g["GroupId"]], g["Description"],
                   sorted((p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"), r.get("CidrIp") or roles.get(r.get("GroupId")))
                          for p in g.get("IpPermissions", []) for r in p.get("IpRanges", []) + p.get("UserIdGroupPairs", [])))
                  for g in groups)


def _compute(lab: Any, roles: dict) -> list:
    found = describe_compute(lab)
    out = []
    for lt in found["launch_templates"]:
        data = next(v["LaunchTemplateData"] for v in found["launch_template_versions"]
                    if v["LaunchTemplateId"] == lt["LaunchTemplateId"] and v["VersionNumber"] == lt["DefaultVersionNumber"])
        out.append((data.get("InstanceType"), data.get("Monitoring"), data.get("MetadataOptions"),
                    sorted(roles[g] for g in data.get("SecurityGroupIds", [])), bool(data.get("UserData")),
                    bool(data.get("IamInstanceProfile"))))
    return out


def _loadbalancing(lab: Any, tiers: dict, roles: dict) -> dict:
    found = describe_loadbalancing(lab)
    elb = lab.client("elbv2")
    keys = ("Protocol", "Port", "TargetType", "HealthCheckProtocol", "HealthCheckPath", "HealthCheckIntervalSeconds",
            "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher")
    return {"target_groups": [([tg.get(k) for k in keys], [a["Value"] for a in elb.describe_target_group_attributes(
                TargetGroupArn=tg["TargetGroupArn"])["Attributes"] if a["Key"] == "deregistration_delay.timeout_seconds"])
                              for tg in found["target_groups"]],
            "load_balancers": [(lb["Scheme"], lb["Type"], sorted(tiers[z["SubnetId"]] for z in lb["AvailabilityZones"]),
                                sorted(roles[g] for g in lb.get("SecurityGroups", []))) for lb in found["load_balancers"]],
            "listeners": sorted((x["Port"], x["Protocol"], [a["Type"] for a in x["DefaultActions"]]) for x in found["listeners"])}


def _autoscaling(lab: Any, tiers: dict) -> dict:
    groups = describe_autoscaling(lab)["auto_scaling_groups"]
    out: dict[str, Any] = {"groups": [(g["MinSize"], g["MaxSize"], g["DesiredCapacity"], g["HealthCheckType"],
                                       g["HealthCheckGracePeriod"], g.get("DefaultInstanceWarmup"), g["DefaultCooldown"],
                                       sorted(tiers[s] for s in g["VPCZoneIdentifier"].split(",")), len(g["TargetGroupARNs"]),
                                       bool(g.get("EnabledMetrics")))
                                      for g in groups]}
    found = describe_scaling(lab)
    kinds = {p["PolicyARN"]: p["PolicyType"] for p in found["policies"]}
    keep = ("PolicyType", "AdjustmentType", "ScalingAdjustment", "Cooldown", "StepAdjustments", "MetricAggregationType",
            "EstimatedInstanceWarmup", "TargetTrackingConfiguration")
    out["policies"] = sorted(json.dumps(_numbers({k: p.get(k) for k in keep if p.get(k) not in (None, [], {})}), sort_keys=True)
                             for p in found["policies"])
    out["alarms"] = sorted((a["Namespace"], a["MetricName"], a["Statistic"], a["Period"], a["EvaluationPeriods"], a["Threshold"],
                            a["ComparisonOperator"], sorted(kinds.get(x, "?") for x in a["AlarmActions"]))
                           for a in found["alarms"] if not a["AlarmName"].startswith("TargetTracking-"))
    out["scheduled_actions"] = sorted((a["Recurrence"], a.get("MinSize"), a.get("MaxSize"), a.get("DesiredCapacity"),
                                       a.get("TimeZone")) for a in found["scheduled_actions"])
    return out


def _numbers(value: Any) -> Any:
    """Numbers as floats (the API may answer 1 where a template said "1"); the rest unchanged."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _database(lab: Any, tiers: dict, roles: dict) -> dict:
    found = describe_database(lab)
    return {"db_instances": [(i["Engine"], i["EngineVersion"], i["DBInstanceClass"], i["AllocatedStorage"], i.get("StorageType"),
                              i["MultiAZ"], i["Endpoint"]["Port"], i["PubliclyAccessible"], i["MasterUsername"],
                              sorted(roles[g["VpcSecurityGroupId"]] for g in i["VpcSecurityGroups"]))
                             for i in found["db_instances"]],
            "db_subnet_groups": [sorted(tiers[s["SubnetIdentifier"]] for s in g["Subnets"]) for g in found["db_subnet_groups"]]}


def _edge(lab: Any) -> dict:
    found = describe_edge(lab)
    s3, r53 = lab.client("s3"), lab.client("route53")
    zones = []
    for z in found["hosted_zones"]:
        zid = z["Id"].rsplit("/", 1)[-1]
        records = sorted((r["Name"], bool((r.get("AliasTarget") or {}).get("EvaluateTargetHealth")))
                         for r in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"] if r["Type"] == "A")
        zones.append((z["Name"], records))
    return {"hosted_zones": zones,
            "buckets": [_public_access_block(s3, b["Name"]) for b in found["buckets"]],
            "distributions": len(found["distributions"]), "origin_access_controls": len(found["origin_access_controls"])}


def _public_access_block(s3: Any, bucket: str) -> dict | None:
    try:
        return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        return None
