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
    assert listeners[80]["DefaultActions"][0]["Type"] == "forward"  # no redirect unless asked
    again = build_edge(lab, alb)
    assert again.created == [] and again.https.certificate_arn == edge.https.certificate_arn
    script = lab.cli_log().script()
    assert "aws acm request-certificate" in script and "--protocol HTTPS" in script


def test_edge_redirects_http_to_https_when_asked_and_teardown_leaves_no_certificate(lab, alb):
    arn = build_edge(lab, alb, EdgeSpec(redirect_http_to_https=True)).https.certificate_arn
    http = [x for x in lab.client("elbv2").describe_listeners(LoadBalancerArn=alb.load_balancer_arn)["Listeners"]
            if x["Port"] == 80][0]
    action = http["DefaultActions"][0]
    assert action["Type"] == "redirect" and action["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert action["RedirectConfig"]["Protocol"] == "HTTPS" and action["RedirectConfig"]["Port"] == "443"
    report = teardown(lab)
    assert report.clean, report
    assert arn not in [c["CertificateArn"] for c in lab.client("acm").list_certificates()["CertificateSummaryList"]]
    assert find_lab_resources(lab) == []
