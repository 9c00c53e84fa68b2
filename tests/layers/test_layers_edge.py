"""The edge layer: Route 53 zone + alias to the ALB, a private S3 site, CloudFront with /api/* to the ALB."""
import json
import subprocess
from types import SimpleNamespace

import pytest

from awslab import ValidationError
from awslab.layers.edge import CLOUDFRONT_HOSTED_ZONE_ID, EdgeSpec, build_edge, describe_edge, validate_bucket_name
from awslab.layers.network import build_network


def _alb(lab):
    """A minimal internet-facing ALB made with plain boto3 (the edge only needs its DNS name and ARN)."""
    net = build_network(lab)
    ec2, elbv2 = lab.client("ec2"), lab.client("elbv2")
    sg = ec2.create_security_group(GroupName=lab.resource_name("edge-test-alb"), Description="test", VpcId=net.vpc_id)["GroupId"]
    lb = elbv2.create_load_balancer(Name=lab.resource_name("alb"), Subnets=net.subnet_ids("public"), SecurityGroups=[sg],
                                    Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    return SimpleNamespace(dns_name=lb["DNSName"], load_balancer_arn=lb["LoadBalancerArn"], zone=lb["CanonicalHostedZoneId"])


@pytest.fixture
def alb(lab):
    return _alb(lab)


def _tags(items):
    return {t["Key"]: t["Value"] for t in items}


def test_edge_builds_zone_alias_bucket_and_distribution(lab, alb):
    edge = build_edge(lab, alb)
    r53, s3, cf = lab.client("route53"), lab.client("s3"), lab.client("cloudfront")
    records = {r["Name"]: r for r in r53.list_resource_record_sets(HostedZoneId=edge.hosted_zone_id)["ResourceRecordSets"]}
    api = records["api.example.com."]["AliasTarget"]
    assert (api["HostedZoneId"], api["DNSName"].rstrip("."), api["EvaluateTargetHealth"]) == (alb.zone, alb.dns_name, True)
    www = records["www.example.com."]["AliasTarget"]
    assert (www["HostedZoneId"], www["DNSName"].rstrip("."), www["EvaluateTargetHealth"]) == (
        CLOUDFRONT_HOSTED_ZONE_ID, edge.distribution_domain_name, False)
    page = s3.get_object(Bucket=edge.bucket_name, Key="index.html")["Body"].read().decode()
    assert 'fetch("/api/products"' in page and alb.dns_name in page  # the API through CloudFront's /api/*
    config = cf.get_distribution_config(Id=edge.distribution_id)["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["s3-site"]["DomainName"] == f"{edge.bucket_name}.s3.{lab.region}.amazonaws.com"
    # moto 5.2.5 does not echo an origin's OriginAccessControlId back; real AWS does. Check the OAC itself.
    assert origins["s3-site"].get("OriginAccessControlId", edge.origin_access_control_id) == edge.origin_access_control_id
    oac = cf.get_origin_access_control(Id=edge.origin_access_control_id)["OriginAccessControl"]["OriginAccessControlConfig"]
    assert (oac["Name"], oac["SigningBehavior"], oac["OriginAccessControlOriginType"]) == (lab.resource_name("site-oac"), "always", "s3")
    assert origins["alb-api"]["DomainName"] == alb.dns_name
    api_behaviour = config["CacheBehaviors"]["Items"][0]
    assert (api_behaviour["PathPattern"], api_behaviour["TargetOriginId"]) == ("/api/*", "alb-api")
    policy = json.loads(s3.get_bucket_policy(Bucket=edge.bucket_name)["Policy"])["Statement"][0]
    assert policy["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert policy["Condition"]["StringEquals"]["AWS:SourceArn"].endswith(edge.distribution_id)
    assert edge.website_url == f"https://{edge.distribution_domain_name}/"


def test_edge_bucket_name_is_lab_and_account_unique_and_valid(lab, alb):
    edge = build_edge(lab, alb)
    account = lab.client("sts").get_caller_identity()["Account"]
    assert lab.name.lower() in edge.bucket_name and account in edge.bucket_name
    assert validate_bucket_name("b", edge.bucket_name) == edge.bucket_name


def test_edge_tags_every_resource(lab, alb):
    edge = build_edge(lab, alb)
    zone_tags = lab.client("route53").list_tags_for_resource(ResourceType="hostedzone", ResourceId=edge.hosted_zone_id)
    bucket_tags = lab.client("s3").get_bucket_tagging(Bucket=edge.bucket_name)["TagSet"]
    cf = lab.client("cloudfront")
    dist_arn = cf.get_distribution(Id=edge.distribution_id)["Distribution"]["ARN"]
    dist_tags = cf.list_tags_for_resource(Resource=dist_arn)["Tags"]["Items"]
    for tags in (zone_tags["ResourceTagSet"]["Tags"], bucket_tags, dist_tags):
        assert _tags(tags)["awslab:lab"] == lab.name and _tags(tags)["awslab:layer"] == "edge"
    found = describe_edge(lab)
    assert [d["Id"] for d in found["distributions"]] == [edge.distribution_id]
    assert [b["Name"] for b in found["buckets"]] == [edge.bucket_name]


def test_edge_second_run_creates_nothing(lab, alb):
    first = build_edge(lab, alb)
    second = build_edge(lab, alb)
    assert first.created and second.created == []
    assert (second.hosted_zone_id, second.distribution_id, second.bucket_name, second.origin_access_control_id) == (
        first.hosted_zone_id, first.distribution_id, first.bucket_name, first.origin_access_control_id)


def test_edge_second_run_only_reads(lab, alb):
    build_edge(lab, alb)
    operations = []
    for service in ("s3", "route53", "cloudfront", "sts", "elbv2"):
        lab.client(service).meta.events.register("before-call", lambda model, **_: operations.append(model.name))
    build_edge(lab, alb)
    assert operations and [o for o in operations if not o.startswith(("Get", "List", "Head", "Describe"))] == []


def test_edge_refuses_a_bucket_of_another_lab(lab, alb):
    from awslab import Lab
    from awslab.errors import EdgeError

    bucket = f"shared-site-{lab.name.lower()}"
    build_edge(lab, alb, EdgeSpec(bucket_name=bucket))
    other = Lab(name=lab.name[:-1] + "x", backend="embedded", endpoint_url=lab.endpoint_url)
    with pytest.raises(EdgeError) as e:
        build_edge(other, alb, EdgeSpec(bucket_name=bucket))
    assert f"belongs to lab '{lab.name}'" in str(e.value)
    assert describe_edge(other)["distributions"] == []


def test_edge_follows_a_new_load_balancer_dns_name(lab, alb):
    build_edge(lab, alb)
    moved = SimpleNamespace(dns_name="other-123.ap-northeast-2.elb.amazonaws.com", load_balancer_arn=alb.load_balancer_arn)
    again = build_edge(lab, moved)
    assert "api.example.com." in again.created  # the alias was updated, not duplicated
    records = lab.client("route53").list_resource_record_sets(HostedZoneId=again.hosted_zone_id)["ResourceRecordSets"]
    assert [r["AliasTarget"]["DNSName"].rstrip(".") for r in records if r["Name"] == "api.example.com."] == [moved.dns_name]
    config = lab.client("cloudfront").get_distribution_config(Id=again.distribution_id)["DistributionConfig"]
    assert {o["Id"]: o["DomainName"] for o in config["Origins"]["Items"]}["alb-api"] == moved.dns_name
    page = lab.client("s3").get_object(Bucket=again.bucket_name, Key="index.html")["Body"].read().decode()
    assert moved.dns_name in page and alb.dns_name not in page


def test_edge_cli_log_is_valid_bash_with_variables(lab, alb):
    build_edge(lab, alb)
    script = lab.cli_log().script()
    assert "ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)" in script
    assert f"BUCKET={lab.name.lower()}-site-$ACCOUNT_ID-{lab.region}" in script
    assert "DIST_ID=$(aws cloudfront create-distribution-with-tags" in script
    assert '"OriginAccessControlId": "$OAC_ID"' in script and '"DNSName": "$ALB_DNS"' in script
    assert "arn:aws:cloudfront::$ACCOUNT_ID:distribution/$DIST_ID" in script
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)  # it parses as a shell script


@pytest.mark.parametrize("field,kwargs,rule", [
    ("domain_name", {"domain_name": "-bad-.com"}, "labels"),
    ("domain_name", {"domain_name": "localhost"}, "two or more"),
    ("record_name", {"record_name": "api.example.org"}, "must end with example.com"),
    ("site_record_name", {"site_record_name": "api.example.com"}, "different names"),
    ("bucket_name", {"bucket_name": "ab"}, "3 to 63"),
    ("bucket_name", {"bucket_name": "My_Bucket"}, "lowercase"),
    ("bucket_name", {"bucket_name": "192.168.1.1"}, "no dots"),
    ("bucket_name", {"bucket_name": "xn--site"}, "must not begin with 'xn--'"),
    ("bucket_name", {"bucket_name": "site-s3alias"}, "must not end with '-s3alias'"),
    ("bucket_name", {"bucket_name": "my.site"}, "dots"),
    ("index_document", {"index_document": "pages/index.html"}, ".html"),
    ("price_class", {"price_class": "PriceClass_Cheap"}, "one of"),
])
def test_edge_rejects_bad_input_before_creating_anything(lab, field, kwargs, rule):
    alb = SimpleNamespace(dns_name="t-1.ap-northeast-2.elb.amazonaws.com", load_balancer_arn="arn:aws:elasticloadbalancing:x")
    with pytest.raises(ValidationError) as e:
        build_edge(lab, alb, EdgeSpec(**kwargs))
    assert e.value.field == field and rule in str(e.value) and "How to fix" in str(e.value)
    assert describe_edge(lab) == {"hosted_zones": [], "buckets": [], "distributions": [], "origin_access_controls": []}


def test_edge_rejects_a_missing_load_balancer(lab):
    with pytest.raises(ValidationError) as e:
        build_edge(lab, SimpleNamespace(dns_name="", load_balancer_arn=""))
    assert e.value.field == "load_balancer"
