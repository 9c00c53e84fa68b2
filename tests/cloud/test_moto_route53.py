"""Route 53 refuses a CNAME at the zone apex and a CNAME beside other records of its name, as AWS does.

https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat
"""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from awslab.cloud.moto_ext import route53 as patch

ALB = "my-alb-1.ap-northeast-2.elb.amazonaws.com"


@pytest.fixture
def zone(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.install()
    with mock_aws():
        r53 = boto3.client("route53", region_name="us-east-1")
        zid = r53.create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
        yield r53, zid


def _change(r53, zid, *changes):
    return r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": list(changes)})


def _cname(name, action="CREATE"):
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": ALB}]}}


def _alias(name):
    return {"Action": "UPSERT", "ResourceRecordSet": {"Name": name, "Type": "A", "AliasTarget": {
        "HostedZoneId": "ZWKZPGTI48KDX", "DNSName": ALB, "EvaluateTargetHealth": True}}}


def test_a_cname_at_the_apex_is_refused_and_an_alias_is_not(zone):
    r53, zid = zone
    with pytest.raises(ClientError) as e:
        _change(r53, zid, _cname("example.com"))
    assert e.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert "RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com." \
        in e.value.response["Error"]["Message"]
    _change(r53, zid, _alias("example.com"))
    names = {(r["Name"], r["Type"]) for r in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]}
    assert ("example.com.", "A") in names and ("example.com.", "CNAME") not in names


def test_a_cname_stands_alone_under_its_name(zone):
    r53, zid = zone
    _change(r53, zid, _cname("www.example.com"))
    with pytest.raises(ClientError) as e:
        _change(r53, zid, _alias("www.example.com"))
    assert "conflicting RRSet of type  CNAME" in e.value.response["Error"]["Message"]
    _change(r53, zid, _alias("api.example.com"))
    with pytest.raises(ClientError) as e:
        _change(r53, zid, _cname("api.example.com"))
    assert "conflicts with other records with the same DNS name" in e.value.response["Error"]["Message"]


def test_replacing_a_cname_by_an_alias_in_one_batch_is_allowed(zone):
    r53, zid = zone
    _change(r53, zid, _cname("www.example.com"))
    _change(r53, zid, _cname("www.example.com", "DELETE"), _alias("www.example.com"))
    types = {r["Type"] for r in r53.list_resource_record_sets(HostedZoneId=zid)["ResourceRecordSets"]
             if r["Name"] == "www.example.com."}
    assert types == {"A"}
