"""Lab 10, the edge: the seed's modern access path, "CDN -> static front end -> API call -> load balancer".

- a private S3 bucket with the front end (``index.html``), every kind of public access blocked;
- a CloudFront distribution: ``*`` from the bucket through an origin access control (OAC), ``/api/*`` to the ALB;
- a bucket policy that lets CloudFront read, on behalf of that one distribution only;
- a Route 53 public hosted zone with alias records: ``www`` -> CloudFront, ``api`` -> the ALB.

Names and settings are the builder's (:mod:`awslab.layers.edge`), so ``lab.build()`` finds what the student made.
AWS: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
and https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html
"""
from __future__ import annotations

import json
from typing import Any

from ..i18n import N_, _
from ..layers.edge import CACHING_DISABLED, CLOUDFRONT_HOSTED_ZONE_ID, EdgeSpec, _comment, site_bucket_name
from .probes import tags_of
from .registry import not_yet, ok, question, task

#: The index document the distribution serves for "/" (EdgeSpec's default).
INDEX = EdgeSpec().index_document


def the_bucket(lab: Any) -> str:
    """The lab's site bucket name, ``<lab>-site-<account id>-<region>`` (S3 names are global)."""
    return site_bucket_name(lab, lab.client("sts").get_caller_identity()["Account"])


def _bucket_tags(s3: Any, bucket: str) -> dict[str, str]:
    try:
        return tags_of({"Tags": s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])})
    except s3.exceptions.ClientError:
        return {}


def check_lab_bucket(lab: Any, s3: Any, bucket: str) -> None:
    """The bucket exists and carries the lab's tag (labs 10 and 11 both keep a bucket)."""
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        raise not_yet(_("There is no bucket named {bucket} yet.").format(bucket=bucket),
                      f"aws s3api create-bucket --bucket {bucket} --create-bucket-configuration "
                      f"LocationConstraint={lab.region}") from None
    if _bucket_tags(s3, bucket).get("awslab:lab") != lab.name:
        raise not_yet(_("{bucket} has no tag awslab:lab={lab}, so the lab's teardown would not find it.").format(
            bucket=bucket, lab=lab.name),
            f"aws s3api put-bucket-tagging --bucket {bucket} --tagging 'TagSet=[{{Key=awslab:lab,Value={lab.name}}}]'")


