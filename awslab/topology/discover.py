"""Discovery: read the running architecture from the standard AWS APIs. A probe - it changes nothing.

Every call is a plain boto3 ``describe_*``/``list_*``, paginated, so it works the
same against the embedded cloud, LocalStack or a real account. The lab's own
resources are found by the ``awslab:lab`` tag where an API can filter on tags,
and otherwise by what they belong to (the lab's VPCs, load balancers, ASGs).
``scope="account"`` draws everything in the region instead.

A subnet is **public** when its route table (its own, or the VPC's main one)
sends ``0.0.0.0/0`` to an internet gateway (``igw-``); otherwise it is private.
"""
from __future__ import annotations

import dataclasses
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from .. import config
from ..lab import Lab
from .records import (Alarm, AutoScalingGroup, Bucket, Database, Distribution, DnsRecord, Gateway, Instance, Listener,
                      LoadBalancer, RouteTable, ScalingPolicy, SecurityGroup, SgRule, Snapshot, Subnet, TargetGroup,
                      TargetHealth, Vpc)
from ..i18n import _

__all__ = ["discover", "SCOPES"]
SCOPES = ("lab", "account")


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a describe call, page by page (never assume one page is everything)."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def _tag(tags: list[dict] | None, key: str) -> str:
    return next((t.get("Value", "") for t in tags or [] if t.get("Key") == key), "")


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def discover(lab: Lab, scope: str = "lab") -> Snapshot:
    """A :class:`Snapshot` of what is running now: ``scope="lab"`` (this lab's resources) or ``"account"``.

    A service that cannot be read (not enabled, no permission) is left out and
    named in ``snapshot.errors``; the rest is still drawn. Every step starts at once
    and waits only for the steps it reads (:data:`_STEPS`); boto3 clients are
    thread-safe, so a refresh costs about as much as its longest chain of calls.
    """
    if scope not in SCOPES:
        from ..errors import ValidationError

        raise ValidationError("scope", scope, _("scope is one of {items}").format(items=', '.join(SCOPES)),
                              _("Use scope='lab' for this lab's resources or scope='account' for everything in the region."))
    snap = Snapshot(region=lab.region)
    futures: dict[Any, Future] = {}

    def job(step, needs: tuple) -> str:
        for need in needs:
            futures[need].result()
        return _run(lab, snap, scope, step)

    # One thread per step (they mostly wait for answers), so nothing queues behind a step it doesn't
    # need. EC2's steps go first: while the cloud builds their (largest) answers, the other
    # services' clients are made here (the first discovery in a process spends ~0.3 s on that).
    with ThreadPoolExecutor(max_workers=len(_STEPS), thread_name_prefix="awslab-discover") as pool:
        for service, step, in_lab, in_account in _STEPS:
            lab.client(service)
            futures[step] = pool.submit(job, step, in_lab if scope == "lab" else in_account)
        for service, step, *_rest in _STEPS:
            error = futures[step].result()
            if error:
                snap.errors[f"{service}:{step.__name__.strip('_')}"] = error
    return snap


def _run(lab: Lab, snap: Snapshot, scope: str, step) -> str:
    """One discovery step; a service that can't be read becomes an entry in ``snap.errors`` (returned), not a failure."""
    try:
        step(lab, snap, scope)
        return ""
    except (ClientError, BotoCoreError) as e:
        return str(e)[:300]


# -- network ---------------------------------------------------------------------------------------

