"""EC2 security-group rules: a rule is its protocol, ports and source, not its description.

AWS's RevokeSecurityGroupIngress reference: "If the security group rule has a
description, you do not need to specify the description to revoke the rule."
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html).
moto 5.2.5 compares a group-sourced rule's whole ``source_group`` dict,
description included, so ``revoke`` without the description answers
``InvalidPermission.NotFound`` and ``authorize`` of the same rule with another
description is not a duplicate. Patched: ``SecurityGroupRule.__eq__`` compares
the source group without its description (CIDR sources already compare by CIDR alone).

A VPC's default security group "allows inbound traffic from network interfaces (and their associated
instances) that are assigned to the same security group" and all outbound traffic
(https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html). moto 5.2.5 creates it
with the outbound rule only, so an ALB and instances that all sit in the default group (created
without groups) could not reach each other. Patched: ``SecurityGroupBackend.create_security_group``
gives a default group its inbound rule from itself (all protocols).
"""
from __future__ import annotations

from typing import Any

from moto.ec2.models.security_groups import SecurityGroupBackend, SecurityGroupRule

__all__ = ["install"]

_ORIG: dict[str, Any] = {}


def _source(rule: Any) -> dict:
    return {k: v for k, v in (rule.source_group or {}).items() if k != "Description"}


def _rule_eq(self: Any, other: Any) -> bool:
    if not isinstance(other, SecurityGroupRule):
        return NotImplemented
    if _source(self) != _source(other):
        return False
    # Same source once descriptions are set aside: moto's own comparison decides the rest.
    mine, theirs = self.source_group, other.source_group
    try:
        self.source_group = other.source_group = _source(self) or mine
        return _ORIG["eq"](self, other)
    finally:
        self.source_group, other.source_group = mine, theirs


def _create_security_group(self: Any, *args: Any, **kwargs: Any) -> Any:
    group = _ORIG["create"](self, *args, **kwargs)
    if group.is_default and group.vpc_id:
        self.authorize_security_group_ingress(group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}],
                                              vpc_id=group.vpc_id)
    return group


def install() -> None:
    if _ORIG:
        return
    _ORIG["create"] = SecurityGroupBackend.create_security_group
    SecurityGroupBackend.create_security_group = _create_security_group
    _ORIG["eq"] = SecurityGroupRule.__eq__
    SecurityGroupRule.__eq__ = _rule_eq
    SecurityGroupRule.__hash__ = None  # as before: rules are compared, never hashed
