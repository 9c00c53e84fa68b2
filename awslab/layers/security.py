"""Layer 2, security groups: the seed's defence in depth, "external -> ALB -> EC2 -> DB".

A **security group** is a firewall around each network interface. It only
*allows* (there are no deny rules), and it is **stateful**: when it lets a
request in, the reply goes out automatically, whatever the outbound rules say.
So the rules below only describe who may *start* a connection.

Four groups, one per tier, each admitting only the tier in front of it:

=========  =====================================  ====================================
group      inbound rule                           why
=========  =====================================  ====================================
alb        80, 443 from 0.0.0.0/0                 the one door the internet may use
app        app_port from the **alb group** only   users reach the app only via the ALB
           22 from the **bastion group** only     admins reach it only via the bastion
db         db_port from the **app group** only    only the app talks to the database
bastion    22 from ``admin_cidr`` (your IP /32)   the jump host, open to you alone
=========  =====================================  ====================================

Why does the app group name the ALB *group* (``--source-group``) rather than a
CIDR? The ALB's nodes change address as it scales, and Auto Scaling replaces app
servers all the time. A group reference means "any interface that carries that
group", so the rule stays right while addresses come and go, and a CIDR such as
the public subnet's would also let in anything else placed in that subnet.
This is least privilege: each tier can be reached only from the tier in front.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import config
from ..errors import SecurityError, ValidationError
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tags, paginate, tag_spec
from .network import Network
from ..i18n import _

LAYER = "security"
__all__ = ["SecuritySpec", "SecurityGroups", "ENGINE_PORTS", "build_security", "ensure_security_group",
           "ensure_ingress", "describe_security"]

#: Each engine's default port (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ConnectToInstance.html).
ENGINE_PORTS = {"mysql": 3306, "mariadb": 3306, "postgres": 5432}


#: What each group is for, as the console shows it to students.
DESCRIPTIONS = {
    "alb": "ALB: HTTP 80 and HTTPS 443 from anywhere (0.0.0.0/0) - the only door from the internet",
    "app": "App servers: app port from the ALB group only, SSH 22 from the bastion group only",
    "db": "Database: DB port from the app group only - never from the internet",
    "bastion": "Bastion: SSH 22 from the admin CIDR only (your own public IP /32)",
}


@dataclass
class SecuritySpec:
    """What to allow. Defaults: the web app on 80, MySQL on 3306, SSH from your machine only.

    ``admin_cidr`` is where you SSH from. On the embedded cloud ``127.0.0.1``
    stands for *your machine on the internet* (the data plane maps AWS's private
    addresses to other loopback addresses), so the default ``127.0.0.1/32``
    admits you and nobody else. On real AWS, use your own public IP with /32
    (``curl https://checkip.amazonaws.com``). ``0.0.0.0/0`` for SSH is refused
    unless ``allow_ssh_from_anywhere=True``. ``db_port`` is the engine's port:
    3306 for MySQL/MariaDB, 5432 for PostgreSQL (see ``ENGINE_PORTS``).
    """

    app_port: int = 80
    db_port: int = 3306
    admin_cidr: str = "127.0.0.1/32"
    allow_ssh_from_anywhere: bool = False


@dataclass
class SecurityGroups(Built):
    """The four groups, one per tier, and the ports they open."""

    alb_sg_id: str
    app_sg_id: str
    db_sg_id: str
    bastion_sg_id: str
    vpc_id: str
    app_port: int
    db_port: int
    admin_cidr: str
    created: list[str] = field(default_factory=list)


def check_spec(spec: SecuritySpec | None) -> SecuritySpec:
    """Check the spec before any AWS call; return it with its defaults."""
    spec = spec_types.spec(spec, SecuritySpec, "security")
    validate_spec(spec)
    return spec


def validate_spec(spec: SecuritySpec | None) -> str:
    """Check ports and the admin CIDR before any AWS call; return the CIDR in canonical form."""
    spec = spec_types.spec(spec, SecuritySpec, "security")
    validate.port("app_port", spec.app_port)
    validate.port("db_port", spec.db_port)
    if spec.app_port == 22:
        raise ValidationError("app_port", 22, _("port 22 is SSH, which the app group takes from the bastion group only"),
                              _("Serve the app on another port, e.g. 80 or 8080."))
    if spec.app_port == spec.db_port:
        raise ValidationError("db_port", spec.db_port, _("it is the app's port too ({app_port}); tiers need their own ports").format(app_port=spec.app_port),
                              _("Use the engine's port: 3306 for MySQL, 5432 for PostgreSQL."))
    net = validate.cidr_block("admin_cidr", spec.admin_cidr, (0, 32))
    if net.prefixlen == 0 and not spec.allow_ssh_from_anywhere:
        raise ValidationError(
            "admin_cidr", spec.admin_cidr,
            _("0.0.0.0/0 opens SSH to the whole internet; bots scan port 22 around the clock and try stolen and weak keys"),
            _("Use your own public IP with /32 (curl https://checkip.amazonaws.com); on the embedded cloud, 127.0.0.1/32. "
            "If you really mean it, pass SecuritySpec(allow_ssh_from_anywhere=True)."))
    return str(net)


def build_security(lab: Lab, network: Network, spec: SecuritySpec | None = None) -> SecurityGroups:
    """Ensure the four security groups and their inbound rules in ``network``'s VPC."""
    spec = spec_types.spec(spec, SecuritySpec, "security")
    admin_cidr = validate_spec(spec)
    created: list[str] = []
    ids = {role: ensure_security_group(lab, network.vpc_id, role, created) for role in ("alb", "bastion", "app", "db")}
    rules = [
        ("alb", 80, {"cidr": "0.0.0.0/0"}, "HTTP from the internet"),
        ("alb", 443, {"cidr": "0.0.0.0/0"}, "HTTPS from the internet"),
        ("app", spec.app_port, {"source": "alb"}, "App traffic from the ALB only"),
        ("app", 22, {"source": "bastion"}, "SSH from the bastion only"),
        ("db", spec.db_port, {"source": "app"}, "Database traffic from the app servers only"),
        ("bastion", 22, {"cidr": admin_cidr}, "SSH from the admin CIDR only"),
    ]
    for role, port, source, why in rules:
        source_group = source.get("source")
        ensure_ingress(lab, ids[role], role, port, created, cidr=source.get("cidr"),
                       source_group_id=ids[source_group] if source_group else None, source_role=source_group, description=why)
    return SecurityGroups(ids["alb"], ids["app"], ids["db"], ids["bastion"], network.vpc_id, spec.app_port, spec.db_port,
                          admin_cidr, created)


def _var(role: str) -> str:
    return f"{role.upper()}_SG_ID"


def ensure_security_group(lab: Lab, vpc_id: str, role: str, created: list[str]) -> str:
    """The ``role`` group (alb, app, db or bastion) in the VPC, found by its tags before it is created."""
    ec2 = lab.client("ec2")
    name = lab.resource_name(f"{role}-sg")
    description = DESCRIPTIONS[role]
    tags = lab.tags(name, LAYER, **{"awslab:role": role})
    found = list(paginate(ec2, "describe_security_groups", "SecurityGroups",
                          Filters=lab.lab_filters(name) + [{"Name": "vpc-id", "Values": [vpc_id]}]))
    if found:
        group_id = found[0]["GroupId"]
    else:
        group_id = call(ec2.create_security_group, _("creating the {role} security group").format(
            role=role), error=SecurityError,
                        GroupName=name, Description=description, VpcId=vpc_id,
                        TagSpecifications=tag_spec(tags, "security-group"))["GroupId"]
        created.append(group_id)
    lab.record(f"security/{role}-sg", ["aws", "ec2", "create-security-group", "--group-name", name, "--description", description,
               "--vpc-id", "$VPC_ID", "--tag-specifications", cli_tags("security-group", tags)],
               _("The {role} security group").format(role=role),
               var=_var(role), query="GroupId")
    return group_id


def _has_rule(permissions: list[dict], port: int, cidr: str | None, source_group_id: str | None) -> bool:
    """Does an existing inbound rule already allow TCP ``port`` from this CIDR or group?"""
    for p in permissions:
        if p.get("IpProtocol") != "tcp" or not p.get("FromPort", -1) <= port <= p.get("ToPort", -1):
            continue
        if cidr and any(r.get("CidrIp") == cidr for r in p.get("IpRanges", [])):
            return True
        if source_group_id and any(g.get("GroupId") == source_group_id for g in p.get("UserIdGroupPairs", [])):
            return True
    return False


def ensure_ingress(lab: Lab, group_id: str, role: str, port: int, created: list[str], cidr: str | None = None,
                   source_group_id: str | None = None, source_role: str | None = None, description: str = "") -> None:
    """Allow TCP ``port`` into ``group_id`` from a CIDR or from another group, unless a rule already does.

    AWS refuses an exact duplicate (``InvalidPermission.Duplicate``); some emulators
    add it twice. Either way, we compare with the group's ``IpPermissions`` first.
    """
    ec2 = lab.client("ec2")
    tags = lab.tags(lab.resource_name(f"{role}-ingress-{port}"), LAYER)
    groups = call(ec2.describe_security_groups, _("reading the {role} group's rules").format(
        role=role), error=SecurityError, GroupIds=[group_id])
    if not _has_rule(groups["SecurityGroups"][0].get("IpPermissions", []), port, cidr, source_group_id):
        permission: dict = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        if cidr:
            permission["IpRanges"] = [{"CidrIp": cidr, "Description": description}]
        else:
            permission["UserIdGroupPairs"] = [{"GroupId": source_group_id, "Description": description}]
        result = call(ec2.authorize_security_group_ingress, _("opening port {port} on the {role} group").format(
            port=port, role=role), error=SecurityError,
                      GroupId=group_id, IpPermissions=[permission], TagSpecifications=tag_spec(tags, "security-group-rule"))
        created.extend(r["SecurityGroupRuleId"] for r in result.get("SecurityGroupRules", []) if "SecurityGroupRuleId" in r)
    source = ["--cidr", cidr] if cidr else ["--source-group", f"${_var(source_role or '')}"]
    lab.record(f"security/{role}-ingress-{port}", ["aws", "ec2", "authorize-security-group-ingress", "--group-id", f"${_var(role)}",
               "--protocol", "tcp", "--port", str(port), *source, "--tag-specifications", cli_tags("security-group-rule", tags)],
               description)


def describe_security(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's security groups with their rules, as AWS describes them. Changes nothing."""
    ec2 = lab.client("ec2")
    filters = lab.lab_filters() + [{"Name": f"tag:{config.LAYER_TAG}", "Values": [LAYER]}]
    return {"security_groups": list(paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=filters))}
