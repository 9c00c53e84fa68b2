"""Listener rule evaluation: conditions, priorities, and the three terminal actions."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from awslab.dataplane.rules import Request, RuleSet


def fwd(arn):
    return [{"Type": "forward", "TargetGroupArn": arn, "Order": 1}]


def rule(prio, conditions, actions):
    return {"RuleArn": f"rule/{prio}", "Priority": str(prio), "Conditions": conditions, "Actions": actions, "IsDefault": False}


DEFAULT = {"RuleArn": "rule/default", "Priority": "default", "Conditions": [], "Actions": fwd("tg-default"), "IsDefault": True}


def req(path="/", host="shop.example.com", method="GET", query="", headers=None, source_ip="127.0.0.1"):
    h = {"host": host, **(headers or {})}
    return Request(method=method, path=path, query=query, headers=h, source_ip=source_ip)


def test_default_rule_is_last_and_has_priority_zero():
    rs = RuleSet([DEFAULT, rule(10, [{"Field": "path-pattern", "Values": ["/api/*"]}], fwd("tg-api"))])
    assert rs.evaluate(req("/api/items")).target_group_arn == "tg-api"
    out = rs.evaluate(req("/home"))
    assert out.target_group_arn == "tg-default" and out.priority == 0


def test_lowest_priority_wins():
    rs = RuleSet([DEFAULT, rule(20, [{"Field": "path-pattern", "Values": ["/*"]}], fwd("tg-20")),
                  rule(5, [{"Field": "path-pattern", "Values": ["/a*"]}], fwd("tg-5"))])
    assert rs.evaluate(req("/abc")).target_group_arn == "tg-5"
    assert rs.evaluate(req("/xyz")).priority == 20


def test_path_pattern_is_case_sensitive_and_ignores_query():
    rs = RuleSet([DEFAULT, rule(1, [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/img/?.png"]}}], fwd("tg-img"))])
    assert rs.evaluate(req("/img/a.png", query="x=1")).target_group_arn == "tg-img"
    assert rs.evaluate(req("/IMG/a.png")).target_group_arn == "tg-default"
    assert rs.evaluate(req("/img/ab.png")).target_group_arn == "tg-default"


def test_host_header_case_insensitive_wildcard_without_port():
    rs = RuleSet([DEFAULT, rule(1, [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.Example.com"]}}], fwd("tg-host"))])
    assert rs.evaluate(req(host="API.example.COM:8080")).target_group_arn == "tg-host"
    assert rs.evaluate(req(host="example.org")).target_group_arn == "tg-default"


def test_http_header_method_query_and_source_ip():
    rs = RuleSet([DEFAULT,
                  rule(1, [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "Values": ["*Mobile*"]}}], fwd("tg-mobile")),
                  rule(2, [{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}}], fwd("tg-post")),
                  rule(3, [{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "version", "Value": "v2"}]}}], fwd("tg-v2")),
                  rule(4, [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}], fwd("tg-internal"))])
    assert rs.evaluate(req(headers={"user-agent": "Foo mobile Safari"})).target_group_arn == "tg-mobile"
    assert rs.evaluate(req(method="POST")).target_group_arn == "tg-post"
    assert rs.evaluate(req(method="post")).target_group_arn == "tg-default"  # methods are case-sensitive
    assert rs.evaluate(req(query="a=1&VERSION=V2")).target_group_arn == "tg-v2"
    assert rs.evaluate(req(source_ip="10.1.2.3")).target_group_arn == "tg-internal"
    assert rs.evaluate(req()).target_group_arn == "tg-default"


def test_all_conditions_of_a_rule_must_match():
    rs = RuleSet([DEFAULT, rule(1, [{"Field": "path-pattern", "Values": ["/api/*"]},
                                    {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}], fwd("tg-api"))])
    assert rs.evaluate(req("/api/x")).target_group_arn == "tg-api"
    assert rs.evaluate(req("/api/x", method="DELETE")).target_group_arn == "tg-default"


def test_fixed_response():
    rs = RuleSet([DEFAULT, rule(1, [{"Field": "path-pattern", "Values": ["/maintenance"]}],
                               [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "back soon"}}])])
    out = rs.evaluate(req("/maintenance"))
    assert (out.kind, out.status, out.body, out.priority) == ("fixed-response", 503, "back soon", 1)


@pytest.mark.parametrize("cfg,expected", [
    ({"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}, (301, "https://shop.example.com:443/cart?id=7")),
    ({"Host": "new.#{host}", "Path": "/v2/#{path}", "Query": "from=old", "StatusCode": "HTTP_302"},
     (302, "http://new.shop.example.com:80/v2/cart?from=old")),
])
def test_redirect_placeholders(cfg, expected):
    rs = RuleSet([DEFAULT, rule(1, [{"Field": "path-pattern", "Values": ["/cart"]}], [{"Type": "redirect", "RedirectConfig": cfg}])])
    out = rs.evaluate(req("/cart", query="id=7"))
    assert out.kind == "redirect" and (out.status, out.location) == expected


def test_weighted_forward_splits_by_weight():
    action = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "tg-blue", "Weight": 80},
                                                                     {"TargetGroupArn": "tg-green", "Weight": 20}]}}]
    rs = RuleSet([{**DEFAULT, "Actions": action}], rng=random.Random(1))
    counts = Counter(rs.evaluate(req()).target_group_arn for _ in range(2000))
    assert 0.75 < counts["tg-blue"] / 2000 < 0.85 and counts["tg-green"] > 0
    zero = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "tg-a", "Weight": 0},
                                                                   {"TargetGroupArn": "tg-b", "Weight": 1}]}}]
    rs0 = RuleSet([{**DEFAULT, "Actions": zero}])
    assert {rs0.evaluate(req()).target_group_arn for _ in range(50)} == {"tg-b"}
