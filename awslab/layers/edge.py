"""Layer 10, the edge: how a user's browser finds the service - the seed's "modern access path".

    browser -> Route 53 (DNS) -> CloudFront (CDN) -> S3 (static files: the front end)
    browser runs the page; its JavaScript calls the API -> ALB -> app servers -> DB

The seed's conclusion: *static pages sit in front of the load balancer; service
logic lives behind it.* This layer builds the front:

- a **Route 53 public hosted zone** with an **alias A record** to the ALB. An alias
  is Route 53's own record type: it answers with the ALB's current IP addresses,
  which change as the ALB scales, and it is free to query.
- a private **S3 bucket** holding ``index.html``: the front end the browser runs.
- a **CloudFront distribution** in front of the bucket. It reads the bucket
  through an **Origin Access Control** (OAC), so the bucket stays private and
  only CloudFront can read it; its second cache behavior sends ``/api/*`` to the
  ALB - static in front, service logic behind the load balancer.

The default zone is ``example.com``, a name reserved for documentation (RFC 2606),
so the lab never claims a real domain. On real AWS, pass a domain you own.
"""
from __future__ import annotations

import hashlib
import html
import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..errors import EdgeError, ValidationError
from ..lab import Lab
from . import spec_types, validate
from ._base import Built, call, cli_tag_list, tag_value
from ..i18n import _

LAYER = "edge"
__all__ = ["EdgeSpec", "Edge", "build_edge", "describe_edge", "ensure_site_bucket", "ensure_index_page",
           "ensure_origin_access_control", "ensure_distribution", "ensure_bucket_policy", "ensure_hosted_zone",
           "ensure_alias_records", "site_bucket_name", "CLOUDFRONT_HOSTED_ZONE_ID"]

#: Every CloudFront distribution's alias target lives in this one hosted zone
#: (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html).
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
#: AWS managed cache policies and origin request policy
#: (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html,
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
PRICE_CLASSES = validate.PRICE_CLASSES
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]


@dataclass
class EdgeSpec:
    """What to build. ``record_name`` points at the ALB; ``site_record_name`` at CloudFront."""

    domain_name: str = "example.com"
    record_name: str = "api.example.com"
    site_record_name: str = "www.example.com"
    #: ``None``: ``<lab>-site-<account id>-<region>``, unique in the account and the lab.
    bucket_name: str | None = None
    index_document: str = "index.html"
    #: PriceClass_100 serves from North America and Europe only: the cheapest.
    price_class: str = "PriceClass_100"
    #: HTTPS at the ALB for ``record_name`` (:mod:`awslab.layers.https`): ACM certificate, 443 rule, HTTPS listener.
    https: bool = True
    #: A rule on the HTTP:80 listener: ``record_name`` answers 301 to HTTPS (other names keep the default action).
    redirect_http_to_https: bool = True


@dataclass
class Edge(Built):
    """The lab's front door: DNS names, the static site's bucket and its CDN."""

    hosted_zone_id: str
    domain_name: str
    record_name: str
    bucket_name: str
    website_url: str
    distribution_id: str
    distribution_domain_name: str
    origin_access_control_id: str = ""
    site_record_name: str = ""
    load_balancer_dns_name: str = ""
    name_servers: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    https: Any = None  # awslab.layers.https.Https, when EdgeSpec.https


# -- validation -----------------------------------------------------------
_dns_name = validate.dns_name


def validate_bucket_name(fld: str, name: str) -> str:
    """S3's bucket naming rules, and awslab's no-dots rule (see :data:`awslab.layers.validate.BUCKET_NAME`)."""
    return validate.BUCKET_NAME.check(fld, name, "Use lowercase letters, digits and hyphens, e.g. 'mylab-site-123456789012'.")


