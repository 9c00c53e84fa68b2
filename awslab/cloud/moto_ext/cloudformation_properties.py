"""Properties moto 5.2.5's CloudFormation reads past, applied after it creates the resource, as AWS applies them.

Each is what the same property does through the API (the backend method the API calls):

- ``Tags`` of ``AWS::EC2::RouteTable``, ``InternetGateway``, ``NatGateway``, ``EIP`` and of the ELBv2 target
  group, load balancer and listener, and ``HostedZoneTags`` of ``AWS::Route53::HostedZone`` (moto made them
  untagged, so nothing that finds a lab's resources by tag saw them);
- ``AWS::EC2::SubnetRouteTableAssociation``: moto kept it in a list of its own, which DescribeRouteTables does
  not read; it is made with AssociateRouteTable too, so the route table lists its subnets;
- ``EnableDnsHostnames``/``EnableDnsSupport`` of a VPC, ``MapPublicIpOnLaunch`` of a subnet;
- ``DefaultInstanceWarmup`` and ``MetricsCollection`` of an Auto Scaling group;
- ``PublicAccessBlockConfiguration`` of an S3 bucket.
"""
from __future__ import annotations

from typing import Any

from moto.autoscaling.models import autoscaling_backends
from moto.ec2.models import ec2_backends
from moto.elbv2.models import elbv2_backends
from moto.route53.models import route53_backends
from moto.s3.models import s3_backends

__all__ = ["apply"]

EC2_TAGGED = ("AWS::EC2::RouteTable", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP",
              "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup")
ELB_TAGGED = ("AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::LoadBalancer",
              "AWS::ElasticLoadBalancingV2::Listener")


def apply(resource: Any, resource_type: str, props: dict[str, Any], account_id: str, region_name: str) -> None:
    """Apply the properties moto's model of ``resource_type`` left out (each only where the template sets it)."""
    try:
        physical = resource.physical_resource_id
    except AttributeError:  # a model without an ID of its own (an ingress rule): nothing here applies to it
        return
    tags = [t for t in props.get("Tags") or [] if isinstance(t, dict) and "Key" in t]
    if resource_type == "AWS::EC2::SubnetRouteTableAssociation":
        ec2_backends[account_id][region_name].associate_route_table(props["RouteTableId"], subnet_id=props["SubnetId"])
    elif resource_type in EC2_TAGGED:
        _ec2(ec2_backends[account_id][region_name], resource_type, physical, props, tags)
    elif resource_type in ELB_TAGGED and tags:
        elbv2_backends[account_id][region_name].add_tags([physical], [{"Key": t["Key"], "Value": str(t["Value"])} for t in tags])
    elif resource_type == "AWS::Route53::HostedZone" and props.get("HostedZoneTags"):
        route53_backends[account_id]["global"].change_tags_for_resource(
            "hostedzone", physical, [{"Key": t["Key"], "Value": str(t["Value"])} for t in props["HostedZoneTags"]], [])
    elif resource_type == "AWS::AutoScaling::AutoScalingGroup":
        _group(autoscaling_backends[account_id][region_name], physical, props)
    elif resource_type == "AWS::S3::Bucket" and props.get("PublicAccessBlockConfiguration"):
        block = props["PublicAccessBlockConfiguration"]
        s3_backends[account_id][_partition(region_name)].put_public_access_block(physical, {
            "BlockPublicAcls": block.get("BlockPublicAcls"), "IgnorePublicAcls": block.get("IgnorePublicAcls"),
            "BlockPublicPolicy": block.get("BlockPublicPolicy"), "RestrictPublicBuckets": block.get("RestrictPublicBuckets")})


def _ec2(backend: Any, resource_type: str, physical: str, props: dict[str, Any], tags: list[dict]) -> None:
    ids = {"AWS::EC2::EIP": lambda: _allocation_id(backend, physical)}
    resource_id = ids.get(resource_type, lambda: physical)()
    have = backend.tags.get(resource_id, {})
    missing = {t["Key"]: str(t["Value"]) for t in tags if t["Key"] not in have}
    if missing and resource_id:
        backend.create_tags([resource_id], missing)
    if resource_type == "AWS::EC2::VPC":
        for key, attr in (("EnableDnsHostnames", "enable_dns_hostnames"), ("EnableDnsSupport", "enable_dns_support")):
            if key in props:
                backend.modify_vpc_attribute(physical, attr, _bool(props[key]))
    if resource_type == "AWS::EC2::Subnet" and "MapPublicIpOnLaunch" in props:
        backend.modify_subnet_attribute(physical, "map_public_ip_on_launch", _bool(props["MapPublicIpOnLaunch"]))


def _allocation_id(backend: Any, physical: str) -> str | None:
    """An EIP's Ref is its public IP; tags go on its allocation."""
    for address in backend.addresses:
        if physical in (address.public_ip, getattr(address, "allocation_id", None)):
            return address.allocation_id
    return None


def _group(backend: Any, name: str, props: dict[str, Any]) -> None:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        return
    if props.get("DefaultInstanceWarmup") is not None:
        group.default_instance_warmup = int(props["DefaultInstanceWarmup"])
    for collection in props.get("MetricsCollection") or []:
        backend.enable_metrics_collection(name, collection.get("Metrics") or [])


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _partition(region_name: str) -> str:
    from moto.utilities.utils import get_partition

    return get_partition(region_name)
