"""CloudFront's edge, part by part: TTLs (AWS's Expiration page), the cache, invalidation paths, behaviour order,
and the bucket policy an OAC needs."""
from __future__ import annotations

from awslab.dataplane.cdn.cache import CachedObject, EdgeCache
from awslab.dataplane.cdn.distribution import EDGE_NETWORK, edge_ip, read_distribution
from awslab.dataplane.cdn.expiration import CACHING_DISABLED, CACHING_OPTIMIZED, TTLs, error_ttl, object_ttl, ttls_of_behaviour
from awslab.dataplane.cdn.s3origin import Caller, allowed

ARN = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE"
OPT = ttls_of_behaviour({"CachePolicyId": CACHING_OPTIMIZED})


def test_max_age_is_clamped_between_min_and_max_ttl_and_s_maxage_wins():
    legacy = TTLs(60, 600, 3600)
    assert object_ttl(legacy, "max-age=10") == 60
    assert object_ttl(legacy, "max-age=100") == 100
    assert object_ttl(legacy, "max-age=99999") == 3600
    assert object_ttl(legacy, "max-age=100, s-maxage=200") == 200
    assert object_ttl(legacy, None) == 600
    assert object_ttl(legacy, "no-store") == 60
    assert object_ttl(TTLs(0, 600, 3600), "private") == 0


def test_managed_policies_and_legacy_settings():
    assert (OPT.min_ttl, OPT.default_ttl, OPT.max_ttl) == (1, 86400, 31536000)
    assert object_ttl(ttls_of_behaviour({"CachePolicyId": CACHING_DISABLED}), "max-age=300") == 0
    assert ttls_of_behaviour({"MinTTL": 5, "DefaultTTL": 50, "MaxTTL": 500}) == TTLs(5, 50, 500)
    assert error_ttl(404) == 10 and error_ttl(404, {404: 0}) == 0 and error_ttl(302) == 0


def test_the_cache_keeps_an_object_for_its_ttl_and_invalidation_takes_prefixes():
    cache = EdgeCache()
    for key in ("/index.html", "/img/a.png", "/img/b/c.png", "/imgx"):
        cache.put(key, CachedObject(200, [], b"x", stored_at=1000.0, ttl=300))
    assert cache.get("/index.html", 1299.9).age(1299.9) == 299
    assert cache.get("/index.html", 1300.0) is None
    assert cache.invalidate(["/img/*"]) == 2 and cache.get("/imgx", 1001) is not None
    assert cache.invalidate(["/*"]) == 1 and not cache.entries


def test_behaviours_match_in_order_and_the_default_takes_the_rest():
    cfg = {"Enabled": True, "Origins": {"Items": [{"Id": "s3", "DomainName": "b.s3.ap-northeast-2.amazonaws.com",
                                                    "S3OriginConfig": {}, "OriginAccessControlId": "E1"},
                                                   {"Id": "alb", "DomainName": "alb-1.elb.amazonaws.com", "CustomOriginConfig": {}}]},
           "DefaultCacheBehavior": {"TargetOriginId": "s3", "CachePolicyId": CACHING_OPTIMIZED},
           "CacheBehaviors": {"Items": [{"PathPattern": "/api/v1/*", "TargetOriginId": "s3"},
                                        {"PathPattern": "/api/*", "TargetOriginId": "alb"}]}}
    view = read_distribution({"Id": "E1", "ARN": ARN, "DomainName": "d1.cloudfront.net"}, cfg)
    assert view.behaviour_for("/api/v1/x").origin_id == "s3"
    assert view.behaviour_for("/api/products").origin_id == "alb"
    assert view.behaviour_for("/API/products").origin_id == "s3"  # case-sensitive
    assert view.behaviour_for("/index.html").path_pattern == "*"
    assert view.origins["s3"].bucket == "b" and view.origins["s3"].oac_id == "E1"


def test_edge_addresses_are_stable_and_inside_cloudfronts_range():
    import ipaddress

    ip = edge_ip("E2QWRUHEXAMPLE")
    assert ip == edge_ip("E2QWRUHEXAMPLE") and ipaddress.ip_address(ip) in EDGE_NETWORK
    assert ip != str(EDGE_NETWORK.network_address) and ip != str(EDGE_NETWORK.broadcast_address)


def _policy(condition, effect="Allow", principal=None, action="s3:GetObject"):
    return {"Statement": [{"Effect": effect, "Principal": principal or {"Service": "cloudfront.amazonaws.com"},
                           "Action": action, "Resource": "arn:aws:s3:::b/*", "Condition": condition}]}


def test_the_oac_statement_needs_the_service_principal_and_this_distributions_arn():
    oac, anonymous = Caller(ARN, True), Caller(ARN, False)
    good = _policy({"StringEquals": {"AWS:SourceArn": ARN}})
    assert allowed(good, oac, "s3:GetObject", "arn:aws:s3:::b/index.html")
    assert not allowed(good, anonymous, "s3:GetObject", "arn:aws:s3:::b/index.html")  # no OAC on the origin
    assert not allowed(good, oac, "s3:ListBucket", "arn:aws:s3:::b")
    assert not allowed(_policy({"StringEquals": {"AWS:SourceArn": ARN + "X"}}), oac, "s3:GetObject", "arn:aws:s3:::b/k")
    assert allowed(_policy({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*"}}), oac,
                   "s3:GetObject", "arn:aws:s3:::b/k")
    assert not allowed(None, oac, "s3:GetObject", "arn:aws:s3:::b/k")
    deny = {"Statement": good["Statement"] + _policy(None, "Deny", "*", "s3:*")["Statement"]}
    assert not allowed(deny, oac, "s3:GetObject", "arn:aws:s3:::b/k")  # an explicit Deny wins
    assert allowed(_policy(None, principal="*"), anonymous, "s3:GetObject", "arn:aws:s3:::b/k")  # a public bucket