def _network(lab: Lab, snap: Snapshot, scope: str) -> None:
    ec2 = lab.client("ec2")
    mine = lab.lab_filters() if scope == "lab" else []
    snap.availability_zones = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])
    snap.vpcs = [Vpc(v["VpcId"], v.get("CidrBlock", ""), _tag(v.get("Tags"), "Name"))
                 for v in _pages(ec2, "describe_vpcs", "Vpcs", Filters=mine)]
    in_vpcs = [{"Name": "vpc-id", "Values": [v.vpc_id for v in snap.vpcs]}] if scope == "lab" else []
    if scope == "lab" and not snap.vpcs:
        return
    snap.route_tables = [_route_table(r) for r in _pages(ec2, "describe_route_tables", "RouteTables", Filters=in_vpcs)]
    snap.gateways = [Gateway(g["InternetGatewayId"], "internet", (g.get("Attachments") or [{}])[0].get("VpcId", ""),
                             name=_tag(g.get("Tags"), "Name"))
                     for g in _pages(ec2, "describe_internet_gateways", "InternetGateways",
                                     Filters=[{"Name": "attachment.vpc-id", "Values": in_vpcs[0]["Values"]}] if in_vpcs else [])]
    snap.subnets = sorted((_subnet(s, snap.route_tables) for s in _pages(ec2, "describe_subnets", "Subnets", Filters=in_vpcs)),
                          key=lambda s: (s.availability_zone, s.cidr_block))
    # NAT gateways by their subnet: the subnet is what places them (and some backends report a wrong VpcId).
    in_subnets = [{"Name": "subnet-id", "Values": [s.subnet_id for s in snap.subnets]}] if scope == "lab" else []
    vpc_of = {s.subnet_id: s.vpc_id for s in snap.subnets}
    snap.gateways += [Gateway(n["NatGatewayId"], "nat", vpc_of.get(n.get("SubnetId", ""), n.get("VpcId", "")), n.get("SubnetId", ""),
                              n.get("State", ""), _tag(n.get("Tags"), "Name"))
                      for n in _pages(ec2, "describe_nat_gateways", "NatGateways", Filter=in_subnets)
                      if n.get("State") not in ("deleted", "deleting", "failed") and (scope != "lab" or n.get("SubnetId") in vpc_of)]
    snap.security_groups = [_security_group(sg) for sg in _pages(ec2, "describe_security_groups", "SecurityGroups", Filters=in_vpcs)]


def _route_table(r: dict) -> RouteTable:
    routes = {}
    for route in r.get("Routes", []):
        dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or ""
        routes[dest] = route.get("GatewayId") or route.get("NatGatewayId") or route.get("TransitGatewayId") or \
            route.get("VpcPeeringConnectionId") or route.get("NetworkInterfaceId") or route.get("InstanceId") or ""
    assoc = r.get("Associations", [])
    return RouteTable(r["RouteTableId"], r.get("VpcId", ""), any(a.get("Main") for a in assoc),
                      [a["SubnetId"] for a in assoc if a.get("SubnetId")], routes, _tag(r.get("Tags"), "Name"))


def _subnet(s: dict, tables: list[RouteTable]) -> Subnet:
    """Public or private, judged by the 0.0.0.0/0 route of the subnet's route table (else the VPC's main one)."""
    sid, vpc = s["SubnetId"], s.get("VpcId", "")
    table = next((t for t in tables if sid in t.subnet_ids), None) or next((t for t in tables if t.main and t.vpc_id == vpc), None)
    default = table.routes.get("0.0.0.0/0", "") if table else ""
    tier = "public" if default.startswith("igw-") else "private"
    tagged = _tag(s.get("Tags"), "awslab:tier")
    name = _tag(s.get("Tags"), "Name")
    role = "public" if tier == "public" else ("db" if tagged == "db" or "-db" in name else "app")
    return Subnet(sid, vpc, s.get("AvailabilityZone", ""), s.get("CidrBlock", ""), name, tier, role,
                  table.route_table_id if table else "", default)


def _security_group(sg: dict) -> SecurityGroup:
    rules = []
    for p in sg.get("IpPermissions", []):
        proto = p.get("IpProtocol", "-1")
        port = "all" if proto == "-1" else f"{proto}/{p.get('FromPort')}" + (
            f"-{p.get('ToPort')}" if p.get("ToPort") not in (None, p.get("FromPort")) else "")
        rules += [SgRule(port, source_group_id=u.get("GroupId", "")) for u in p.get("UserIdGroupPairs", [])]
        rules += [SgRule(port, cidr=r.get("CidrIp", "")) for r in p.get("IpRanges", [])]
    return SecurityGroup(sg["GroupId"], sg.get("GroupName", ""), sg.get("VpcId", ""), rules)


# -- compute ---------------------------------------------------------------------------------------