def check_spec(spec: EdgeSpec | None) -> EdgeSpec:
    """Check the spec before any call that creates anything."""
    spec = spec_types.spec(spec, EdgeSpec, "edge")
    zone = validate.dns_name("domain_name", spec.domain_name)
    for fld in ("record_name", "site_record_name"):
        name = validate.dns_name(fld, getattr(spec, fld))
        if name != zone and not name.endswith("." + zone):
            raise ValidationError(fld, getattr(spec, fld), _("a record of the hosted zone {zone} must end with {zone}").format(zone=zone),
                                  _("Use a name such as 'app.{zone}'.").format(zone=zone))
    if spec.record_name.lower().rstrip(".") == spec.site_record_name.lower().rstrip("."):
        raise ValidationError("site_record_name", spec.site_record_name, _("the site and the API need different names"),
                              _("Use e.g. record_name='api.{zone}', site_record_name='www.{zone}'.").format(zone=zone))
    if spec.bucket_name is not None:
        validate_bucket_name("bucket_name", spec.bucket_name)
    validate.INDEX_DOCUMENT.check("index_document", spec.index_document, "Use 'index.html'.")
    validate.one_of("price_class", spec.price_class, PRICE_CLASSES, "Use 'PriceClass_100', the cheapest.")
    return spec


def validate_spec(spec: EdgeSpec | None, load_balancer: Any) -> EdgeSpec:
    """Check the spec, and the load balancer the edge points at, before any call that creates anything."""
    spec = check_spec(spec)
    if not getattr(load_balancer, "dns_name", None) or not getattr(load_balancer, "load_balancer_arn", None):
        raise ValidationError("load_balancer", load_balancer, _("the edge needs a load balancer with a dns_name and a load_balancer_arn"),
                              _("Build it first: build_load_balancer(lab, network, security)."))
    return spec


def site_bucket_name(lab: Lab, account_id: str) -> str:
    """``<lab>-site-<account id>-<region>``: S3 names are global, so the account and region make it unique."""
    return validate_bucket_name("bucket_name", f"{lab.name.lower()}-site-{account_id}-{lab.region}")


# -- build ------------------------------------------------------------------
def build_edge(lab: Lab, load_balancer: Any, spec: EdgeSpec | None = None) -> Edge:
    """Ensure the whole edge: bucket + page, OAC, distribution, bucket policy, hosted zone, alias records."""
    spec = validate_spec(spec, load_balancer)
    created: list[str] = []
    account_id = call(lab.client("sts").get_caller_identity, _("asking STS for the account id"), error=EdgeError)["Account"]
    bucket = spec.bucket_name or site_bucket_name(lab, account_id)
    _record_inputs(lab, bucket if spec.bucket_name else None)
    ensure_site_bucket(lab, bucket, created)
    ensure_index_page(lab, bucket, spec.index_document, load_balancer.dns_name, created)
    oac_id = ensure_origin_access_control(lab, created)
    dist = ensure_distribution(lab, bucket, oac_id, load_balancer.dns_name, spec, created)
    ensure_bucket_policy(lab, bucket, dist["ARN"])
    zone_id, name_servers = ensure_hosted_zone(lab, _dns_name("domain_name", spec.domain_name), created)
    alb_zone = _alb_hosted_zone(lab, load_balancer.load_balancer_arn)
    ensure_alias_records(lab, zone_id, spec, load_balancer.dns_name, alb_zone, dist["DomainName"], created)
    secure = None
    if spec.https and getattr(load_balancer, "target_group_arn", None):  # the HTTPS listener forwards to the group
        from .https import build_https

        secure = build_https(lab, load_balancer, zone_id, _dns_name("record_name", spec.record_name), created,
                             redirect_http=spec.redirect_http_to_https)
    return Edge(zone_id, _dns_name("domain_name", spec.domain_name), _dns_name("record_name", spec.record_name), bucket,
                f"https://{dist['DomainName']}/", dist["Id"], dist["DomainName"], oac_id,
                _dns_name("site_record_name", spec.site_record_name), load_balancer.dns_name, name_servers, created, secure)