def _check_private(s3: Any, bucket: str) -> None:
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        block = {}
    off = [k for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets") if not block.get(k)]
    if off:
        raise not_yet(_("{bucket} does not block every kind of public access ({settings} off). Only CloudFront reads "
                        "this bucket; nobody on the internet should, even by mistake.").format(
            bucket=bucket, settings=", ".join(off)),
            f"aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")
    try:
        s3.get_bucket_website(Bucket=bucket)
    except s3.exceptions.ClientError:
        return
    raise not_yet(_("{bucket} has static website hosting on. A website endpoint serves only a public bucket, over "
                    "HTTP; CloudFront reads the private bucket through its REST endpoint instead.").format(bucket=bucket),
                  f"aws s3api delete-bucket-website --bucket {bucket}")


@task("10.1", N_("A private bucket that holds the front end"))
def site_bucket(lab: Any) -> Any:
    s3, bucket = lab.client("s3"), the_bucket(lab)
    check_lab_bucket(lab, s3, bucket)
    where = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if where != lab.region:
        raise not_yet(_("{bucket} is in {got}; the lab runs in {want}. A bucket cannot move: delete it and create it "
                        "with LocationConstraint={want}.").format(bucket=bucket, got=where, want=lab.region),
                      f"aws s3 rb s3://{bucket} --force")
    _check_private(s3, bucket)
    try:
        head = s3.head_object(Bucket=bucket, Key=INDEX)
    except s3.exceptions.ClientError:
        raise not_yet(_("{bucket} holds no {key} yet: the page CloudFront serves for '/'.").format(bucket=bucket, key=INDEX),
                      f"aws s3 cp index.html s3://{bucket}/{INDEX} --content-type 'text/html; charset=utf-8'") from None
    kind = head.get("ContentType", "")
    if not kind.startswith("text/html"):
        raise not_yet(_("{key} is stored as {kind}; a browser shows it as a page only with Content-Type text/html.").format(
            key=INDEX, kind=kind or "-"),
            f"aws s3 cp s3://{bucket}/{INDEX} s3://{bucket}/{INDEX} --content-type 'text/html; charset=utf-8' "
            "--metadata-directive REPLACE")
    return ok(_("{bucket}: private (all four public-access blocks on), in {region}, with {key} ({size} bytes).").format(
        bucket=bucket, region=lab.region, key=INDEX, size=head.get("ContentLength")), [f"s3://{bucket}/{INDEX}"])


def the_oac(lab: Any) -> dict:
    """The origin access control ``<lab>-site-oac`` (OACs carry no tags: found by name, as the builder does)."""
    cf, name = lab.client("cloudfront"), f"{lab.name}-site-oac"
    items = cf.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", [])
    found = [o for o in items if o.get("Name") == name]
    if not found:
        raise not_yet(_("There is no origin access control named {name} yet.").format(name=name),
                      _("Do task 10.2: cloudfront.create_origin_access_control(...)."))
    return found[0]


def lab_distributions(lab: Any) -> list[dict]:
    """The distributions tagged ``awslab:lab=<lab>`` (summaries from list_distributions)."""
    cf, found, marker = lab.client("cloudfront"), [], None
    for _page in range(100):  # bounded: 100 pages of 100
        page = cf.list_distributions(**({"Marker": marker} if marker else {}))["DistributionList"]
        for d in page.get("Items", []):
            if tags_of({"Tags": cf.list_tags_for_resource(Resource=d["ARN"])["Tags"].get("Items", [])}).get(
                    "awslab:lab") == lab.name:
                found.append(d)
        marker = page.get("NextMarker")
        if not page.get("IsTruncated") or not marker:
            break
    return found


def the_distribution(lab: Any) -> dict:
    """The lab's one distribution (task 10.2's), as get_distribution returns it."""
    found = lab_distributions(lab)
    if not found:
        raise not_yet(_("There is no CloudFront distribution tagged awslab:lab={lab} yet.").format(lab=lab.name),
                      _("Do task 10.2: cloudfront.create_distribution_with_tags(...)."))
    if len(found) > 1:
        raise not_yet(_("There are {n} distributions of this lab: {ids}. Running the cell twice makes two. Disable and "
                        "delete the extra ones.").format(n=len(found), ids=", ".join(d["Id"] for d in found)),
                      "\n".join(f"aws cloudfront get-distribution-config --id {d['Id']}  # then update Enabled=false, "
                                "delete" for d in found[1:]))
    return lab.client("cloudfront").get_distribution(Id=found[0]["Id"])["Distribution"]


def the_alb(lab: Any) -> dict:
    elb, name = lab.client("elbv2"), f"{lab.name}-alb"
    try:
        return elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    except elb.exceptions.LoadBalancerNotFoundException:
        raise not_yet(_("There is no load balancer named {name} (lab 06).").format(name=name),
                      _("Run this lab's first cell again: start() builds what the lab stands on.")) from None


def _origins(config: dict) -> dict[str, dict]:
    return {o["Id"]: o for o in config.get("Origins", {}).get("Items", [])}


def _check_s3_origin(lab: Any, config: dict, dist_id: str) -> dict:
    bucket, oac = the_bucket(lab), the_oac(lab)
    default = config["DefaultCacheBehavior"]
    origin = _origins(config).get(default.get("TargetOriginId"), {})
    if not origin.get("DomainName", "").startswith(f"{bucket}.s3."):
        raise not_yet(_("The default behavior (*) of {dist} goes to {got}, not to the site bucket {bucket}: every path "
                        "but /api/* should come from S3.").format(dist=dist_id, got=origin.get("DomainName", "-"),
                                                                   bucket=bucket),
                      _("Point DefaultCacheBehavior.TargetOriginId at the S3 origin (update-distribution)."))
    if origin.get("OriginAccessControlId") != oac["Id"] or (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity"):
        raise not_yet(_("The S3 origin of {dist} does not sign its requests with the origin access control {oac}, so a "
                        "private bucket would refuse it.").format(dist=dist_id, oac=f"{oac['Id']} ({oac['Name']})"),
                      _("Set the origin's OriginAccessControlId to {oac} and S3OriginConfig.OriginAccessIdentity to '' "
                        "(update-distribution).").format(oac=oac["Id"]))
    return origin


def _check_api_behavior(lab: Any, config: dict, dist_id: str) -> dict:
    alb = the_alb(lab)
    api = [b for b in config.get("CacheBehaviors", {}).get("Items", []) if b.get("PathPattern") == "/api/*"]
    if not api:
        patterns = [b.get("PathPattern") for b in config.get("CacheBehaviors", {}).get("Items", [])]
        raise not_yet(_("{dist} has no cache behavior for the path pattern /api/* (it has: {patterns}).").format(
            dist=dist_id, patterns=", ".join(patterns) or "-"),
            _("Add a CacheBehaviors item with PathPattern '/api/*' and the ALB as its origin."))
    behavior = api[0]
    origin = _origins(config).get(behavior.get("TargetOriginId"), {})
    if origin.get("DomainName", "").rstrip(".").lower() != alb["DNSName"].lower():
        raise not_yet(_("/api/* goes to {got}; the API is behind the load balancer {alb}.").format(
            got=origin.get("DomainName", "-"), alb=alb["DNSName"]),
            _("Give the ALB origin DomainName {dns} and point the /api/* behavior at it.").format(dns=alb["DNSName"]))
    if behavior.get("CachePolicyId") != CACHING_DISABLED:
        raise not_yet(_("/api/* uses the cache policy {got}. API answers differ per request (and per user): they must "
                        "not be cached. Use the managed policy CachingDisabled ({want}).").format(
            got=behavior.get("CachePolicyId") or "-", want=CACHING_DISABLED),
            _("Set CachePolicyId to {want} on the /api/* behavior.").format(want=CACHING_DISABLED))
    methods = set((behavior.get("AllowedMethods") or {}).get("Items", []))
    if "POST" not in methods:
        raise not_yet(_("/api/* allows only {methods}: an API also takes POST, PUT and DELETE.").format(
            methods=", ".join(sorted(methods)) or "-"),
            _("Allow all seven methods on /api/*: GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE."))
    return origin


@task("10.2", N_("A CloudFront distribution: the bucket through an OAC, /api/* to the ALB"))
def distribution(lab: Any) -> Any:
    d = the_distribution(lab)
    config, dist_id = d["DistributionConfig"], d["Id"]
    if config.get("Comment") != _comment(lab):
        raise not_yet(_("{dist}'s comment is '{got}'; the builder finds the lab's distribution by the comment '{want}', so "
                        "later labs would make a second one.").format(dist=dist_id, got=config.get("Comment"),
                                                                      want=_comment(lab)),
                      _("Set Comment to '{want}' (update-distribution).").format(want=_comment(lab)))
    s3_origin = _check_s3_origin(lab, config, dist_id)
    alb_origin = _check_api_behavior(lab, config, dist_id)
    if config.get("DefaultRootObject") != INDEX:
        raise not_yet(_("{dist} has no default root object: a request for / would not return {key}.").format(
            dist=dist_id, key=INDEX), _("Set DefaultRootObject to '{key}'.").format(key=INDEX))
    return ok(_("{dist} ({domain}): * from {bucket} through the OAC, /api/* to {alb}, not cached.").format(
        dist=dist_id, domain=d["DomainName"], bucket=s3_origin["DomainName"], alb=alb_origin["DomainName"]),
        [d["ARN"]])


def _policy(s3: Any, bucket: str) -> dict | None:
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError:
        return None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _reads_for(statement: dict, bucket: str) -> bool:
    return (statement.get("Effect") == "Allow" and "s3:GetObject" in _listed(statement.get("Action"))
            and f"arn:aws:s3:::{bucket}/*" in _listed(statement.get("Resource")))


@task("10.3", N_("A bucket policy: CloudFront may read, for this distribution only"))
def bucket_policy(lab: Any) -> Any:
    s3, bucket = lab.client("s3"), the_bucket(lab)
    d = the_distribution(lab)
    fix = (f"aws s3api put-bucket-policy --bucket {bucket} --policy '{{\"Version\":\"2012-10-17\",\"Statement\":[{{"
           f"\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"cloudfront.amazonaws.com\"}},\"Action\":\"s3:GetObject\","
           f"\"Resource\":\"arn:aws:s3:::{bucket}/*\",\"Condition\":{{\"StringEquals\":{{\"AWS:SourceArn\":\"{d['ARN']}\"}}}}}}]}}'")
    policy = _policy(s3, bucket)
    if policy is None:
        raise not_yet(_("{bucket} has no bucket policy, so even CloudFront may not read it.").format(bucket=bucket), fix)
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    public = [s for s in statements if s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})
              and not s.get("Condition")]
    if public:
        raise not_yet(_("{bucket}'s policy lets anyone (Principal *) in: the bucket would be public. Only CloudFront "
                        "should read it.").format(bucket=bucket), fix)
    granting = [s for s in statements if _reads_for(s, bucket)
                and "cloudfront.amazonaws.com" in _listed((s.get("Principal") or {}).get("Service"))]
    if not granting:
        raise not_yet(_("{bucket}'s policy does not let the CloudFront service (cloudfront.amazonaws.com) call "
                        "s3:GetObject on arn:aws:s3:::{bucket}/*.").format(bucket=bucket), fix)
    sources = [v for s in granting for v in _listed(((s.get("Condition") or {}).get("StringEquals") or {})
                                                    .get("AWS:SourceArn"))]
    if d["ARN"] not in sources:
        raise not_yet(_("The statement lets every CloudFront distribution read {bucket}, anyone's. Add the condition "
                        "AWS:SourceArn = {arn}, this distribution.").format(bucket=bucket, arn=d["ARN"]), fix)
    return ok(_("{bucket}: s3:GetObject for cloudfront.amazonaws.com, only on behalf of {dist}.").format(
        bucket=bucket, dist=d["Id"]), [bucket])


