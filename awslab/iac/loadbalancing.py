"""The load balancer layer as CloudFormation: the target group with its health check and deregistration delay,
the internet-facing ALB in the public subnets, and its listeners."""
from __future__ import annotations

from typing import Any

from ..layers.loadbalancing import describe_loadbalancing
from .template import GetAtt, Template

__all__ = ["export_loadbalancing"]

HEALTH_CHECK = ("HealthCheckProtocol", "HealthCheckPort", "HealthCheckPath", "HealthCheckIntervalSeconds",
                "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount")
#: The target group attributes a lab sets (the others keep AWS's defaults).
ATTRIBUTES = ("deregistration_delay.timeout_seconds",)


def export_loadbalancing(lab: Any, t: Template) -> None:
    found = describe_loadbalancing(lab)
    elb = lab.client("elbv2")
    for i, tg in enumerate(found["target_groups"]):
        attrs = elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
        props = {"Name": t.named(tg["TargetGroupName"]), "Protocol": tg["Protocol"], "Port": tg["Port"],
                 "VpcId": t.ref(tg.get("VpcId")), "TargetType": tg.get("TargetType"),
                 **{k: tg[k] for k in HEALTH_CHECK if k in tg}, "HealthCheckEnabled": tg.get("HealthCheckEnabled"),
                 "Matcher": {"HttpCode": tg["Matcher"]["HttpCode"]} if tg.get("Matcher", {}).get("HttpCode") else None,
                 "TargetGroupAttributes": [{"Key": a["Key"], "Value": a["Value"]} for a in attrs if a["Key"] in ATTRIBUTES],
                 "Tags": _tags(elb, t, tg["TargetGroupArn"])}
        t.add("TargetGroup" if i == 0 else f"TargetGroup{i + 1}", "AWS::ElasticLoadBalancingV2::TargetGroup", props,
              (tg["TargetGroupArn"],))
    for i, lb in enumerate(found["load_balancers"]):
        name = t.add("Alb" if i == 0 else f"Alb{i + 1}", "AWS::ElasticLoadBalancingV2::LoadBalancer", {
            "Name": t.named(lb["LoadBalancerName"]), "Type": lb.get("Type"), "Scheme": lb.get("Scheme"),
            "IpAddressType": lb.get("IpAddressType"),
            "Subnets": sorted((t.ref(z["SubnetId"]) for z in lb.get("AvailabilityZones", [])), key=str),
            "SecurityGroups": [t.ref(g) for g in lb.get("SecurityGroups", [])],
            "Tags": _tags(elb, t, lb["LoadBalancerArn"])}, (lb["LoadBalancerArn"],))
        t.refs.setdefault(lb["DNSName"], GetAtt(name, "DNSName"))
        t.refs.setdefault(lb.get("CanonicalHostedZoneId", "-"), GetAtt(name, "CanonicalHostedZoneID"))
    for x in found["listeners"]:
        _listener(t, elb, x)


def _listener(t: Template, elb: Any, x: dict) -> None:
    actions = []
    for a in x.get("DefaultActions", []):
        action = {k: v for k, v in a.items() if k in ("Type", "Order", "RedirectConfig", "FixedResponseConfig")}
        if a.get("TargetGroupArn"):
            action["TargetGroupArn"] = t.ref(a["TargetGroupArn"])
        actions.append(action)
    props: dict[str, Any] = {"LoadBalancerArn": t.ref(x["LoadBalancerArn"]), "Port": x["Port"], "Protocol": x["Protocol"],
                             "DefaultActions": actions, "SslPolicy": x.get("SslPolicy")}
    if x.get("Certificates"):
        props["Certificates"] = [{"CertificateArn": t.parameter(
            "CertificateArn", Type="String", Description="The ACM certificate (its ARN) the HTTPS listener presents")}]
    t.add(f"{x['Protocol'].capitalize()}{x['Port']}Listener", "AWS::ElasticLoadBalancingV2::Listener", props,
          (x["ListenerArn"],))


def _tags(elb: Any, t: Template, arn: str) -> list[dict]:
    return t.tags(elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0].get("Tags", []))