def _record_inputs(lab: Lab, bucket: str | None) -> None:
    """The shell variables the edge's CLI commands use: ACCOUNT_ID, BUCKET, ALB_DNS, ALB_ZONE."""
    lab.record("edge/account", ["aws", "sts", "get-caller-identity"], _("The account id makes the bucket name unique"),
               var="ACCOUNT_ID", query="Account")
    lab.record("edge/bucket-name", f"BUCKET={bucket or lab.name.lower() + '-site-$ACCOUNT_ID-' + lab.region}")
    for var, attr in (("ALB_DNS", "DNSName"), ("ALB_ZONE", "CanonicalHostedZoneId")):
        lab.record(f"edge/{var.lower()}", ["aws", "elbv2", "describe-load-balancers", "--load-balancer-arns", "$ALB_ARN"],
                   var=var, query=f"LoadBalancers[0].{attr}")


def _heredoc(path: str, content: Any) -> str:
    """A shell command that writes ``content`` to ``path``; ``$VARS`` inside are expanded."""
    text = json.dumps(content, indent=1) if not isinstance(content, str) else content.rstrip("\n")
    return f"cat > {path} <<EOF\n{text}\nEOF"


def ensure_site_bucket(lab: Lab, bucket: str, created: list[str]) -> str:
    """A private bucket for the static files, tagged, with every kind of public access blocked."""
    s3 = lab.client("s3")
    tags = lab.tags(lab.resource_name("site"), LAYER)
    try:
        s3.head_bucket(Bucket=bucket)
        exists = True
    except s3.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise EdgeError(_("The bucket name {bucket} is taken by another account.").format(
                bucket=bucket), _("Pass EdgeSpec(bucket_name=...) with another name."),
                            code=e.response.get("Error", {}).get("Code")) from e
        exists = False
    owner = tag_value(_bucket_tags(s3, bucket), "awslab:lab") if exists else None
    if owner not in (None, lab.name):
        raise EdgeError(_("The bucket {bucket} belongs to lab '{owner}', not '{name}'.").format(
            bucket=bucket, owner=owner, name=lab.name),
                        _("Pass EdgeSpec(bucket_name=...) with a name of its own."))
    if not exists:
        # Outside us-east-1, S3 wants the region spelled out
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html).
        where = {} if lab.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": lab.region}}
        call(s3.create_bucket, _("creating the bucket {bucket}").format(
            bucket=bucket), error=EdgeError, Bucket=bucket, **where)
        created.append(bucket)
    if owner is None:  # new, or created by a build that stopped before it could tag it (HeadBucket said it is ours)
        call(s3.put_bucket_tagging, _("tagging the bucket"), error=EdgeError, Bucket=bucket, Tagging={"TagSet": tags})
        call(s3.put_public_access_block, _("blocking public access"), error=EdgeError, Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    where_cli = "" if lab.region == "us-east-1" else f" --create-bucket-configuration LocationConstraint={lab.region}"
    lab.record("edge/bucket", f"aws s3api create-bucket --bucket $BUCKET{where_cli}",
               _("The static site's bucket: private; only CloudFront will read it"))
    lab.record("edge/bucket-tags", ["aws", "s3api", "put-bucket-tagging", "--bucket", "$BUCKET", "--tagging", json.dumps({"TagSet": tags})])
    lab.record("edge/bucket-block", ["aws", "s3api", "put-public-access-block", "--bucket", "$BUCKET", "--public-access-block-configuration",
               "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"])
    return bucket


def _bucket_tags(s3: Any, bucket: str) -> list[dict[str, str]]:
    try:
        return s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except s3.exceptions.ClientError:
        return []


def index_page(alb_dns_name: str) -> str:
    """The front end: a page the browser runs; its JavaScript calls ``/api/products`` on the same distribution.

    The call is relative, so it goes to CloudFront, whose ``/api/*`` behaviour forwards it to the ALB: one
    name for the page and the API, no cross-origin request. The page shows the products and the instance
    that answered. (No ``${...}`` or backquotes in the script: the CLI log writes it with a shell heredoc.)
    """
    alb = html.escape(alb_dns_name)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>awslab shop</title></head>
<body>
<h1>awslab shop</h1>
<p>This page came from S3 through CloudFront. Its JavaScript calls <code>/api/products</code> on the same
distribution; CloudFront sends <code>/api/*</code> to the load balancer <code id="alb">{alb}</code>.</p>
<p id="status">loading...</p>
<p>Answered by instance: <code id="instance">-</code></p>
<ul id="products"></ul>
<script>
fetch("/api/products", {{headers: {{"Accept": "application/json"}}}})
  .then(r => r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status)))
  .then(data => {{
    document.getElementById("instance").textContent = data.instance_id;
    const list = document.getElementById("products");
    for (const p of data.products) {{
      const li = document.createElement("li");
      li.textContent = p.name + ": " + p.price;
      list.appendChild(li);
    }}
    document.getElementById("status").textContent = data.products.length + " products from the API";
  }})
  .catch(e => {{ document.getElementById("status").textContent = "API unreachable: " + e.message; }});
</script>
</body></html>
"""


def ensure_index_page(lab: Lab, bucket: str, key: str, alb_dns_name: str, created: list[str]) -> str:
    """Upload the page unless the bucket already holds the same bytes (S3's ETag of a simple upload is its MD5)."""
    s3 = lab.client("s3")
    body = index_page(alb_dns_name).encode()
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    try:
        current = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    except s3.exceptions.ClientError:
        current = None
    if current != etag:
        call(s3.put_object, _("uploading {key}").format(key=key), error=EdgeError, Bucket=bucket, Key=key, Body=body,
             ContentType="text/html; charset=utf-8", CacheControl="max-age=300")
        created.append(f"s3://{bucket}/{key}")
    lab.record("edge/index-file", _heredoc(key, index_page("$ALB_DNS")), _("The front end: a page that calls the API on the ALB"))
    lab.record("edge/index", f"aws s3 cp {key} s3://$BUCKET/{key} --content-type 'text/html; charset=utf-8'")
    return key


def ensure_origin_access_control(lab: Lab, created: list[str]) -> str:
    """An Origin Access Control: CloudFront signs its requests to S3 (SigV4), so the bucket can stay private.

    OACs carry no tags; the lab finds its own by name.
    """
    cf = lab.client("cloudfront")
    name = lab.resource_name("site-oac")
    items = cf.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", [])
    found = [o for o in items if o.get("Name") == name]
    if found:
        oac_id = found[0]["Id"]
    else:
        config = {"Name": name, "Description": f"awslab {lab.name}: CloudFront reads the site bucket",
                  "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}
        oac_id = call(cf.create_origin_access_control, _("creating the origin access control"), error=EdgeError,
                      OriginAccessControlConfig=config)["OriginAccessControl"]["Id"]
        created.append(oac_id)
    lab.record("edge/oac", ["aws", "cloudfront", "create-origin-access-control", "--origin-access-control-config",
               f"Name={name},SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3"],
               _("Origin Access Control: only CloudFront may read the bucket"), var="OAC_ID", query="OriginAccessControl.Id")
    return oac_id


def _comment(lab: Lab) -> str:
    return f"awslab {lab.name}: static site in front, API behind the ALB"


def distribution_config(lab: Lab, bucket: str, oac_id: str, alb_dns_name: str, spec: EdgeSpec) -> dict:
    """Two origins and two cache behaviors: ``*`` -> the bucket (cached), ``/api/*`` -> the ALB (not cached)."""
    s3_origin = {"Id": "s3-site", "DomainName": f"{bucket}.s3.{lab.region}.amazonaws.com", "OriginAccessControlId": oac_id,
                 "S3OriginConfig": {"OriginAccessIdentity": ""}}
    # The ALB speaks HTTP on its listener; CloudFront terminates the browser's HTTPS.
    alb_origin = {"Id": "alb-api", "DomainName": alb_dns_name, "CustomOriginConfig": {
        "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only",
        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}}
    get_head = {"Quantity": 2, "Items": ["GET", "HEAD"], "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
    api = {"PathPattern": "/api/*", "TargetOriginId": "alb-api", "ViewerProtocolPolicy": "https-only",
           "AllowedMethods": {"Quantity": len(ALL_METHODS), "Items": ALL_METHODS, "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
           "CachePolicyId": CACHING_DISABLED, "OriginRequestPolicyId": ALL_VIEWER, "Compress": True}
    return {
        "CallerReference": f"awslab-{lab.name}-site", "Comment": _comment(lab), "Enabled": True,
        "DefaultRootObject": spec.index_document, "PriceClass": spec.price_class, "HttpVersion": "http2",
        "Origins": {"Quantity": 2, "Items": [s3_origin, alb_origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3-site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "AllowedMethods": get_head, "CachePolicyId": CACHING_OPTIMIZED, "Compress": True},
        "CacheBehaviors": {"Quantity": 1, "Items": [api]},
    }


def _find_distribution(lab: Lab) -> dict | None:
    cf = lab.client("cloudfront")
    marker = None
    for _ in range(100):  # bounded: 100 pages of 100 distributions
        page = cf.list_distributions(**({"Marker": marker} if marker else {}))["DistributionList"]
        for d in page.get("Items", []):
            if d.get("Comment") == _comment(lab):
                tags = cf.list_tags_for_resource(Resource=d["ARN"])["Tags"].get("Items", [])
                if tag_value(tags, "awslab:lab") == lab.name:
                    return d
        marker = page.get("NextMarker")
        if not page.get("IsTruncated") or not marker:
            return None
    return None


def ensure_distribution(lab: Lab, bucket: str, oac_id: str, alb_dns_name: str, spec: EdgeSpec, created: list[str]) -> dict:
    """The CloudFront distribution, created with its tags in one call. Returns ``{Id, ARN, DomainName}``."""
    cf = lab.client("cloudfront")
    config = distribution_config(lab, bucket, oac_id, alb_dns_name, spec)
    tags = lab.tags(lab.resource_name("cdn"), LAYER)
    found = _find_distribution(lab)
    if not found:
        found = call(cf.create_distribution_with_tags, _("creating the CloudFront distribution"), error=EdgeError,
                     DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tags}})["Distribution"]
        created.append(found["Id"])
    elif alb_dns_name not in [o["DomainName"] for o in found.get("Origins", {}).get("Items", []) if o["Id"] == "alb-api"]:
        _point_api_origin(cf, found["Id"], alb_dns_name)  # the load balancer was replaced: follow it
        created.append(f"{found['Id']}:alb-api")
    cli = json.loads(json.dumps(config).replace(oac_id, "$OAC_ID").replace(alb_dns_name, "$ALB_DNS").replace(bucket, "$BUCKET"))
    lab.record("edge/distribution-config", _heredoc("distribution.json", {"DistributionConfig": cli, "Tags": {"Items": tags}}),
               _("CloudFront: '*' from the bucket (cached), '/api/*' to the ALB (not cached)"))
    lab.record("edge/distribution", ["aws", "cloudfront", "create-distribution-with-tags", "--distribution-config-with-tags",
               "file://distribution.json"], var="DIST_ID", query="Distribution.Id")
    return {"Id": found["Id"], "ARN": found["ARN"], "DomainName": found["DomainName"]}


def _point_api_origin(cf: Any, distribution_id: str, alb_dns_name: str) -> None:
    current = cf.get_distribution_config(Id=distribution_id)
    config = current["DistributionConfig"]
    for origin in config["Origins"]["Items"]:
        if origin["Id"] == "alb-api":
            origin["DomainName"] = alb_dns_name
    call(cf.update_distribution, _("pointing CloudFront's /api/* origin at the load balancer"), error=EdgeError,
         Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)


def ensure_bucket_policy(lab: Lab, bucket: str, distribution_arn: str) -> None:
    """Let the CloudFront service read objects, and only on behalf of this distribution (``AWS:SourceArn``)."""
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowCloudFrontServicePrincipalReadOnly", "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}}]}
    s3 = lab.client("s3")
    try:
        current = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError:
        current = None
    if current != policy:
        call(s3.put_bucket_policy, _("writing the bucket policy"), error=EdgeError, Bucket=bucket, Policy=json.dumps(policy))
    cli = json.loads(json.dumps(policy).replace(distribution_arn, "arn:aws:cloudfront::$ACCOUNT_ID:distribution/$DIST_ID")
                     .replace(bucket, "$BUCKET"))
    lab.record("edge/bucket-policy-file", _heredoc("bucket-policy.json", cli),
               _("The bucket policy: CloudFront (this distribution only) may read objects"))
    lab.record("edge/bucket-policy", ["aws", "s3api", "put-bucket-policy", "--bucket", "$BUCKET", "--policy", "file://bucket-policy.json"])


def _zone_id(raw: str) -> str:
    return raw.rsplit("/", 1)[-1]


def _zone_comment(lab: Lab) -> str:
    return f"awslab {lab.name}"


def ensure_hosted_zone(lab: Lab, zone: str, created: list[str]) -> tuple[str, list[str]]:
    """A public hosted zone, found by name and the lab's tag (Route 53 allows several zones of one name)."""
    r53 = lab.client("route53")
    tags = lab.tags(lab.resource_name("zone"), LAYER)
    zone_id = None
    page = r53.list_hosted_zones_by_name(DNSName=zone)
    for z in page.get("HostedZones", []):
        if z["Name"].rstrip(".") != zone or z.get("Config", {}).get("PrivateZone"):
            continue
        found_tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=_zone_id(z["Id"]))["ResourceTagSet"]["Tags"]
        if tag_value(found_tags, "awslab:lab") == lab.name:
            zone_id = _zone_id(z["Id"])
            break
    if zone_id is None:
        import uuid

        zone_id = _zone_id(call(r53.create_hosted_zone, _("creating the hosted zone {zone}").format(
            zone=zone), error=EdgeError, Name=zone,
                                CallerReference=f"awslab-{lab.name}-{uuid.uuid4().hex[:12]}",
                                HostedZoneConfig={"Comment": _zone_comment(lab), "PrivateZone": False})["HostedZone"]["Id"])
        created.append(zone_id)
        call(r53.change_tags_for_resource, _("tagging the hosted zone"), error=EdgeError, ResourceType="hostedzone",
             ResourceId=zone_id, AddTags=tags)
    ns = r53.get_hosted_zone(Id=zone_id).get("DelegationSet", {}).get("NameServers", [])
    lab.record("edge/zone", f"aws route53 create-hosted-zone --name {zone} --caller-reference awslab-{lab.name}-$(date +%s) "
               f"--hosted-zone-config {shlex.quote(f'Comment={_zone_comment(lab)},PrivateZone=false')}",
               _("Route 53: a public hosted zone (point your registrar at its name servers)"), var="ZONE_ID", query="HostedZone.Id")
    lab.record("edge/zone-id", "ZONE_ID=${ZONE_ID##*/}",
               _("The API answers /hostedzone/<id>; tagging takes the bare <id> (on AWS too)"))
    lab.record("edge/zone-tags", ["aws", "route53", "change-tags-for-resource", "--resource-type", "hostedzone", "--resource-id", "$ZONE_ID",
               "--add-tags", *cli_tag_list(tags)])
    return zone_id, ns


