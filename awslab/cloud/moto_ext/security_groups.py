"""EC2 security-group rules: a rule is its protocol, ports and source, not its description.

AWS's RevokeSecurityGroupIngress reference: "If the security group rule has a
description, you do not need to specify the description to revoke the rule."
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html).
moto 5.2.5 compares a group-sourced rule's whole ``source_group`` dict,
description included, so ``revoke`` without the description answers
``InvalidPermission.NotFound`` and ``authorize`` of the same rule with another
description is not a duplicate. Patched: ``SecurityGroupRule.__eq__`` compares
the source group without its description (CIDR sources already compare by CIDR alone).
"""
from __future__ import annotations

from typing import Any

from moto.ec2.models.security_groups import SecurityGroupRule

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


def install() -> None:
    if _ORIG:
        return
    _ORIG["eq"] = SecurityGroupRule.__eq__
    SecurityGroupRule.__eq__ = _rule_eq
    SecurityGroupRule.__hash__ = None  # as before: rules are compared, never hashed