#: Per (lab, scope): instance id -> (EC2 state, VPC id, record, or None for an instance outside the
#: lab's VPCs). DescribeInstances is the heaviest call (kilobytes per instance), so a refresh
#: re-reads only instances that are new or changed state, found through the much lighter
#: DescribeInstanceStatus (an instance never changes VPC, so an outsider stays one).
_INSTANCE_CACHE: "weakref.WeakKeyDictionary[Lab, dict[str, dict[str, tuple[str, str, Instance | None]]]]" = \
    weakref.WeakKeyDictionary()
#: DescribeInstances by instance id, this many ids a call, up to 4 calls side by side: the
#: server's response building overlaps the client's parsing, about twice as fast as one big call.
_DESCRIBE_CHUNK = 40


def _instance_record(i: dict) -> Instance:
    tags = i.get("Tags")
    name = _tag(tags, "Name")
    role = "bastion" if "bastion" in (name + _tag(tags, config.LAYER_TAG) + _tag(tags, "awslab:role")).lower() else "app"
    return Instance(i["InstanceId"], i.get("SubnetId", ""), i.get("Placement", {}).get("AvailabilityZone", ""),
                    i.get("State", {}).get("Name", ""), i.get("PrivateIpAddress", ""), i.get("PublicIpAddress", ""),
                    name, [g["GroupId"] for g in i.get("SecurityGroups", [])], role=role)


def _describe(ec2: Any, ids: list[str], vpcs: list[str] | None) -> dict[str, tuple[str, str, Instance]]:
    """Full records of ``ids`` (only those in ``vpcs`` unless it is None), in parallel chunks."""
    filters = [{"Name": "vpc-id", "Values": vpcs}] if vpcs is not None else []

    def chunk(part: list[str]) -> dict[str, tuple[str, str, Instance]]:
        return {i["InstanceId"]: (i.get("State", {}).get("Name", ""), i.get("VpcId", ""), _instance_record(i))
                for r in _pages(ec2, "describe_instances", "Reservations", InstanceIds=part, Filters=filters)
                for i in r.get("Instances", [])}

    parts = list(_chunks(ids, _DESCRIBE_CHUNK))
    if len(parts) <= 1:
        return chunk(parts[0]) if parts else {}
    out: dict[str, tuple[str, str, Instance]] = {}
    with ThreadPoolExecutor(max_workers=min(4, len(parts)), thread_name_prefix="awslab-describe") as pool:
        for found in pool.map(chunk, parts):
            out.update(found)
    return out


def _describe_all(ec2: Any, vpcs: list[str] | None) -> dict[str, tuple[str, str, Instance]]:
    """Every instance in ``vpcs`` (or in the region), read in full."""
    return {i["InstanceId"]: (i.get("State", {}).get("Name", ""), i.get("VpcId", ""), _instance_record(i))
            for r in _pages(ec2, "describe_instances", "Reservations",
                            Filters=[{"Name": "vpc-id", "Values": vpcs}] if vpcs is not None else [])
            for i in r.get("Instances", [])}


def _refresh_instances(lab: Lab, vpcs: list[str] | None) -> dict[str, tuple[str, str, Instance | None]]:
    """Every instance in the region (``vpcs`` None) or in ``vpcs``, re-describing only new or changed ones."""
    ec2 = lab.client("ec2")
    per_scope = _INSTANCE_CACHE.setdefault(lab, {})
    key = "account" if vpcs is None else ",".join(vpcs)  # other VPCs, other outsiders: start afresh
    cache = per_scope.get(key)
    if cache is None:  # the first read: everything in scope, in one paginated call (no status call first)
        per_scope[key] = _describe_all(ec2, vpcs)
        return per_scope[key]
    states = {s["InstanceId"]: s.get("InstanceState", {}).get("Name", "")
              for s in _pages(ec2, "describe_instance_status", "InstanceStatuses", IncludeAllInstances=True)}
    stale = [i for i, st in states.items() if i not in cache or cache[i][0] != st]
    try:
        fresh = _describe(ec2, stale, vpcs)
    except ClientError:  # an instance vanished between the two calls: read everything in scope again
        cache, stale = {}, list(states)
        fresh = _describe_all(ec2, vpcs)
    outsiders = {i: (states[i], "", None) for i in stale if i not in fresh}  # not returned: outside the VPCs
    cache = {i: v for i, v in {**cache, **outsiders, **fresh}.items() if i in states or i in fresh}
    per_scope[key] = cache
    return cache