def _alb_hosted_zone(lab: Lab, arn: str) -> str:
    lbs = call(lab.client("elbv2").describe_load_balancers, _("describing the load balancer"), error=EdgeError,
               LoadBalancerArns=[arn])["LoadBalancers"]
    return lbs[0]["CanonicalHostedZoneId"]


def ensure_alias_records(lab: Lab, zone_id: str, spec: EdgeSpec, alb_dns: str, alb_zone: str, cdn_dns: str,
                         created: list[str]) -> None:
    """Alias A records: ``record_name`` -> the ALB (health-evaluated), ``site_record_name`` -> CloudFront.

    CloudFront alias targets must say ``EvaluateTargetHealth: false``; an ALB target may say true, so
    Route 53 stops answering with it when none of its targets are healthy.
    """
    wanted = {
        _dns_name("record_name", spec.record_name) + ".": {"HostedZoneId": alb_zone, "DNSName": alb_dns, "EvaluateTargetHealth": True},
        _dns_name("site_record_name", spec.site_record_name) + ".": {"HostedZoneId": CLOUDFRONT_HOSTED_ZONE_ID, "DNSName": cdn_dns,
                                                                      "EvaluateTargetHealth": False},
    }
    r53 = lab.client("route53")
    have = {r["Name"]: r.get("AliasTarget") for r in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
            if r["Type"] == "A"}
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {"Name": n, "Type": "A", "AliasTarget": t}}
               for n, t in wanted.items() if not _same_alias(have.get(n), t)]
    if changes:
        call(r53.change_resource_record_sets, _("writing the alias records"), error=EdgeError, HostedZoneId=zone_id,
             ChangeBatch={"Comment": "awslab edge", "Changes": changes})
        created.extend(c["ResourceRecordSet"]["Name"] for c in changes)
    lab.record("edge/cdn-dns", ["aws", "cloudfront", "get-distribution", "--id", "$DIST_ID"], var="CDN_DNS", query="Distribution.DomainName")
    cli = [{"Action": "UPSERT", "ResourceRecordSet": {"Name": n, "Type": "A", "AliasTarget": dict(
        t, DNSName="$ALB_DNS" if t["DNSName"] == alb_dns else "$CDN_DNS",
        HostedZoneId="$ALB_ZONE" if t["HostedZoneId"] == alb_zone else t["HostedZoneId"])}} for n, t in wanted.items()]
    lab.record("edge/alias-file", _heredoc("alias-records.json", {"Comment": "awslab edge", "Changes": cli}),
               _("Alias A records: the API name -> the ALB, the site name -> CloudFront"))
    lab.record("edge/alias", ["aws", "route53", "change-resource-record-sets", "--hosted-zone-id", "$ZONE_ID",
               "--change-batch", "file://alias-records.json"])


def _same_alias(have: dict | None, want: dict) -> bool:
    if not have:
        return False
    return (have.get("HostedZoneId") == want["HostedZoneId"] and have.get("DNSName", "").rstrip(".").lower() == want["DNSName"].lower()
            and bool(have.get("EvaluateTargetHealth")) == want["EvaluateTargetHealth"])


def describe_edge(lab: Lab) -> dict[str, list[dict]]:
    """Probe: the lab's hosted zones, site buckets, distributions and OACs. Changes nothing."""
    r53, s3, cf = lab.client("route53"), lab.client("s3"), lab.client("cloudfront")
    zones = [z for z in r53.list_hosted_zones().get("HostedZones", [])
             if tag_value(r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=_zone_id(z["Id"]))["ResourceTagSet"]["Tags"],
                          "awslab:lab") == lab.name]
    buckets = [b for b in s3.list_buckets().get("Buckets", []) if tag_value(_bucket_tags(s3, b["Name"]), "awslab:lab") == lab.name]
    dist = _find_distribution(lab)
    oacs = [o for o in cf.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", [])
            if o.get("Name") == lab.resource_name("site-oac")]
    return {"hosted_zones": zones, "buckets": buckets, "distributions": [dist] if dist else [], "origin_access_controls": oacs}
