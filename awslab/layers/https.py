"""HTTPS at the load balancer: an ACM certificate, validated through Route 53, on an HTTPS:443 listener.

The seed's "SSL 종료, HTTPS -> HTTP": the browser speaks TLS to the ALB, the ALB decrypts and sends plain HTTP to
the app servers with ``X-Forwarded-Proto: https``, so the servers never hold a private key. The steps, as a person
does them:

1. **Request a certificate** from ACM for the API's name, with DNS validation.
2. **Prove the domain**: write the CNAME ACM names (``DomainValidationOptions[].ResourceRecord``) into the hosted
   zone; ACM sees it and issues the certificate
   (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html).
3. **443 open** on the ALB's security group, as 80 is (the security layer's rule; revoke it and clients time out).
4. **Create the HTTPS listener** with the certificate and a security policy
   (``ELBSecurityPolicy-TLS13-1-2-2021-06``: TLS 1.2 and 1.3, AWS's recommended policy; through the API the default
   would be ``ELBSecurityPolicy-2016-08``, which still allows TLS 1.0,
   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
5. **Redirect HTTP to HTTPS** (301) for the API's name, with a rule on the port-80 listener (the course's traffic and
   drills keep speaking HTTP to the load balancer's own name).

In the embedded cloud ACM signs with the lab's own CA (:mod:`awslab.cloud.labca`); trust it with
``curl --cacert $(awslab ca)``. Every step is idempotent.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import WaiterError

from ..errors import EdgeError
from ..i18n import N_, _
from ..lab import Lab
from ._base import Built, call, cli_tag_list, paginate, tag_value
from .. import config

LAYER = "edge"
__all__ = ["Https", "build_https", "ensure_certificate", "ensure_validation_records", "ensure_https_listener",
           "ensure_http_redirect", "redirect_rule", "RECOMMENDED_POLICY"]

RECOMMENDED_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: How long the build waits for ACM to see the validation record (AWS: usually minutes; the lab: at once).
VALIDATION_WAIT = {"Delay": 5, "MaxAttempts": 60}
NOT_VALIDATED = N_("ACM did not validate {name} within {seconds} s: it looks up the CNAME {record} in public DNS. On real "
                 "AWS the hosted zone's name servers must be the domain's (set them at your registrar).")


@dataclass
class Https(Built):
    """The HTTPS listener and its certificate (reach it at ``https://<domain_name>/``)."""

    certificate_arn: str
    listener_arn: str
    domain_name: str
    ssl_policy: str
    redirects_http: bool = False
    created: list[str] = field(default_factory=list)


def build_https(lab: Lab, load_balancer: Any, zone_id: str, name: str, created: list[str], *,
                ssl_policy: str = RECOMMENDED_POLICY, redirect_http: bool = True) -> Https:
    """Certificate for ``name`` (validated in ``zone_id``), 443 open on the ALB, the HTTPS listener, maybe the redirect."""
    mine: list[str] = []
    arn = ensure_certificate(lab, name, mine)
    ensure_validation_records(lab, zone_id, arn, name)
    listener = ensure_https_listener(lab, load_balancer, arn, ssl_policy, mine)
    if redirect_http:
        ensure_http_redirect(lab, load_balancer.listener_arn, name, mine)
    created.extend(mine)
    return Https(arn, listener, name, ssl_policy, redirect_http, mine)


def _lab_certificate(acm: Any, lab: Lab, name: str) -> str | None:
    for cert in paginate(acm, "list_certificates", "CertificateSummaryList",
                         CertificateStatuses=["PENDING_VALIDATION", "ISSUED"]):
        if cert.get("DomainName") != name:
            continue
        tags = acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]).get("Tags", [])
        if tag_value(tags, config.LAB_TAG) == lab.name:
            return cert["CertificateArn"]
    return None


def ensure_certificate(lab: Lab, name: str, created: list[str]) -> str:
    """The lab's ACM certificate for ``name`` (requested with DNS validation if there is none yet)."""
    acm = lab.client("acm")
    tags = lab.tags(lab.resource_name("cert"), LAYER)
    arn = _lab_certificate(acm, lab, name)
    if arn is None:
        arn = call(acm.request_certificate, _("requesting a certificate for {name}").format(name=name), error=EdgeError,
                   DomainName=name, ValidationMethod="DNS", Tags=tags)["CertificateArn"]
        created.append(arn)
    lab.record("edge/https-certificate", ["aws", "acm", "request-certificate", "--domain-name", name, "--validation-method", "DNS",
               "--tags", *cli_tag_list(tags)], _("ACM: a certificate for the API's name, validated through DNS"),
               var="CERT_ARN", query="CertificateArn")
    return arn


def _validation_records(acm: Any, arn: str) -> list[dict]:
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    return [o["ResourceRecord"] for o in cert.get("DomainValidationOptions", []) if o.get("ResourceRecord")]


