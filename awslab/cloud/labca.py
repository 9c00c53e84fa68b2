"""The lab's certificate authority: what stands in for Amazon's public CAs in the embedded cloud.

On AWS, ACM signs a requested certificate with one of Amazon's CAs, which every browser and every
``curl`` already trusts. Offline there is no such CA, so awslab makes one, once per ``AWSLAB_HOME``:

- ``<home>/ca/lab-ca.pem``: the CA's certificate. Show it, and trust it where a client needs to:
  ``curl --cacert <path> https://...``, ``requests.get(..., verify=<path>)``. :func:`ca_certificate_path`
  returns it (creating the CA on first use) and ``awslab ca`` prints it.
- ``<home>/ca/lab-ca.key``: its private key, mode 0400 in a 0700 folder. Only the cloud process reads it,
  to sign what ACM issues; it is never printed, logged or sent in an API answer.

:func:`issue` signs a leaf certificate the way ACM's public certificates are made
(https://docs.aws.amazon.com/acm/latest/userguide/acm-concepts.html#concept-acm-cert): X.509 v3, valid
395 days, with Basic Constraints (not a CA), Authority and Subject Key Identifiers, Key Usage (digital
signature, key encipherment), Extended Key Usage (TLS web server authentication) and the requested names
as Subject Alternative Names.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .. import config

__all__ = ["LabCA", "ca_certificate_path", "load", "issue", "ACM_VALIDITY_DAYS", "CA_NAME"]

#: "Each ACM certificate is valid for 13 months (395 days)" (acm-concepts page above).
ACM_VALIDITY_DAYS = 395
#: The CA's common name, shown as the Issuer of every certificate ACM issues in the lab.
CA_NAME = "awslab Lab Root CA"
CA_VALIDITY_DAYS = 3650
_LOCK = threading.Lock()
_CACHE: dict[Path, "LabCA"] = {}


@dataclass(frozen=True)
class LabCA:
    """The CA's certificate (PEM and parsed) and, kept in memory only, its private key."""

    cert_path: Path
    cert_pem: bytes
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    def __repr__(self) -> str:  # never show the key
        return f"LabCA(cert_path={str(self.cert_path)!r})"


def _folder(home: Path | None) -> Path:
    return (home or config.home()) / "ca"


def ca_certificate_path(home: Path | None = None) -> Path:
    """Where the lab CA's certificate is (made on first use): the file to give ``curl --cacert``."""
    return load(home).cert_path


def load(home: Path | None = None) -> LabCA:
    """The lab CA of ``home`` (``AWSLAB_HOME`` by default), created once and then read back."""
    folder = _folder(home)
    with _LOCK:
        ca = _CACHE.get(folder)
        if ca is None:
            ca = _CACHE[folder] = _read(folder) or _create(folder)
        return ca


def _read(folder: Path) -> LabCA | None:
    cert_path, key_path = folder / "lab-ca.pem", folder / "lab-ca.key"
    if not (cert_path.exists() and key_path.exists()):
        return None
    pem = cert_path.read_bytes()
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return LabCA(cert_path, pem, x509.load_pem_x509_certificate(pem), key)


def _create(folder: Path) -> LabCA:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "awslab"), x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=CA_VALIDITY_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_path = folder / "lab-ca.key"
    key_path.unlink(missing_ok=True)  # a key left without its certificate by an interrupted first run
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path = folder / "lab-ca.pem"
    tmp = folder / "lab-ca.pem.tmp"
    tmp.write_bytes(pem)
    tmp.replace(cert_path)  # the certificate appears only once its key is on disk
    return LabCA(cert_path, pem, cert, key)


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue(domain_name: str, names: list[str], public_key, *, now: datetime.datetime | None = None,
          home: Path | None = None) -> bytes:
    """A leaf certificate (PEM) for ``domain_name`` and ``names`` (its SANs), signed by the lab CA."""
    ca = load(home)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    sans = list(dict.fromkeys([domain_name, *names]))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain_name)]))
            .issuer_name(ca.certificate.subject).public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=ACM_VALIDITY_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([_san(n) for n in sans]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)
