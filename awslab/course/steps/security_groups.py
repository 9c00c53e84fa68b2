"""Lab 02's catch-up steps: the ALB, app and database groups with the chain's rules (the builder's own ensure_* calls)."""
from __future__ import annotations

from typing import Any

from ..prepare import step

#: role -> (port, the role of its source group, or None for the internet)
CHAIN = {"alb": ((80, None), (443, None)), "app": ((80, "alb"),), "db": ((3306, "app"),)}


def _ensure(lab: Any, resources: dict, role: str) -> dict:
    from ...checks.network import the_vpc
    from ...layers.security import ensure_ingress, ensure_security_group

    vpc_id = the_vpc(lab)["VpcId"]
    gid = ensure_security_group(lab, vpc_id, role, [])
    for port, source in CHAIN[role]:
        ensure_ingress(lab, gid, role, port, [], cidr=None if source else "0.0.0.0/0",
                       source_group_id=resources.get(f"{source}_sg_id") if source else None, source_role=source)
    return {f"{role}_sg_id": gid}


@step("02.1")
def _alb(lab: Any, resources: dict) -> dict:
    return _ensure(lab, resources, "alb")


@step("02.2")
def _app(lab: Any, resources: dict) -> dict:
    return _ensure(lab, resources, "app")


@step("02.3")
def _db(lab: Any, resources: dict) -> dict:
    return _ensure(lab, resources, "db")
