"""Lab 02, security groups: the seed's chain internet -> ALB -> app -> DB, each tier admitting only the one in front.

A rule names its source either by CIDR (``IpRanges``) or by another security group
(``UserIdGroupPairs``): "any network interface that carries that group". AWS's
reference: https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
"""
from __future__ import annotations

from typing import Any

from ..i18n import N_, _
from .network import the_vpc
from .probes import by_name, lab_items, label
from .registry import not_yet, ok, question, task

ANYWHERE = "0.0.0.0/0"


def group(lab: Any, role: str, task_id: str) -> dict:
    """The lab's ``<lab>-<role>-sg`` in its VPC (exactly one), or a not-yet naming the task that makes it."""
    v = the_vpc(lab)
    name = f"{lab.name}-{role}-sg"
    found = by_name([g for g in lab_items(lab, "describe_security_groups", "SecurityGroups") if g.get("VpcId") == v["VpcId"]], name)
    if not found:
        raise not_yet(_("There is no security group named {name} in {vpc} yet (task {task}).").format(
            name=name, vpc=v["VpcId"], task=task_id),
            f"aws ec2 create-security-group --group-name {name} --description '...' --vpc-id {v['VpcId']} "
            f"--tag-specifications 'ResourceType=security-group,Tags=[{{Key=Name,Value={name}}},{{Key=awslab:lab,Value={lab.name}}}]'")
    if len(found) > 1:
        raise not_yet(_("There are {n} security groups named {name}: {ids}. Delete the extra ones.").format(
            n=len(found), name=name, ids=", ".join(g["GroupId"] for g in found)),
            "\n".join(f"aws ec2 delete-security-group --group-id {g['GroupId']}" for g in found[1:]))
    return found[0]


def rules(g: dict, port: int) -> list[dict]:
    """The inbound TCP rules of ``g`` that admit ``port``."""
    return [p for p in g.get("IpPermissions", []) if p.get("IpProtocol") in ("tcp", "-1")
            and (p.get("IpProtocol") == "-1" or p.get("FromPort", 0) <= port <= p.get("ToPort", 65535))]


def cidrs(perms: list[dict]) -> list[str]:
    return [r["CidrIp"] for p in perms for r in p.get("IpRanges", [])]


def sources(perms: list[dict]) -> list[str]:
    return [pair["GroupId"] for p in perms for pair in p.get("UserIdGroupPairs", [])]


def _only_from_group(lab: Any, g: dict, port: int, source: dict, source_role: str) -> list[str]:
    """Check that ``port`` on ``g`` is admitted from ``source`` and from nothing else; returns what was found."""
    gid, name, mine = g["GroupId"], f"{lab.name}-{source_role}-sg", g.get("GroupName", "")
    perms = rules(g, port)
    open_to = cidrs(perms)
    if open_to:
        raise not_yet(
            _("{group} admits port {port} from {cidrs}: a CIDR, not the {source} group. {why}").format(
                group=label(gid, mine), port=port, cidrs=", ".join(open_to), source=name,
                why=_("Anything in that address range could connect, and if it is 0.0.0.0/0, anything on the internet "
                      "that reaches the instance. Admit the group instead, and remove the CIDR rule.")),
            f"aws ec2 revoke-security-group-ingress --group-id {gid} --protocol tcp --port {port} --cidr {open_to[0]}\n"
            f"aws ec2 authorize-security-group-ingress --group-id {gid} --protocol tcp --port {port} --source-group {source['GroupId']}")
    if source["GroupId"] not in sources(perms):
        raise not_yet(_("{group} does not admit port {port} from the {source} group ({sid}) yet.").format(
            group=label(gid, mine), port=port, source=name, sid=source["GroupId"]),
            f"aws ec2 authorize-security-group-ingress --group-id {gid} --protocol tcp --port {port} --source-group {source['GroupId']}")
    strangers = [s for s in sources(perms) if s != source["GroupId"]]
    if strangers:
        raise not_yet(_("{group} also admits port {port} from {others}; only the {source} group should reach it.").format(
            group=label(gid, mine), port=port, others=", ".join(strangers), source=name),
            f"aws ec2 revoke-security-group-ingress --group-id {gid} --protocol tcp --port {port} --source-group {strangers[0]}")
    return [f"{label(gid, mine)}: {port} ← {label(source['GroupId'], name)}"]


