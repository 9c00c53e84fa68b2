"""A CloudFront S3 origin keeps its origin access control, as CloudFront's API returns it.

https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
"""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from awslab.cloud.moto_ext import cloudfront as patch


@pytest.fixture
def cf(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.install()
    with mock_aws():
        yield boto3.client("cloudfront", region_name="us-east-1")


def test_an_s3_origin_keeps_its_origin_access_control(cf):
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": "site-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    origins = [{"Id": "s3", "DomainName": "site.s3.ap-northeast-2.amazonaws.com", "OriginAccessControlId": oac,
                "S3OriginConfig": {"OriginAccessIdentity": ""}},
               {"Id": "alb", "DomainName": "alb-1.ap-northeast-2.elb.amazonaws.com",
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]
    config = {"CallerReference": "t", "Comment": "c", "Enabled": True, "Origins": {"Quantity": 2, "Items": origins},
              "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                       "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]
    got = {o["Id"]: o for o in cf.get_distribution(Id=dist["Id"])["Distribution"]["DistributionConfig"]["Origins"]["Items"]}
    assert got["s3"]["OriginAccessControlId"] == oac
    assert got["s3"]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert got["alb"]["OriginAccessControlId"] == "" and "S3OriginConfig" not in got["alb"]
