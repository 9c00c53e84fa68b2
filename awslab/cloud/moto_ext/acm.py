"""ACM part of the moto extension: certificates the lab CA signs, issued once DNS validation succeeds.

What moto 5.2.5 does, and what changes here:

- ``RequestCertificate`` makes a certificate signed by a throwaway key under an "Amazon" issuer name that no
  client can verify. Here the lab CA (:mod:`awslab.cloud.labca`) signs it, for the requested domain name and
  SubjectAlternativeNames, so ``curl --cacert <lab CA>`` verifies it as a browser verifies an ACM certificate.
- moto turns ``PENDING_VALIDATION`` into ``ISSUED`` after a fixed wait (``MOTO_ACM_VALIDATION_WAIT``, 60 s),
  whether or not anyone proved they own the domain. AWS issues a DNS-validated certificate only once the CNAME
  that ``DescribeCertificate`` names under ``DomainValidationOptions[].ResourceRecord`` is found in DNS, for every
  name on the certificate, and keeps checking until then
  (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). Here a certificate becomes ``ISSUED``
  when, for each of its names, a public Route 53 hosted zone of this cloud that is authoritative for the record's
  name (the deepest zone whose apex is a suffix of it; of several zones of that name, any one) holds that CNAME with
  that value. AWS names no fixed delay
  once the record is there, so the next read sees it. ``IssuedAt``, ``NotBefore`` and ``NotAfter`` appear only
  once it is issued, as on AWS.
- ``GetCertificate`` of a certificate not yet issued answers ``RequestInProgressException`` as AWS does
  (https://docs.aws.amazon.com/acm/latest/APIReference/API_GetCertificate.html); moto returned the certificate.

The private keys stay in moto's in-memory models. :func:`certificate_material` hands one to the data plane,
in the same process, to terminate TLS; no API answer carries it (``ExportCertificate`` is moto's, and only for
certificates made exportable, with the passphrase the caller gives, as on AWS).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.acm import models as acm_models
from moto.acm import responses as acm_responses
from moto.core.exceptions import AWSError

from .. import labca

__all__ = ["install", "certificate_material", "TlsMaterial", "validated", "validation_records"]

_ORIG: dict[str, Any] = {}


@dataclass(frozen=True)
class TlsMaterial:
    """What an HTTPS listener needs of one certificate: the leaf, its chain, and its key (never shown)."""

    arn: str
    certificate: bytes
    chain: bytes
    status: str
    names: tuple[str, ...]
    private_key: bytes = field(repr=False)


def _generate_cert(cls, domain_name: str, account_id: str, region: str, sans: list[str] | None = None,
                   cert_authority_arn: str | None = None):
    """moto's ``CertBundle.generate_cert``, signed by the lab CA (a private CA's certificates stay moto's)."""
    if cert_authority_arn is not None:
        return _ORIG["generate_cert"].__func__(cls, domain_name, account_id, region, sans, cert_authority_arn)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # ACM's default KeyAlgorithm, RSA_2048
    cert = labca.issue(domain_name, list(sans or []), key.public_key())
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    bundle = cls(certificate=cert, private_key=pem_key, cert_type="AMAZON_ISSUED", cert_status="PENDING_VALIDATION",
                 account_id=account_id, region=region)
    bundle.chain = labca.load().cert_pem  # ACM returns the issuing CA's chain; here the lab CA's
    return bundle


def validation_records(bundle: Any) -> list[tuple[str, str]]:
    """``(name, value)`` of the validation CNAME of each name on the certificate, as DescribeCertificate shows them."""
    options = _ORIG["describe"](bundle)["Certificate"].get("DomainValidationOptions", [])
    return [(o["ResourceRecord"]["Name"], o["ResourceRecord"]["Value"]) for o in options if o.get("ResourceRecord")]


def _norm(name: str) -> str:
    return name.rstrip(".").lower() + "."


