"""The edge as CloudFormation: the Route 53 zone and its alias records, the site's bucket and its policy, the
origin access control and the CloudFront distribution.

CloudFront's API wraps every list as ``{Quantity, Items}``; CloudFormation takes plain lists, so the
distribution's settings are rewritten in CloudFormation's shape. The page in the bucket (``index.html``) is
an object, not a resource: a template cannot hold it, so it is uploaded afterwards (the template says how).
"""
from __future__ import annotations

import json
from typing import Any

from ..layers.edge import CLOUDFRONT_HOSTED_ZONE_ID, describe_edge
from .template import GetAtt, Ref, Sub, Template

__all__ = ["export_edge"]

ORIGIN_KEYS = ("Id", "DomainName", "OriginPath", "OriginAccessControlId", "S3OriginConfig", "CustomOriginConfig")
BEHAVIOR_KEYS = ("PathPattern", "TargetOriginId", "ViewerProtocolPolicy", "CachePolicyId", "OriginRequestPolicyId", "Compress")


def export_edge(lab: Any, t: Template) -> None:
    found = describe_edge(lab)
    account = lab.client("sts").get_caller_identity()["Account"]
    for b in found["buckets"]:
        _bucket(lab, t, b["Name"], account)
    for o in found["origin_access_controls"]:
        c = lab.client("cloudfront").get_origin_access_control(Id=o["Id"])["OriginAccessControl"]["OriginAccessControlConfig"]
        t.add("SiteOriginAccessControl", "AWS::CloudFront::OriginAccessControl", {"OriginAccessControlConfig": {
            "Name": t.named(c["Name"]), "Description": _sub_lab(t, c.get("Description")), "SigningProtocol": c["SigningProtocol"],
            "SigningBehavior": c["SigningBehavior"], "OriginAccessControlOriginType": c["OriginAccessControlOriginType"]}},
            (o["Id"],))
        t.refs[o["Id"]] = GetAtt("SiteOriginAccessControl", "Id")
    for d in found["distributions"]:
        _distribution(lab, t, d)
    for b in found["buckets"]:
        _bucket_policy(lab, t, b["Name"])
    for z in found["hosted_zones"]:
        _zone(lab, t, z)


def _sub_lab(t: Template, text: str | None) -> Any:
    """Free text naming the lab (``awslab mylab: ...``) with the lab's name as ``${LabName}``."""
    if not text or t.lab not in text:
        return text
    return Sub(text.replace("${", "${!").replace(t.lab, "${LabName}"))


def _bucket(lab: Any, t: Template, name: str, account: str) -> None:
    s3 = lab.client("s3")
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    tags = s3.get_bucket_tagging(Bucket=name).get("TagSet", [])
    bucket_name: Any = name
    if name == f"{t.lab.lower()}-site-{account}-{lab.region}" and t.lab == t.lab.lower():
        bucket_name = Sub("${LabName}-site-${AWS::AccountId}-${AWS::Region}")
    t.add("SiteBucket", "AWS::S3::Bucket", {"BucketName": bucket_name, "PublicAccessBlockConfiguration": block,
                                            "Tags": t.tags(tags)}, (name,))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name, MaxKeys=20).get("Contents", [])]
    if keys:
        t.notes.append("After the stack is made, upload the site's files ({keys}): aws s3 cp index.html "
                       "s3://<SiteBucket>/ (a template holds resources, not the objects in a bucket)."
                       .format(keys=", ".join(keys)))


def _bucket_policy(lab: Any, t: Template, name: str) -> None:
    try:
        policy = json.loads(lab.client("s3").get_bucket_policy(Bucket=name)["Policy"])
    except lab.client("s3").exceptions.ClientError:
        return
    for s in policy.get("Statement", []):
        if s.get("Resource") == f"arn:aws:s3:::{name}/*":
            s["Resource"] = Sub("arn:aws:s3:::${SiteBucket}/*")
        source = s.get("Condition", {}).get("StringEquals", {})
        arn = source.get("AWS:SourceArn", "")
        if "SiteDistribution" in t.resources and arn.startswith("arn:aws:cloudfront::"):
            source["AWS:SourceArn"] = Sub("arn:aws:cloudfront::${AWS::AccountId}:distribution/${SiteDistribution}")
    t.add("SiteBucketPolicy", "AWS::S3::BucketPolicy", {"Bucket": t.ref(name), "PolicyDocument": policy})