@task("02.1", N_("The ALB's security group: HTTP and HTTPS from the internet"))
def alb_group(lab: Any) -> Any:
    g = group(lab, "alb", "02.1")
    gid = g["GroupId"]
    for port in (80, 443):
        if ANYWHERE not in cidrs(rules(g, port)):
            raise not_yet(_("{group} does not admit port {port} from 0.0.0.0/0 yet. The ALB is the one door users come "
                            "through, from anywhere on the internet.").format(group=label(gid, g["GroupName"]), port=port),
                          f"aws ec2 authorize-security-group-ingress --group-id {gid} --protocol tcp --port {port} --cidr 0.0.0.0/0")
    extra = sorted({p.get("FromPort") for p in g.get("IpPermissions", [])} - {80, 443})
    if extra:
        raise not_yet(_("{group} also opens port(s) {ports} to the world; the ALB listens on 80 and 443 only. Close the "
                        "rest (least privilege).").format(group=label(gid, g["GroupName"]), ports=", ".join(map(str, extra))),
                      f"aws ec2 revoke-security-group-ingress --group-id {gid} --protocol tcp --port {extra[0]} --cidr 0.0.0.0/0")
    return ok(_("{group}: 80 and 443 from 0.0.0.0/0, nothing else.").format(group=label(gid, g["GroupName"])),
              [label(gid, g["GroupName"])])


@task("02.2", N_("The app servers' security group: port 80 from the ALB's group only"))
def app_group(lab: Any) -> Any:
    alb = group(lab, "alb", "02.1")
    app = group(lab, "app", "02.2")
    found = _only_from_group(lab, app, 80, alb, "alb")
    return ok(_("{group} admits 80 only from {source}: users reach the app only through the ALB.").format(
        group=app["GroupName"], source=alb["GroupName"]), found)


@task("02.3", N_("The database's security group: port 3306 from the app group only"))
def db_group(lab: Any) -> Any:
    app = group(lab, "app", "02.2")
    db = group(lab, "db", "02.3")
    found = _only_from_group(lab, db, 3306, app, "app")
    return ok(_("{group} admits 3306 only from {source}: only the app servers talk to the database.").format(
        group=db["GroupName"], source=app["GroupName"]), found)


question("02.q1", N_("The app answers a request the ALB sent it. Does the ALB's group need an inbound rule for that answer?"),
         [N_("Yes: an inbound rule for the app's port on the ALB's group."),
          N_("Yes: an inbound rule for the ephemeral ports 1024-65535."),
          N_("No: security groups are stateful; the answer to an allowed connection is always allowed back."),
          N_("No: answers never pass through security groups.")],
         answer=2,
         why=N_("Security groups track connections: once a connection is allowed in (or out), its return traffic flows "
                "without a rule. That is why each group in the chain only says who may START a connection. (Network "
                "ACLs are stateless and do need rules both ways.)"),
         hints={1: N_("That is what a stateless network ACL would need. Security groups remember the connection."),
                3: N_("They do pass through; they are allowed because the group remembers the connection they belong to.")})

question("02.q2", N_("Why does the app group name the ALB's group as its source, and not the public subnets' CIDRs?"),
         [N_("A group reference is faster to evaluate."),
          N_("The ALB's addresses change as it scales, and a CIDR would also admit everything else in those subnets "
             "(the NAT gateway, the bastion)."),
          N_("AWS does not allow CIDRs in inbound rules."),
          N_("The ALB has no IP addresses.")],
         answer=1,
         why=N_("A group reference means 'any network interface that carries that group', so the rule stays right while "
                "ALB nodes and servers come and go, and it admits the ALB and nothing else: least privilege."),
         hints={2: N_("CIDRs are allowed: the ALB's own group uses 0.0.0.0/0."),
                3: N_("It has one per node, in each public subnet; they change as it scales.")})

question("02.q3", N_("Which rule stops someone on the internet from reaching the database on 3306?"),
         [N_("A deny rule for 0.0.0.0/0 in the database's group."),
          N_("None is needed: a security group denies everything it does not allow."),
          N_("The NAT gateway blocks it."),
          N_("The internet gateway blocks port 3306.")],
         answer=1,
         why=N_("Security groups have no deny rules; they are allow-lists. The database's group allows 3306 from the app "
                "group and nothing else, so everything else is dropped. (It also sits in a private subnet with no "
                "public IP: two layers, defence in depth.)"),
         hints={0: N_("Security groups cannot deny: only network ACLs have deny rules.")})
