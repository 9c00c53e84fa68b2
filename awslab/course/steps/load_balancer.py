"""Lab 06's catch-up steps: the ALB, its HTTP:80 listener, the /api/* rule with its target group, the /admin/* rule."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..prepare import step

__all__: list[str] = []

#: The priorities the lesson gives its two rules (a rule that is already taken moves on to the next free one).
API_PRIORITY, ADMIN_PRIORITY = 10, 20


def _free_priority(lab: Any, listener_arn: str, wanted: int) -> int:
    taken = {int(r["Priority"]) for r in lab.client("elbv2").describe_rules(ListenerArn=listener_arn)["Rules"]
             if not r.get("IsDefault")}
    while wanted in taken:
        wanted += 1
    return wanted


@step("06.1")
def _alb(lab: Any, resources: dict) -> dict:
    from ...checks.load_balancer import public_subnets
    from ...checks.security_groups import group
    from ...layers.loadbalancing import ensure_alb

    public = public_subnets(lab)
    network = SimpleNamespace(subnet_ids=lambda tier: [s["SubnetId"] for s in public])
    lb = ensure_alb(lab, f"{lab.name}-alb", network, group(lab, "alb", "02.1")["GroupId"], [])
    return {"load_balancer_arn": lb["LoadBalancerArn"], "dns_name": lb["DNSName"]}


@step("06.2")
def _listener(lab: Any, resources: dict) -> dict:
    from ...checks.health_checks import the_target_group
    from ...layers.loadbalancing import ensure_listener

    tg_arn = the_target_group(lab)["TargetGroupArn"]
    arn = ensure_listener(lab, resources["load_balancer_arn"], tg_arn, 80, [])
    return {"listener_arn": arn, "target_group_arn": tg_arn}


@step("06.3")
def _api_rule(lab: Any, resources: dict) -> dict:
    from ...checks.load_balancer import API_PATH, forwards_to
    from ...checks.network import the_vpc

    elb, name = lab.client("elbv2"), f"{lab.name}-api-tg"
    try:
        api = elb.describe_target_groups(Names=[name])["TargetGroups"][0]
    except elb.exceptions.TargetGroupNotFoundException:
        api = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=the_vpc(lab)["VpcId"],
                                      HealthCheckPath="/health",
                                      Tags=lab.tags(name, "loadbalancing"))["TargetGroups"][0]
    listener = resources["listener_arn"]
    rules = elb.describe_rules(ListenerArn=listener)["Rules"]
    if not any(api["TargetGroupArn"] in forwards_to(a) for r in rules for a in r["Actions"]):
        elb.create_rule(ListenerArn=listener, Priority=_free_priority(lab, listener, API_PRIORITY),
                        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [API_PATH]}}],
                        Actions=[{"Type": "forward", "TargetGroupArn": api["TargetGroupArn"]}])
    return {"api_target_group_arn": api["TargetGroupArn"]}


@step("06.4")
def _admin_rule(lab: Any, resources: dict) -> dict:
    from ...checks.load_balancer import ADMIN_PATH, ADMIN_STATUS, path_patterns

    elb, listener = lab.client("elbv2"), resources["listener_arn"]
    if not any(ADMIN_PATH in path_patterns(r) for r in elb.describe_rules(ListenerArn=listener)["Rules"]):
        elb.create_rule(ListenerArn=listener, Priority=_free_priority(lab, listener, ADMIN_PRIORITY),
                        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [ADMIN_PATH]}}],
                        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                            "StatusCode": ADMIN_STATUS, "ContentType": "text/plain", "MessageBody": "Forbidden"}}])
    return {}
