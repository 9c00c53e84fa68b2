"""A lab's live resources, layer by layer: what ``awslab status`` lists.

It asks the same finder teardown uses (:func:`awslab.layers.teardown.find_lab_resources`),
so it lists only what is alive: a deleted NAT gateway or a terminated
instance, which AWS keeps showing for a while, is not part of the lab any
more. Each resource goes under the layer its ``awslab:layer`` tag names.
A probe: it changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import config
from ..lab import Lab
from ._base import paginate

__all__ = ["LabResource", "LabInventory", "lab_inventory", "lab_names"]

#: The layer of a resource whose tag the Resource Groups Tagging API does not show (moto's leaves some out).
LAYER_OF_KIND = {"VPC": "network", "subnet": "network", "route table": "network", "internet gateway": "network",
                 "NAT gateway": "network", "elastic IP": "network", "security group": "security", "key pair": "keys",
                 "launch template": "compute", "IAM role": "compute", "instance profile": "compute",
                 "Auto Scaling group": "autoscaling", "origin access control": "edge", "hosted zone": "edge"}
#: AWS's names for the kinds teardown's finder reports.
KIND = {"vpc": "VPC", "elastic-ip": "elastic IP", "nat-gateway": "NAT gateway", "role": "IAM role",
        "auto-scaling-group": "Auto Scaling group"}
#: ARN resource types (the part before the name), in AWS's words.
ARN_KIND = {"volume": "EBS volume", "loadbalancer": "load balancer", "targetgroup": "target group", "alarm": "alarm",
            "db": "DB instance", "subgrp": "DB subnet group", "distribution": "CloudFront distribution",
            "secret": "secret", "hostedzone": "hosted zone", "policy": "IAM policy"}


@dataclass(frozen=True)
class LabResource:
    """One live resource of a lab: its layer, its kind in AWS's words, and its name or id."""

    layer: str
    kind: str
    name: str


@dataclass
class LabInventory:
    """Every live resource of ``lab``, grouped by layer in build order."""

    lab: str
    resources: list[LabResource] = field(default_factory=list)

    def by_layer(self) -> dict[str, list[LabResource]]:
        from .stack import LAYERS

        order = {name: i for i, name in enumerate(LAYERS)}
        groups: dict[str, list[LabResource]] = {}
        for r in sorted(self.resources, key=lambda r: order.get(r.layer, len(order))):
            groups.setdefault(r.layer, []).append(r)
        return groups

    def lines(self) -> list[str]:
        """One line per layer: each kind with its count, and the names when there are few."""
        out = []
        for layer, items in self.by_layer().items():
            kinds: dict[str, list[str]] = {}
            for r in items:
                kinds.setdefault(r.kind, []).append(r.name)
            parts = [f"{kind} {len(names)}" + (f" ({', '.join(names)})" if len(names) <= 2 else "")
                     for kind, names in kinds.items()]
            out.append(f"  {layer:<14} " + ", ".join(parts))
        return out


def _from_arn(arn: str) -> tuple[str, str]:
    """``(kind, name)`` of an ARN: ``...:loadbalancer/app/awslab-alb/50dc`` -> ``("load balancer", "awslab-alb")``."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) > 5 else arn
    if service == "s3":
        return "S3 bucket", resource
    rtype, _, rest = resource.replace(":", "/", 1).partition("/")
    words = rest.split("/")
    name = words[1] if rtype == "loadbalancer" and len(words) > 1 else words[0]
    return ARN_KIND.get(rtype, f"{service} {rtype}"), name or rtype


def _tagged_layers(lab: Lab) -> dict[str, str]:
    """ARN -> ``awslab:layer``, for everything the tagging API lists with the lab's tag."""
    tagging = lab.client("resourcegroupstaggingapi")
    layers = {}
    for item in paginate(tagging, "get_resources", "ResourceTagMappingList",
                         TagFilters=[{"Key": config.LAB_TAG, "Values": [lab.name]}]):
        tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        layers[item["ResourceARN"]] = tags.get(config.LAYER_TAG, "?")
    return layers


def lab_inventory(lab: Lab) -> LabInventory:
    """Probe: the lab's live resources, each under its layer."""
    from .teardown import find_lab_resources

    tagged = _tagged_layers(lab)
    by_id = {arn.rsplit("/", 1)[-1]: layer for arn, layer in tagged.items()}
    inventory = LabInventory(lab.name)
    seen: set[str] = set()
    for found in find_lab_resources(lab) + _hosted_zones(lab):
        if found.resource_id in seen:
            continue
        seen.add(found.resource_id)
        if found.resource_type == "arn":
            kind, name = _from_arn(found.resource_id)
        else:
            kind, name = KIND.get(found.resource_type, found.resource_type.replace("-", " ")), found.resource_id
        layer = tagged.get(found.resource_id) or by_id.get(name) or LAYER_OF_KIND.get(kind, "?")
        inventory.resources.append(LabResource(layer, kind, name))
    return inventory


def _hosted_zones(lab: Lab) -> list:
    """The lab's Route 53 hosted zones (the tagging API covers them on AWS; moto's does not)."""
    from .teardown import Deleted

    r53, zones = lab.client("route53"), []
    for zone in paginate(r53, "list_hosted_zones", "HostedZones"):
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"].get("Tags", [])
        if any(t["Key"] == config.LAB_TAG and t["Value"] == lab.name for t in tags):
            zones.append(Deleted("route53", "hosted-zone", zone_id))
    return zones


def lab_names(lab: Lab) -> list[str]:
    """Probe: the names of every lab with a tagged resource in ``lab``'s account and region."""
    tagging = lab.client("resourcegroupstaggingapi")
    names: set[str] = set()
    for page in tagging.get_paginator("get_tag_values").paginate(Key=config.LAB_TAG):
        names.update(page.get("TagValues", []))
    return sorted(names)
