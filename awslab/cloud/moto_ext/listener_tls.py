"""ELBv2 part of the moto extension: an HTTPS listener takes only a certificate it can serve.

moto 5.2.5 creates an HTTPS listener with no certificate at all, with a certificate still
``PENDING_VALIDATION``, or with an unknown ``SslPolicy``, and answers a missing certificate with Classic
ELB's ``CertificateNotFoundException`` (``add_listener_certificates`` checks nothing). ELBv2 refuses each, with
its own codes:

- no certificate on an HTTPS listener: ``ValidationError`` "A certificate must be specified for HTTPS listeners";
- a certificate ARN that ACM doesn't have: ``CertificateNotFound`` "Certificate '<arn>' not found";
- a certificate that is not ``ISSUED`` (still pending validation, expired, ...): ``UnsupportedCertificate``
  "The certificate '<arn>' must have a fully-qualified domain name, a supported signature, and a supported key
  size." (the generic text ELB answers for a certificate not yet issued; seen in
  https://github.com/cloudposse/terraform-aws-acm-request-certificate/issues/58 and
  https://github.com/DataBiosphere/azul/issues/8321);
- an ``SslPolicy`` that isn't one of ELB's predefined policies: ``SSLPolicyNotFound`` (moto's own check, which it
  made only in ModifyListener).

Patched: ``ELBv2Backend.create_listener``, ``modify_listener`` and ``add_listener_certificates`` check first,
then call moto's. IAM server certificates (``arn:aws:iam::...:server-certificate/...``) go to moto unchecked.
"""
from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend
from moto.elbv2.ssl_policies import SSL_POLICIES

__all__ = ["install", "check_certificate"]

_ORIG: dict[str, Any] = {}
UNSUPPORTED = ("The certificate '{arn}' must have a fully-qualified domain name, a supported signature, "
               "and a supported key size.")


def check_certificate(arn: str) -> None:
    """Raise ELBv2's error for a certificate ARN an HTTPS listener can't use."""
    if ":iam:" in arn:
        return
    from moto.acm.exceptions import CertificateNotFound

    from .acm import _backend

    backend = _backend(arn)
    try:
        bundle = backend.get_certificate(arn) if backend is not None else None
    except CertificateNotFound:
        bundle = None
    if bundle is None:
        raise ELBClientError("CertificateNotFound", f"Certificate '{arn}' not found")
    if bundle.status != "ISSUED":
        raise ELBClientError("UnsupportedCertificate", UNSUPPORTED.format(arn=arn))


def _check_policy(ssl_policy: str | None) -> None:
    if ssl_policy is not None and ssl_policy not in SSL_POLICIES:
        raise ELBClientError("SSLPolicyNotFound", f"Policy {ssl_policy} not found")


def _create_listener(self: Any, load_balancer_arn: str, protocol: str, port: str, ssl_policy: str,
                     certificate: str | None, actions: list, *args: Any, **kw: Any) -> Any:
    if (protocol or "").upper() == "HTTPS":
        if not certificate:
            raise ELBClientError("ValidationError", "A certificate must be specified for HTTPS listeners")
        check_certificate(certificate)
        _check_policy(ssl_policy)
    return _ORIG["create"](self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, *args, **kw)


def _modify_listener(self: Any, arn: str, port: Any = None, protocol: Any = None, ssl_policy: Any = None,
                     certificates: Any = None, actions: Any = None) -> Any:
    for cert in certificates or []:
        check_certificate(cert.get("CertificateArn", ""))
    return _ORIG["modify"](self, arn, port, protocol, ssl_policy, certificates, actions)


def _add_listener_certificates(self: Any, arn: str, certificates: list[dict]) -> Any:
    for cert in certificates or []:
        check_certificate(cert.get("CertificateArn", ""))
    return _ORIG["add"](self, arn, certificates)


def install() -> None:
    if _ORIG:
        return
    _ORIG["create"] = ELBv2Backend.create_listener
    _ORIG["modify"] = ELBv2Backend.modify_listener
    _ORIG["add"] = ELBv2Backend.add_listener_certificates
    ELBv2Backend.create_listener = _create_listener
    ELBv2Backend.modify_listener = _modify_listener
    ELBv2Backend.add_listener_certificates = _add_listener_certificates
