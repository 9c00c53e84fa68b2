"""Lab 10, HTTPS at the ALB: an ACM certificate validated through Route 53, an HTTPS:443 listener, HTTP -> HTTPS.

The seed's "SSL 종료 (HTTPS → HTTP)": TLS ends at the load balancer, the app servers get plain HTTP. Names and settings
are the builder's (:mod:`awslab.layers.https`), so ``lab.build()`` finds what the student made.
AWS: https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html and
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html
"""
from __future__ import annotations

from typing import Any

from ..dataplane.tls import policy_versions
from ..i18n import N_, _
from ..layers.edge import EdgeSpec
from ..layers.https import RECOMMENDED_POLICY
from .edge import the_alb
from .probes import tags_of
from .registry import not_yet, ok, task


def the_certificate(lab: Any, name: str) -> dict:
    """The lab's ACM certificate for ``name`` (found by domain and the lab's tag), described."""
    acm = lab.client("acm")
    for cert in acm.list_certificates().get("CertificateSummaryList", []):
        if cert.get("DomainName") != name:
            continue
        if tags_of({"Tags": acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]).get("Tags", [])}).get(
                "awslab:lab") == lab.name:
            return acm.describe_certificate(CertificateArn=cert["CertificateArn"])["Certificate"]
    raise not_yet(_("There is no ACM certificate for {name} tagged awslab:lab={lab} yet.").format(name=name, lab=lab.name),
                  _("acm.request_certificate(DomainName='{name}', ValidationMethod='DNS', Tags=lab.tags(...))").format(
                      name=name))


def _check_issued(cert: dict) -> None:
    if cert["Status"] == "ISSUED":
        return
    rr = next((o.get("ResourceRecord") for o in cert.get("DomainValidationOptions", []) if o.get("ResourceRecord")), {})
    raise not_yet(_("The certificate is {status}: ACM issues it once it finds the CNAME {record} in the hosted zone.").format(
        status=cert["Status"], record=rr.get("Name", "?")),
        _("UPSERT a CNAME {record} → {value} in the example.com zone, then wait for ISSUED.").format(
            record=rr.get("Name", "?"), value=rr.get("Value", "?")))


def _https_listener(lab: Any, alb: dict, cert_arn: str) -> dict:
    listeners = lab.client("elbv2").describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    https = [x for x in listeners if x["Port"] == 443]
    if not https or https[0]["Protocol"] != "HTTPS":
        raise not_yet(_("The load balancer has no HTTPS listener on port 443 yet."),
                      _("elbv2.create_listener(Protocol='HTTPS', Port=443, Certificates=[{{'CertificateArn': ...}}], "
                        "SslPolicy='{policy}', DefaultActions=[forward to the target group])").format(policy=RECOMMENDED_POLICY))
    listener = https[0]
    if [c["CertificateArn"] for c in listener.get("Certificates", [])][:1] != [cert_arn]:
        raise not_yet(_("The HTTPS listener's default certificate is not the lab's certificate for api.example.com."),
                      _("elbv2.modify_listener(ListenerArn=..., Certificates=[{{'CertificateArn': '{arn}'}}])").format(arn=cert_arn))
    old = [v for v in policy_versions(listener.get("SslPolicy", "")) if v in ("TLSv1", "TLSv1.1")]
    if old:
        raise not_yet(_("The listener's security policy {policy} still accepts {versions}, which browsers dropped years ago "
                        "(it is what the API picks when SslPolicy is left out).").format(
                            policy=listener.get("SslPolicy"), versions=", ".join(old)),
                      _("elbv2.modify_listener(ListenerArn=..., SslPolicy='{policy}')").format(policy=RECOMMENDED_POLICY))
    return listener


def _redirects(rule_or_listener_actions: list[dict]) -> bool:
    return any(a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
               and (a.get("RedirectConfig") or {}).get("StatusCode") == "HTTP_301" for a in rule_or_listener_actions)


def _check_redirect(lab: Any, alb: dict, host: str) -> None:
    elbv2 = lab.client("elbv2")
    http = [x for x in elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"] if x["Port"] == 80]
    if not http:
        return
    for rule in elbv2.describe_rules(ListenerArn=http[0]["ListenerArn"])["Rules"]:
        hosts = [v for c in rule.get("Conditions", []) for v in (c.get("HostHeaderConfig") or {}).get("Values", [])]
        if _redirects(rule.get("Actions", [])) and (rule.get("IsDefault") or host in hosts):
            return
    raise not_yet(_("http://{host}/ is still answered over HTTP: nothing on the port-80 listener redirects it to HTTPS with "
                    "a 301.").format(host=host),
                  _("elbv2.create_rule(ListenerArn=<the HTTP listener>, Priority=10, Conditions=[host-header {host}], "
                    "Actions=[{{'Type': 'redirect', 'RedirectConfig': {{'Protocol': 'HTTPS', 'Port': '443', "
                    "'StatusCode': 'HTTP_301'}}}}])").format(host=host))


@task("10.6", N_("HTTPS at the ALB: an issued certificate for api.example.com, HTTPS:443, HTTP redirected"))
def https_listener(lab: Any) -> Any:
    name = EdgeSpec().record_name
    cert = the_certificate(lab, name)
    _check_issued(cert)
    alb = the_alb(lab)
    listener = _https_listener(lab, alb, cert["CertificateArn"])
    _check_redirect(lab, alb, name)
    return ok(_("{name}: certificate ISSUED by {issuer}; HTTPS:443 with {policy}; http://{name}/ answers 301.").format(
        name=name, issuer=cert.get("Issuer", "?"), policy=listener.get("SslPolicy")), [cert["CertificateArn"],
                                                                                      listener["ListenerArn"]])