def _instances(lab: Lab, snap: Snapshot, scope: str) -> None:
    """Instances in the lab's VPCs (ASG-launched ones included, tagged or not), with ASG membership."""
    if scope == "lab" and not snap.vpcs:
        return
    vpcs = sorted(v.vpc_id for v in snap.vpcs) if scope == "lab" else None
    found = [dataclasses.replace(rec) for _, _, rec in _refresh_instances(lab, vpcs).values() if rec is not None]
    snap.instances = sorted(found, key=lambda i: (i.availability_zone, i.subnet_id, i.instance_id))


def _membership(lab: Lab, snap: Snapshot, scope: str) -> None:
    """ASG membership, lifecycle and health of each instance, from the groups' own instance lists.

    DescribeAutoScalingGroups already lists every member with its LifecycleState and
    HealthStatus (the same records DescribeAutoScalingInstances returns), so no extra call.
    """
    for g in snap.auto_scaling_groups:
        for i in snap.instances:
            if i.instance_id in g.members:
                i.auto_scaling_group = g.name
                i.lifecycle_state, i.health_status = g.members[i.instance_id]


# -- load balancing --------------------------------------------------------------------------------

def _load_balancing(lab: Lab, snap: Snapshot, scope: str) -> None:
    elb = lab.client("elbv2")
    vpcs = {v.vpc_id for v in snap.vpcs}
    for lb in _pages(elb, "describe_load_balancers", "LoadBalancers"):
        if scope == "lab" and lb.get("VpcId") not in vpcs:
            continue
        item = LoadBalancer(lb["LoadBalancerArn"], lb["LoadBalancerName"], lb.get("DNSName", ""), lb.get("Scheme", ""),
                            lb.get("State", {}).get("Code", ""), lb.get("VpcId", ""),
                            [z["SubnetId"] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")], lb.get("SecurityGroups", []))
        for li in _pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=item.arn):
            item.listeners.append(_listener(elb, li))
        snap.load_balancers.append(item)
    for tg in _pages(elb, "describe_target_groups", "TargetGroups"):
        if scope == "lab" and tg.get("VpcId") not in vpcs:
            continue
        health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        snap.target_groups.append(TargetGroup(
            tg["TargetGroupArn"], tg["TargetGroupName"], tg.get("Protocol", ""), tg.get("Port", 0), tg.get("VpcId", ""),
            tg.get("HealthCheckPath", "/"), tg.get("LoadBalancerArns", []),
            [TargetHealth(h["Target"]["Id"], h["Target"].get("Port"), h.get("TargetHealth", {}).get("State", ""),
                          h.get("TargetHealth", {}).get("Reason", ""), h.get("TargetHealth", {}).get("Description", ""))
             for h in health]))


def _forward_targets(action: dict) -> list[str]:
    if action.get("TargetGroupArn"):
        return [action["TargetGroupArn"]]
    return [t["TargetGroupArn"] for t in action.get("ForwardConfig", {}).get("TargetGroups", [])]


def _listener(elb: Any, li: dict) -> Listener:
    out = Listener(li["ListenerArn"], li.get("Protocol", ""), li.get("Port", 0),
                   [arn for a in li.get("DefaultActions", []) for arn in _forward_targets(a)])
    for rule in _pages(elb, "describe_rules", "Rules", ListenerArn=li["ListenerArn"]):
        if rule.get("IsDefault"):
            continue
        cond = " & ".join(f"{c.get('Field')} {','.join(c.get('Values') or c.get('PathPatternConfig', {}).get('Values', []))}"
                          for c in rule.get("Conditions", []))
        out.rules += [(cond or "rule", arn) for a in rule.get("Actions", []) for arn in _forward_targets(a)]
    return out


# -- scaling ---------------------------------------------------------------------------------------

def _auto_scaling(lab: Lab, snap: Snapshot, scope: str) -> None:
    asg = lab.client("autoscaling")
    subnets = {s.subnet_id for s in snap.subnets}
    for g in _pages(asg, "describe_auto_scaling_groups", "AutoScalingGroups"):
        ids = [s for s in (g.get("VPCZoneIdentifier") or "").split(",") if s]
        if scope == "lab" and _tag(g.get("Tags"), config.LAB_TAG) != lab.name and not set(ids) & subnets:
            continue
        snap.auto_scaling_groups.append(AutoScalingGroup(
            g["AutoScalingGroupName"], g.get("MinSize", 0), g.get("MaxSize", 0), g.get("DesiredCapacity", 0), ids,
            g.get("TargetGroupARNs", []), g.get("HealthCheckType", "EC2"), [i["InstanceId"] for i in g.get("Instances", [])],
            {i["InstanceId"]: (i.get("LifecycleState", ""), i.get("HealthStatus", "")) for i in g.get("Instances", [])}))
    for g in snap.auto_scaling_groups:
        for p in _pages(asg, "describe_policies", "ScalingPolicies", AutoScalingGroupName=g.name):
            snap.policies.append(ScalingPolicy(p["PolicyName"], p["AutoScalingGroupName"], p.get("PolicyType", ""),
                                               p.get("PolicyARN", ""), _policy_summary(p),
                                               [a["AlarmName"] for a in p.get("Alarms", [])]))


def _policy_summary(p: dict) -> str:
    tt = p.get("TargetTrackingConfiguration")
    if tt:
        metric = tt.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType", "custom metric")
        return f"{metric.replace('ASGAverage', '')} {tt.get('TargetValue'):g}" if tt.get("TargetValue") is not None else metric
    if p.get("StepAdjustments"):
        steps = len(p["StepAdjustments"])
        return "1 step" if steps == 1 else "{steps} steps".format(steps=steps)
    if p.get("ScalingAdjustment") is not None:
        return f"{p['ScalingAdjustment']:+d} ({p.get('AdjustmentType', '')})"
    return ""


def _alarms(lab: Lab, snap: Snapshot, scope: str) -> None:
    """Alarms whose actions are the lab's scaling policies, or whose dimensions name the lab's ASGs / LBs / TGs."""
    cw = lab.client("cloudwatch")
    policies = {p.arn for p in snap.policies}
    names = {g.name for g in snap.auto_scaling_groups}
    names |= {lb.arn.split(":loadbalancer/")[-1] for lb in snap.load_balancers}
    names |= {tg.arn.split(":")[-1] for tg in snap.target_groups}
    for a in _pages(cw, "describe_alarms", "MetricAlarms"):
        dims = {d.get("Value", "") for d in a.get("Dimensions", [])}
        if scope == "lab" and not (set(a.get("AlarmActions", [])) & policies or dims & names or
                                   a["AlarmName"].startswith(lab.name + "-")):
            continue
        op = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">", "LessThanThreshold": "<",
              "LessThanOrEqualToThreshold": "<="}.get(a.get("ComparisonOperator", ""), "?")
        snap.alarms.append(Alarm(a["AlarmName"], a.get("StateValue", "INSUFFICIENT_DATA"), a.get("MetricName", ""),
                                 f"{op} {a.get('Threshold', 0):g}", a.get("AlarmActions", [])))


