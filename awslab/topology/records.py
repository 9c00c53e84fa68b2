"""What discovery found, as small typed records: one dataclass per kind of AWS resource.

Discovery (:mod:`awslab.topology.discover`) fills a :class:`Snapshot` from the
``describe_*`` APIs; the graph model (:mod:`awslab.topology.model`) reads only
these records. Keeping the two apart means the model can be tested with
hand-made records, and the same picture can be drawn from any backend.

Field names are AWS's own, in snake_case (``lifecycle_state``, ``health_status``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Vpc", "Subnet", "Gateway", "RouteTable", "SecurityGroup", "SgRule", "Instance", "LoadBalancer", "Listener",
           "TargetGroup", "TargetHealth", "AutoScalingGroup", "ScalingPolicy", "Alarm", "Database", "DnsRecord",
           "Distribution", "Bucket", "Snapshot"]


@dataclass
class Vpc:
    vpc_id: str
    cidr_block: str = ""
    name: str = ""


@dataclass
class Subnet:
    """A subnet. ``tier`` is ``public`` when its route table sends 0.0.0.0/0 to an internet gateway.

    ``role`` refines a private subnet: ``db`` when a DB subnet group or an
    ``awslab:tier=db`` tag says so, else ``app``; public subnets have role ``public``.
    """

    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr_block: str = ""
    name: str = ""
    tier: str = "private"  # public | private
    role: str = "app"  # public | app | db
    route_table_id: str = ""
    default_route: str = ""  # igw-..., nat-..., or "" (no way out)


@dataclass
class Gateway:
    """An internet gateway (``igw-``) or NAT gateway (``nat-``)."""

    gateway_id: str
    kind: str  # internet | nat
    vpc_id: str = ""
    subnet_id: str = ""  # NAT gateways live in a (public) subnet
    state: str = "available"
    name: str = ""


@dataclass
class RouteTable:
    route_table_id: str
    vpc_id: str
    main: bool = False
    subnet_ids: list[str] = field(default_factory=list)
    routes: dict[str, str] = field(default_factory=dict)  # destination CIDR -> target id (igw-, nat-, local)
    name: str = ""


@dataclass
class SgRule:
    """One inbound rule: ``port`` (e.g. ``tcp/80``) from a security group or a CIDR."""

    port: str
    source_group_id: str = ""
    cidr: str = ""


@dataclass
class SecurityGroup:
    group_id: str
    group_name: str
    vpc_id: str = ""
    inbound: list[SgRule] = field(default_factory=list)


@dataclass
class Instance:
    """An EC2 instance, with its Auto Scaling membership when it has one.

    ``state`` is EC2's (pending, running, stopping, stopped, shutting-down,
    terminated); ``lifecycle_state`` and ``health_status`` are Auto Scaling's
    (InService / Healthy ...). ``role`` is ``bastion`` for the jump host.
    """

    instance_id: str
    subnet_id: str = ""
    availability_zone: str = ""
    state: str = "running"
    private_ip: str = ""
    public_ip: str = ""
    name: str = ""
    security_group_ids: list[str] = field(default_factory=list)
    auto_scaling_group: str = ""
    lifecycle_state: str = ""
    health_status: str = ""
    role: str = "app"  # app | bastion


@dataclass
class Listener:
    listener_arn: str
    protocol: str
    port: int
    default_target_group_arns: list[str] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)  # (condition text, target group arn)


@dataclass
class LoadBalancer:
    arn: str
    name: str
    dns_name: str = ""
    scheme: str = "internet-facing"
    state: str = "active"
    vpc_id: str = ""
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)


@dataclass
class TargetHealth:
    """One target's health in a target group: ``state`` is healthy | initial | unhealthy | draining | unused | unavailable."""

    target_id: str
    port: int | None = None
    state: str = "healthy"
    reason: str = ""
    description: str = ""


@dataclass
class TargetGroup:
    arn: str
    name: str
    protocol: str = "HTTP"
    port: int = 80
    vpc_id: str = ""
    health_check_path: str = "/"
    load_balancer_arns: list[str] = field(default_factory=list)
    targets: list[TargetHealth] = field(default_factory=list)


@dataclass
class AutoScalingGroup:
    name: str
    min_size: int = 0
    max_size: int = 0
    desired_capacity: int = 0
    subnet_ids: list[str] = field(default_factory=list)
    target_group_arns: list[str] = field(default_factory=list)
    health_check_type: str = "EC2"
    instance_ids: list[str] = field(default_factory=list)
    #: instance id -> (lifecycle state, health status), as DescribeAutoScalingGroups lists its instances.
    members: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class ScalingPolicy:
    policy_name: str
    auto_scaling_group: str
    policy_type: str = "TargetTrackingScaling"
    arn: str = ""
    summary: str = ""  # e.g. "CPU 70%" or "+2 instances"
    alarm_names: list[str] = field(default_factory=list)


@dataclass
class Alarm:
    """A CloudWatch alarm: ``state`` is OK | ALARM | INSUFFICIENT_DATA."""

    alarm_name: str
    state: str = "INSUFFICIENT_DATA"
    metric: str = ""
    threshold: str = ""
    action_arns: list[str] = field(default_factory=list)


@dataclass
class Database:
    """An RDS DB instance; ``secondary_availability_zone`` is its Multi-AZ standby's AZ."""

    identifier: str
    engine: str = ""
    status: str = "available"
    availability_zone: str = ""
    secondary_availability_zone: str = ""
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    multi_az: bool = False
    endpoint: str = ""


@dataclass
class DnsRecord:
    """A Route 53 record; ``target`` is the alias target's or the first value's DNS name."""

    zone_name: str
    name: str
    type: str = "A"
    target: str = ""
    alias: bool = False


@dataclass
class Distribution:
    """A CloudFront distribution: ``origins`` are origin domain names, ``paths`` maps path patterns to them."""

    distribution_id: str
    domain_name: str = ""
    status: str = "Deployed"
    origins: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)


@dataclass
class Bucket:
    name: str


@dataclass
class Snapshot:
    """Everything discovery found, at one moment. ``errors`` names the APIs that could not be read."""

    region: str = ""
    availability_zones: list[str] = field(default_factory=list)
    vpcs: list[Vpc] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)
    gateways: list[Gateway] = field(default_factory=list)
    route_tables: list[RouteTable] = field(default_factory=list)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    load_balancers: list[LoadBalancer] = field(default_factory=list)
    target_groups: list[TargetGroup] = field(default_factory=list)
    auto_scaling_groups: list[AutoScalingGroup] = field(default_factory=list)
    policies: list[ScalingPolicy] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    dns_records: list[DnsRecord] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def count(self) -> int:
        """How many resources the snapshot holds (targets and rules not counted)."""
        kinds = (self.vpcs, self.subnets, self.gateways, self.route_tables, self.security_groups, self.instances,
                 self.load_balancers, self.target_groups, self.auto_scaling_groups, self.policies, self.alarms,
                 self.databases, self.dns_records, self.distributions, self.buckets)
        return sum(len(k) for k in kinds)