def ensure_validation_records(lab: Lab, zone_id: str, arn: str, name: str) -> None:
    """Write ACM's validation CNAME(s) into the zone (UPSERT: idempotent), then wait until the certificate is ISSUED."""
    acm, r53 = lab.client("acm"), lab.client("route53")
    records = _validation_records(acm, arn)
    have = {(r["Name"].lower(), rr["Value"].lower()) for r in paginate(r53, "list_resource_record_sets", "ResourceRecordSets",
                                                                      HostedZoneId=zone_id)
            if r["Type"] == "CNAME" for rr in r.get("ResourceRecords", [])}
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {"Name": r["Name"], "Type": "CNAME", "TTL": 300,
                                                          "ResourceRecords": [{"Value": r["Value"]}]}}
               for r in records if (r["Name"].lower(), r["Value"].lower()) not in have]
    if changes:
        call(r53.change_resource_record_sets, _("writing the certificate's validation record"), error=EdgeError,
             HostedZoneId=zone_id, ChangeBatch={"Comment": "awslab ACM DNS validation", "Changes": changes})
    query = ("{Changes:[{Action:`UPSERT`,ResourceRecordSet:{Name:Certificate.DomainValidationOptions[0].ResourceRecord.Name,"
             "Type:`CNAME`,TTL:`300`,ResourceRecords:[{Value:Certificate.DomainValidationOptions[0].ResourceRecord.Value}]}}]}")
    lab.record("edge/https-validation", f"aws route53 change-resource-record-sets --hosted-zone-id $ZONE_ID --change-batch "
               f"\"$(aws acm describe-certificate --certificate-arn $CERT_ARN --query '{query}' --output json)\"",
               _("Route 53: the CNAME ACM names, so it issues the certificate"))
    lab.record("edge/https-wait", ["aws", "acm", "wait", "certificate-validated", "--certificate-arn", "$CERT_ARN"])
    try:
        acm.get_waiter("certificate_validated").wait(CertificateArn=arn, WaiterConfig=VALIDATION_WAIT)
    except WaiterError as e:
        seconds = VALIDATION_WAIT["Delay"] * VALIDATION_WAIT["MaxAttempts"]
        record = records[0]["Name"] if records else "?"
        raise EdgeError(_(NOT_VALIDATED).format(name=name, seconds=seconds, record=record),
                        _("Check the record with `dig CNAME {record}`; then build again.").format(record=record)) from e


def ensure_https_listener(lab: Lab, load_balancer: Any, cert_arn: str, ssl_policy: str, created: list[str]) -> str:
    """The HTTPS:443 listener forwarding to the target group, with ``cert_arn`` as its default certificate."""
    elbv2 = lab.client("elbv2")
    found = [x for x in paginate(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer.load_balancer_arn)
             if x["Port"] == 443]
    action = [{"Type": "forward", "TargetGroupArn": load_balancer.target_group_arn}]
    if not found:
        arn = call(elbv2.create_listener, _("creating the HTTPS listener"), error=EdgeError,
                   LoadBalancerArn=load_balancer.load_balancer_arn, Protocol="HTTPS", Port=443, SslPolicy=ssl_policy,
                   Certificates=[{"CertificateArn": cert_arn}], DefaultActions=action,
                   Tags=lab.tags(lab.resource_name("https"), LAYER))["Listeners"][0]["ListenerArn"]
        created.append(arn)
    else:
        arn = found[0]["ListenerArn"]
        certs = [c["CertificateArn"] for c in found[0].get("Certificates", [])]
        if found[0].get("SslPolicy") != ssl_policy or certs[:1] != [cert_arn]:
            call(elbv2.modify_listener, _("updating the HTTPS listener"), error=EdgeError, ListenerArn=arn, SslPolicy=ssl_policy,
                 Certificates=[{"CertificateArn": cert_arn}])
    tags = " ".join(map(shlex.quote, cli_tag_list(lab.tags(lab.resource_name("https"), LAYER))))
    lab.record("edge/https-listener", f"aws elbv2 create-listener --load-balancer-arn $ALB_ARN --protocol HTTPS --port 443 "
               f"--ssl-policy {ssl_policy} --certificates CertificateArn=$CERT_ARN "
               f"--default-actions Type=forward,TargetGroupArn=$TG_ARN --tags {tags}",
               _("HTTPS listener: TLS ends at the ALB, the app servers get HTTP"))
    return arn


REDIRECT_PRIORITY = 10


def redirect_rule(host: str) -> tuple[list[dict], list[dict]]:
    """``(Conditions, Actions)`` of the rule that sends ``http://<host>/...`` to ``https://<host>:443/...`` with a 301."""
    return ([{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}],
            [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])


def ensure_http_redirect(lab: Lab, http_listener_arn: str, host: str, created: list[str]) -> str:
    """A rule on the HTTP:80 listener: requests for ``host`` get 301 to HTTPS; other names keep the default action.

    Production setups redirect all of port 80; a rule for the API's name does it for the name users type, while the
    course's traffic generator and drills keep speaking HTTP to the load balancer's own name.
    """
    elbv2 = lab.client("elbv2")
    conditions, actions = redirect_rule(host)
    found = [r for r in paginate(elbv2, "describe_rules", "Rules", ListenerArn=http_listener_arn)
             if not r.get("IsDefault") and any(a.get("Type") == "redirect" for a in r.get("Actions", []))
             and any(host in (c.get("HostHeaderConfig") or {}).get("Values", []) for c in r.get("Conditions", []))]
    if found:
        arn = found[0]["RuleArn"]
    else:
        arn = call(elbv2.create_rule, _("redirecting HTTP to HTTPS"), error=EdgeError, ListenerArn=http_listener_arn,
                   Priority=REDIRECT_PRIORITY, Conditions=conditions, Actions=actions,
                   Tags=lab.tags(lab.resource_name("https-redirect"), LAYER))["Rules"][0]["RuleArn"]
        created.append(arn)
    lab.record("edge/https-redirect", ["aws", "elbv2", "create-rule", "--listener-arn", "$LISTENER_ARN", "--priority",
               str(REDIRECT_PRIORITY), "--conditions", f"Field=host-header,Values={host}", "--actions",
               "Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,StatusCode=HTTP_301}",
               "--tags", *cli_tag_list(lab.tags(lab.resource_name("https-redirect"), LAYER))],
               _("HTTP listener: {host} answers 301 to HTTPS").format(host=host))
    return arn