# -- data and edge ---------------------------------------------------------------------------------

def _databases(lab: Lab, snap: Snapshot, scope: str) -> None:
    vpcs = {v.vpc_id for v in snap.vpcs}
    for d in _pages(lab.client("rds"), "describe_db_instances", "DBInstances"):
        group = d.get("DBSubnetGroup") or {}
        if scope == "lab" and group.get("VpcId") not in vpcs:
            continue
        subnet_ids = [s["SubnetIdentifier"] for s in group.get("Subnets", [])]
        snap.databases.append(Database(
            d["DBInstanceIdentifier"], d.get("Engine", ""), d.get("DBInstanceStatus", ""), d.get("AvailabilityZone", ""),
            d.get("SecondaryAvailabilityZone", ""), subnet_ids, [g["VpcSecurityGroupId"] for g in d.get("VpcSecurityGroups", [])],
            bool(d.get("MultiAZ")), (d.get("Endpoint") or {}).get("Address", "")))
        for s in snap.subnets:
            if s.subnet_id in subnet_ids and s.role == "app":
                s.role = "db"  # a DB subnet group says what the subnet is for


def _buckets(lab: Lab, snap: Snapshot, scope: str) -> None:
    s3 = lab.client("s3")
    for b in s3.list_buckets().get("Buckets", []):
        if scope == "lab":
            try:
                tags = s3.get_bucket_tagging(Bucket=b["Name"]).get("TagSet", [])
            except ClientError:
                continue  # NoSuchTagSet: not the lab's
            if _tag(tags, config.LAB_TAG) != lab.name:
                continue
        snap.buckets.append(Bucket(b["Name"]))


