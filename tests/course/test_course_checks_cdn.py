"""Task 10.5's check: an invalidation that covers /index.html, made after the page's last upload (moto serves the APIs)."""
from __future__ import annotations

import time
import uuid

import boto3
import pytest
from moto import mock_aws

from awslab.checks import cdn
from awslab.checks.registry import Unmet
from awslab.layers.edge import EdgeSpec, distribution_config

from tests.course.test_course_checks_edge_observability import REGION, _Lab

ALB_DNS = "awslab-alb-1.ap-northeast-2.elb.amazonaws.com"


@pytest.fixture
def site(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        lab = _Lab()
        bucket = cdn.the_bucket(lab)
        s3, cf = lab.client("s3"), lab.client("cloudfront")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=bucket, Key="index.html", Body=b"v1", ContentType="text/html")
        cfg = distribution_config(lab, bucket, "E0OAC", ALB_DNS, EdgeSpec())
        dist = cf.create_distribution_with_tags(DistributionConfigWithTags={
            "DistributionConfig": cfg, "Tags": {"Items": lab.tags("awslab-cdn", "edge")}})["Distribution"]
        yield lab, bucket, dist["Id"]


def _invalidate(lab, dist_id, *paths):
    lab.client("cloudfront").create_invalidation(DistributionId=dist_id, InvalidationBatch={
        "Paths": {"Quantity": len(paths), "Items": list(paths)}, "CallerReference": uuid.uuid4().hex})


def _unmet(lab) -> Unmet:
    with pytest.raises(Unmet) as e:
        cdn.invalidation(lab)
    return e.value


def test_no_invalidation_yet_is_told_the_edge_keeps_its_copy(site):
    lab, _bucket, dist_id = site
    e = _unmet(lab)
    assert "no invalidation" in e.message and "TTL" in e.message and dist_id in e.fix and "/index.html" in e.fix


def test_an_invalidation_of_other_paths_names_them(site):
    lab, _bucket, dist_id = site
    _invalidate(lab, dist_id, "/img/*", "/about.html")
    e = _unmet(lab)
    assert "/about.html, /img/*" in e.message and "none covers /index.html" in e.message


def test_an_invalidation_before_the_upload_is_too_early(site):
    lab, bucket, dist_id = site
    _invalidate(lab, dist_id, "/index.html")
    time.sleep(1.1)  # S3's LastModified and CloudFront's CreateTime are whole seconds apart at least
    lab.client("s3").put_object(Bucket=bucket, Key="index.html", Body=b"v2", ContentType="text/html")
    assert "older than the page's last upload" in _unmet(lab).message


@pytest.mark.parametrize("path", ["/index.html", "/*", "/index*"])
def test_an_invalidation_after_the_upload_passes(site, path):
    lab, _bucket, dist_id = site
    _invalidate(lab, dist_id, path)
    verdict = cdn.invalidation(lab)
    assert verdict.passed and dist_id in verdict.found[0]
