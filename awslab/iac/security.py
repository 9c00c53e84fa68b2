"""Security groups as CloudFormation: one ``AWS::EC2::SecurityGroup`` per tier, and each inbound rule as an
``AWS::EC2::SecurityGroupIngress`` of its own, so a rule naming another group (``SourceSecurityGroupId:
!Ref AlbSecurityGroup``) never makes two groups wait for each other."""
from __future__ import annotations

from typing import Any

from ..layers._base import tag_value
from ..layers.security import describe_security
from .template import Template, logical_id

__all__ = ["export_security"]


def export_security(lab: Any, t: Template) -> None:
    groups = describe_security(lab)["security_groups"]
    for g in groups:
        role = tag_value(g.get("Tags"), "awslab:role") or g["GroupName"]
        t.add(logical_id(role, "security", "group"), "AWS::EC2::SecurityGroup", {
            "GroupName": t.named(g["GroupName"]), "GroupDescription": g["Description"], "VpcId": t.ref(g.get("VpcId")),
            "Tags": t.tags(g.get("Tags"))}, (g["GroupId"],))
    for g in groups:
        for p in g.get("IpPermissions", []):
            for source in p.get("IpRanges", []) + p.get("UserIdGroupPairs", []):
                _ingress(t, g["GroupId"], p, source)


def _ingress(t: Template, group_id: str, permission: dict, source: dict) -> None:
    group = t.ref(group_id)
    port = permission.get("FromPort")
    rule: dict[str, Any] = {"GroupId": group, "IpProtocol": permission["IpProtocol"], "FromPort": port,
                            "ToPort": permission.get("ToPort"), "Description": source.get("Description") or None}
    if "CidrIp" in source:
        rule["CidrIp"] = source["CidrIp"]
        origin = "anywhere" if source["CidrIp"] == "0.0.0.0/0" else "cidr"
    else:
        rule["SourceSecurityGroupId"] = t.ref(source["GroupId"])
        origin = getattr(rule["SourceSecurityGroupId"], "name", "group").removesuffix("SecurityGroup")
    owner = getattr(group, "name", "Group").removesuffix("SecurityGroup")
    t.add(logical_id(owner, "ingress", str(port if port is not None else "all"), "from", origin),
          "AWS::EC2::SecurityGroupIngress", rule)
