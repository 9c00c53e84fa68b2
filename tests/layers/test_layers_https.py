"""The edge's HTTPS step: ACM certificate validated in the lab's zone, HTTPS:443 listener, optional 301 redirect."""
from __future__ import annotations

import pytest

from awslab.layers.edge import EdgeSpec, build_edge
from awslab.layers.https import RECOMMENDED_POLICY
from awslab.layers.loadbalancing import build_load_balancer
from awslab.layers.network import build_network
from awslab.layers.security import build_security
from awslab.layers.teardown import find_lab_resources, teardown


@pytest.fixture
def alb(lab):
    net = build_network(lab)
    return build_load_balancer(lab, net, build_security(lab, net))


def test_edge_builds_an_issued_certificate_and_an_https_listener_idempotently(lab, alb):
    edge = build_edge(lab, alb)
    acm, elbv2 = lab.client("acm"), lab.client("elbv2")
    cert = acm.describe_certificate(CertificateArn=edge.https.certificate_arn)["Certificate"]
    assert cert["Status"] == "ISSUED" and cert["DomainName"] == "api.example.com"
    listeners = {x["Port"]: x for x in elbv2.describe_listeners(LoadBalancerArn=alb.load_balancer_arn)["Listeners"]}
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["SslPolicy"] == RECOMMENDED_POLICY
    assert listeners[443]["Certificates"][0]["CertificateArn"] == edge.https.certificate_arn
    assert listeners[80]["DefaultActions"][0]["Type"] == "forward"  # other names still reach the app over HTTP
    rules = [r for r in elbv2.describe_rules(ListenerArn=listeners[80]["ListenerArn"])["Rules"] if not r["IsDefault"]]
    assert [(r["Conditions"][0]["HostHeaderConfig"]["Values"], r["Actions"][0]["RedirectConfig"]["StatusCode"])
            for r in rules] == [(["api.example.com"], "HTTP_301")]
    again = build_edge(lab, alb)
    assert again.created == [] and again.https.certificate_arn == edge.https.certificate_arn
    script = lab.cli_log().script()
    assert "aws acm request-certificate" in script and "--protocol HTTPS" in script


def test_edge_without_redirect_leaves_port_80_alone_and_teardown_leaves_no_certificate(lab, alb):
    arn = build_edge(lab, alb, EdgeSpec(redirect_http_to_https=False)).https.certificate_arn
    http = [x for x in lab.client("elbv2").describe_listeners(LoadBalancerArn=alb.load_balancer_arn)["Listeners"]
            if x["Port"] == 80][0]
    assert [r for r in lab.client("elbv2").describe_rules(ListenerArn=http["ListenerArn"])["Rules"] if not r["IsDefault"]] == []
    report = teardown(lab)
    assert report.clean, report
    assert arn not in [c["CertificateArn"] for c in lab.client("acm").list_certificates()["CertificateSummaryList"]]
    assert find_lab_resources(lab) == []