def _public_zones(account_id: str) -> list[Any]:
    from moto.route53.models import route53_backends

    zones = []
    for partition in ("aws",):
        if account_id in route53_backends and partition in route53_backends[account_id]:
            zones += [z for z in route53_backends[account_id][partition].zones.values() if not z.private_zone]
    return zones


def validated(account_id: str, records: list[tuple[str, str]]) -> bool:
    """Does every validation CNAME exist in the public hosted zone authoritative for its name?"""
    zones = _public_zones(account_id)
    for name, value in records:
        name = _norm(name)
        owners = [z for z in zones if name == _norm(z.name) or name.endswith("." + _norm(z.name))]
        if not owners:
            return False
        deepest = max(len(_norm(z.name)) for z in owners)  # the deepest zone answers for the name; Route 53 allows
        zones = [z for z in owners if len(_norm(z.name)) == deepest]  # several public zones of one name (one per lab here)
        if not any(r.type == "CNAME" and _norm(r.name) == name and any(_norm(v) == _norm(value) for v in r.records)
                   for z in zones for r in z.rrsets):
            return False
    return True


def _check(self: Any) -> None:
    """moto's ``CertBundle.check``: expiry as moto has it; DNS validation instead of moto's timer."""
    now = acm_models.utcnow()
    if self._not_valid_after(self._cert) <= now:
        self.status = "EXPIRED"
        return
    if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION":
        if validated(self.arn.split(":")[4], validation_records(self)):
            self.status = "ISSUED"
            self.issued_at = now


def _describe(self: Any) -> dict:
    out = _ORIG["describe"](self)
    cert = out["Certificate"]
    if self.type == "AMAZON_ISSUED":
        if self.status in ("PENDING_VALIDATION", "VALIDATION_TIMED_OUT", "FAILED"):
            for key in ("IssuedAt", "NotBefore", "NotAfter"):
                cert.pop(key, None)
        elif getattr(self, "issued_at", None) is not None:
            cert["IssuedAt"] = acm_models.datetime_to_epoch(self.issued_at)
    return out


def _get_certificate_response(self: Any):
    arn = self._get_param("CertificateArn")
    if arn is not None:
        bundle = self.acm_backend.get_certificate(arn)
        if bundle.status == "PENDING_VALIDATION":
            raise AWSError(f"Certificate {arn} is still in progress", exception_type="RequestInProgressException")
    return _ORIG["get_response"](self)


def _backend(arn: str) -> Any:
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "acm":
        return None
    region, account = parts[3], parts[4]
    backends = acm_models.acm_backends
    if account not in backends or region not in backends[account]:
        return None
    return backends[account][region]


def certificate_material(arn: str) -> TlsMaterial | None:
    """The certificate ``arn`` as an HTTPS listener serves it, or None if ACM has no such certificate.

    Called by the data plane in the cloud process; reads moto's model without changing it.
    """
    backend = _backend(arn)
    bundle = backend._certificates.get(arn) if backend is not None else None
    if bundle is None:
        return None
    chain = bundle.chain.replace(acm_models.AWS_ROOT_CA, b"").strip()  # moto appends an Amazon root to every chain
    names = tuple(dict.fromkeys([*bundle.sans, *([bundle.common_name] if bundle.common_name else [])]))
    return TlsMaterial(arn, bundle.cert, chain + b"\n" if chain else b"", bundle.status, names, bundle.key)


def install() -> None:
    if _ORIG:
        return
    _ORIG["generate_cert"] = acm_models.CertBundle.__dict__["generate_cert"]
    _ORIG["describe"] = acm_models.CertBundle.describe
    _ORIG["check"] = acm_models.CertBundle.check
    _ORIG["get_response"] = acm_responses.AWSCertificateManagerResponse.get_certificate
    acm_models.CertBundle.generate_cert = classmethod(_generate_cert)
    acm_models.CertBundle.check = _check
    acm_models.CertBundle.describe = _describe
    acm_responses.AWSCertificateManagerResponse.get_certificate = _get_certificate_response