def the_zone(lab: Any, domain: str) -> dict:
    """The lab's public hosted zone for ``domain`` (Route 53 allows several zones of one name: found by the lab's tag)."""
    r53 = lab.client("route53")
    for z in r53.list_hosted_zones_by_name(DNSName=domain).get("HostedZones", []):
        if z["Name"].rstrip(".") != domain or z.get("Config", {}).get("PrivateZone"):
            continue
        zid = z["Id"].rsplit("/", 1)[-1]
        tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"]["Tags"]
        if tags_of({"Tags": tags}).get("awslab:lab") == lab.name:
            return z
    raise not_yet(_("There is no public hosted zone {domain} tagged awslab:lab={lab} yet.").format(domain=domain, lab=lab.name),
                  _("Do task 10.4: route53.create_hosted_zone(Name='{domain}', ...), then tag it.").format(domain=domain))


def _records(lab: Any, zone_id: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for r in lab.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        found.setdefault(r["Name"].rstrip(".").lower(), []).append(r)
    return found


def _check_alias(name: str, records: list[dict], target: str, target_zone: str, health: bool, what: str) -> None:
    alias = [r for r in records if r["Type"] == "A" and r.get("AliasTarget")]
    if not alias:
        cname = [r for r in records if r["Type"] == "CNAME"]
        raise not_yet((_("{name} is a CNAME. It works below the apex, but Route 53 charges for CNAME queries and a "
                         "CNAME cannot exist at the apex; an alias A record answers with the target's addresses "
                         "directly, for free.") if cname else _("There is no alias A record {name} yet.")).format(name=name),
                      _("UPSERT an A record {name} with AliasTarget {{HostedZoneId: {zone}, DNSName: {dns}}}.").format(
                          name=name, zone=target_zone, dns=target))
    t = alias[0]["AliasTarget"]
    if t.get("DNSName", "").rstrip(".").lower() != target.rstrip(".").lower():
        raise not_yet(_("{name} points at {got}, not at {what} {want}.").format(name=name, got=t.get("DNSName"), what=what,
                                                                              want=target),
                      _("UPSERT the record with DNSName {dns}.").format(dns=target))
    if t.get("HostedZoneId") != target_zone:
        raise not_yet(_("{name}'s alias target has HostedZoneId {got}; it must be the zone of the target itself, {want} "
                        "(not your hosted zone's id).").format(name=name, got=t.get("HostedZoneId"), want=target_zone),
                      _("UPSERT the record with AliasTarget.HostedZoneId {zone}.").format(zone=target_zone))
    if bool(t.get("EvaluateTargetHealth")) != health:
        raise not_yet(_("{name} has EvaluateTargetHealth {got}; the lab uses {want} for {what}.").format(
            name=name, got=bool(t.get("EvaluateTargetHealth")), want=health, what=what),
            _("UPSERT the record with EvaluateTargetHealth {want}.").format(want=health))


@task("10.4", N_("A hosted zone with alias records: www to CloudFront, api to the ALB"))
def alias_records(lab: Any) -> Any:
    spec = EdgeSpec()
    zone = the_zone(lab, spec.domain_name)
    records = _records(lab, zone["Id"].rsplit("/", 1)[-1])
    alb, d = the_alb(lab), the_distribution(lab)
    _check_alias(spec.record_name, records.get(spec.record_name, []), alb["DNSName"], alb["CanonicalHostedZoneId"],
                 True, _("the load balancer"))
    _check_alias(spec.site_record_name, records.get(spec.site_record_name, []), d["DomainName"],
                 CLOUDFRONT_HOSTED_ZONE_ID, False, _("the distribution"))
    return ok(_("{zone}: {api} → {alb} (alias, health evaluated); {www} → {cdn} (alias).").format(
        zone=spec.domain_name, api=spec.record_name, alb=alb["DNSName"], www=spec.site_record_name, cdn=d["DomainName"]),
        [zone["Id"]])


question("10.q1", N_("Why does the zone apex, example.com, get an alias record and not a CNAME to the load balancer?"),
         [N_("A CNAME is slower to resolve."),
          N_("DNS allows no other record beside a CNAME, and the apex must hold the zone's SOA and NS records; an alias "
             "is Route 53's own A record that answers with the target's current addresses."),
          N_("Load balancers have no DNS name a CNAME could point at."),
          N_("CNAMEs are not supported by Route 53.")],
         answer=1,
         why=N_("You saw it: Route 53 refused the CNAME at the apex. AWS: 'You can't create a CNAME record at the top node "
                "of a DNS namespace, also known as the zone apex'. An alias record is an A record whose answer Route 53 "
                "looks up from the target (the ALB's addresses change as it scales), and alias queries to AWS "
                "resources are free (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
                "resource-record-sets-choosing-alias-non-alias.html)."),
         hints={0: N_("Speed is not the problem: the DNS rules are."),
                3: N_("Route 53 supports CNAMEs, below the apex (www.example.com can be one).")})

question("10.q2", N_("The bucket blocks all public access. How does CloudFront read index.html?"),
         [N_("It cannot: the bucket must be public for a CDN."),
          N_("It signs each request with the origin access control, and the bucket policy allows the CloudFront service "
             "to read on behalf of this distribution only."),
          N_("CloudFront copies the bucket once, when the distribution is created."),
          N_("Through the bucket's static website endpoint.")],
         answer=1,
         why=N_("With an OAC, CloudFront signs its requests to S3 (SigV4), and the bucket policy's condition AWS:SourceArn "
                "admits exactly your distribution. Users can reach the files only through CloudFront, with its caching "
                "and HTTPS, never the bucket directly "
                "(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html)."),
         hints={0: N_("That was the old way (a public website bucket). An OAC lets the bucket stay private."),
                3: N_("A website endpoint serves only a public bucket, over HTTP.")})

question("10.q3", N_("Why do the static files go through the CDN while /api/* goes to the load balancer?"),
         [N_("The load balancer cannot serve HTML."),
          N_("Static files are the same for every user, so edge locations near the users cache them and the servers "
             "never see those requests; API answers differ per request, so they go to the app servers behind the ALB."),
          N_("CloudFront is cheaper for every request."),
          N_("S3 cannot serve JavaScript.")],
         answer=1,
         why=N_("The seed's conclusion: static pages sit in front of the load balancer, service logic lives behind it. "
                "The CDN takes the heavy, identical traffic close to the users; the app servers (and the Auto Scaling "
                "group that sizes them) serve only the requests that need them. /api/* is forwarded, never cached."),
         hints={0: N_("The app could serve HTML too (the traditional path); the point is who should."),
                2: N_("The point is caching near the users, not the price of one request.")})