def _distributions(lab: Lab, snap: Snapshot, scope: str) -> None:
    cf = lab.client("cloudfront")
    lbs = {lb.dns_name.lower() for lb in snap.load_balancers}
    buckets = {b.name.lower() for b in snap.buckets}
    for page in cf.get_paginator("list_distributions").paginate():
        for d in (page.get("DistributionList") or {}).get("Items", []):
            origins = {o["Id"]: o["DomainName"] for o in d.get("Origins", {}).get("Items", [])}
            if scope == "lab" and not _distribution_is_labs(cf, lab, d, origins, lbs, buckets):
                continue
            paths = {"default (*)": origins.get(d.get("DefaultCacheBehavior", {}).get("TargetOriginId"), "")}
            for cb in d.get("CacheBehaviors", {}).get("Items", []) or []:
                paths[cb["PathPattern"]] = origins.get(cb.get("TargetOriginId"), "")
            snap.distributions.append(Distribution(d["Id"], d.get("DomainName", ""), d.get("Status", ""), list(origins.values()), paths))


def _distribution_is_labs(cf: Any, lab: Lab, d: dict, origins: dict, lbs: set, buckets: set) -> bool:
    hosts = {o.lower() for o in origins.values()}
    if hosts & lbs or any(h.split(".s3")[0] in buckets for h in hosts):
        return True
    return _tag(cf.list_tags_for_resource(Resource=d["ARN"]).get("Tags", {}).get("Items", []), config.LAB_TAG) == lab.name


def _dns(lab: Lab, snap: Snapshot, scope: str) -> None:
    """Records that point at the lab's ALB or CloudFront (``lab`` scope), or every A/AAAA/CNAME record."""
    r53 = lab.client("route53")
    targets = {lb.dns_name.lower().rstrip(".") for lb in snap.load_balancers} | \
              {d.domain_name.lower().rstrip(".") for d in snap.distributions}
    for zone in _pages(r53, "list_hosted_zones", "HostedZones"):
        for r in _pages(r53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone["Id"]):
            if r.get("Type") not in ("A", "AAAA", "CNAME"):
                continue
            alias = r.get("AliasTarget")
            target = alias["DNSName"] if alias else next((v["Value"] for v in r.get("ResourceRecords", [])), "")
            if scope == "lab" and target.lower().rstrip(".").removeprefix("dualstack.") not in targets:
                continue
            snap.dns_records.append(DnsRecord(zone["Name"], r["Name"], r["Type"], target.removeprefix("dualstack."), bool(alias)))


#: (service, step, the steps it reads in "lab" scope, ... in "account" scope). The lab's VPCs scope
#: most reads, so in "lab" scope they wait for the network; in "account" scope only what links
#: resources waits (alarms -> policies, CDN -> ALB/S3, DNS -> both, membership -> instances).
_STEPS = [
    ("ec2", _network, (), ()),
    ("ec2", _instances, (_network,), ()),
    ("elbv2", _load_balancing, (_network,), ()),
    ("autoscaling", _auto_scaling, (_network,), ()),
    ("rds", _databases, (_network,), (_network,)),  # it marks the DB subnet group's subnets
    ("s3", _buckets, (), ()),
    ("cloudwatch", _alarms, (_auto_scaling, _load_balancing), (_auto_scaling, _load_balancing)),
    ("cloudfront", _distributions, (_load_balancing, _buckets), (_load_balancing, _buckets)),
    ("autoscaling", _membership, (_auto_scaling, _instances), (_auto_scaling, _instances)),
    ("route53", _dns, (_load_balancing, _distributions), (_load_balancing, _distributions)),
]