def _distribution(lab: Any, t: Template, d: dict) -> None:
    cf = lab.client("cloudfront")
    c = cf.get_distribution_config(Id=d["Id"])["DistributionConfig"]
    config = {"Comment": _sub_lab(t, c.get("Comment")), "Enabled": c["Enabled"], "DefaultRootObject": c.get("DefaultRootObject"),
              "PriceClass": c.get("PriceClass"), "HttpVersion": c.get("HttpVersion"),
              "Origins": [_origin(lab, t, o) for o in c["Origins"]["Items"]],
              "DefaultCacheBehavior": _behavior(c["DefaultCacheBehavior"]),
              "CacheBehaviors": [_behavior(b) for b in (c.get("CacheBehaviors") or {}).get("Items", [])] or None}
    tags = cf.list_tags_for_resource(Resource=d["ARN"])["Tags"].get("Items", [])
    t.add("SiteDistribution", "AWS::CloudFront::Distribution", {
        "DistributionConfig": {k: v for k, v in config.items() if v not in (None, "")}, "Tags": t.tags(tags)},
        (d["Id"], d["ARN"]))
    t.refs[d["DomainName"]] = GetAtt("SiteDistribution", "DomainName")


def _origin(lab: Any, t: Template, o: dict) -> dict:
    out = {k: o[k] for k in ORIGIN_KEYS if o.get(k) not in (None, "")}
    bucket = o["DomainName"].split(".s3.", 1)[0]
    if bucket in t.refs:
        out["DomainName"] = GetAtt("SiteBucket", "RegionalDomainName")
    else:
        out["DomainName"] = t.ref(o["DomainName"])
    if o.get("OriginAccessControlId"):
        out["OriginAccessControlId"] = t.ref(o["OriginAccessControlId"])
    custom = out.get("CustomOriginConfig")
    if custom:
        out["CustomOriginConfig"] = {"HTTPPort": custom.get("HTTPPort"), "HTTPSPort": custom.get("HTTPSPort"),
                                     "OriginProtocolPolicy": custom.get("OriginProtocolPolicy"),
                                     "OriginSSLProtocols": (custom.get("OriginSslProtocols") or {}).get("Items", ["TLSv1.2"])}
    return out


def _behavior(b: dict) -> dict:
    out = {k: b[k] for k in BEHAVIOR_KEYS if b.get(k) not in (None, "")}
    allowed = b.get("AllowedMethods") or {}
    if allowed.get("Items"):
        out["AllowedMethods"] = allowed["Items"]
        out["CachedMethods"] = (allowed.get("CachedMethods") or {}).get("Items", ["GET", "HEAD"])
    return out


def _zone(lab: Any, t: Template, z: dict) -> None:
    r53 = lab.client("route53")
    zone_id = z["Id"].rsplit("/", 1)[-1]
    tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"].get("Tags", [])
    comment = (z.get("Config") or {}).get("Comment")
    t.add("HostedZone", "AWS::Route53::HostedZone", {"Name": z["Name"], "HostedZoneConfig": {"Comment": _sub_lab(t, comment)}
                                                    if comment else None, "HostedZoneTags": t.tags(tags)}, (zone_id,))
    for r in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        alias = r.get("AliasTarget")
        if r["Type"] != "A" or not alias:
            continue
        target_dns = alias["DNSName"].rstrip(".")
        dns = t.ref(target_dns)
        zone = CLOUDFRONT_HOSTED_ZONE_ID if alias["HostedZoneId"] == CLOUDFRONT_HOSTED_ZONE_ID else t.ref(alias["HostedZoneId"])
        label = "Site" if alias["HostedZoneId"] == CLOUDFRONT_HOSTED_ZONE_ID else "Api"
        t.add(f"{label}AliasRecord", "AWS::Route53::RecordSet", {
            "HostedZoneId": Ref("HostedZone"), "Name": r["Name"], "Type": "A", "AliasTarget": {
                "DNSName": dns, "HostedZoneId": zone, "EvaluateTargetHealth": bool(alias.get("EvaluateTargetHealth"))}})
