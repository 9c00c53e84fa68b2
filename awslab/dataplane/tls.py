"""TLS termination at the ALB: an HTTPS listener's security policy, its certificates and SNI.

An HTTPS listener decrypts at the load balancer and sends plain HTTP to its targets, with
``X-Forwarded-Proto: https`` and ``X-Forwarded-Port: 443``
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html). What decides the
handshake here is what decides it on AWS:

- **The security policy** (``SslPolicy``) fixes the TLS versions and the TLS 1.2 ciphers, from ELB's table of
  predefined policies (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html;
  moto carries the same table). A listener made through the API without ``SslPolicy`` gets
  ``ELBSecurityPolicy-2016-08`` (TLS 1.0-1.2), the console's default is a TLS 1.2/1.3 policy: the page above
  says so. TLS 1.3's suites are OpenSSL's three, the same three every ELB TLS 1.3 policy lists. Versions the
  local OpenSSL refuses (TLS 1.0/1.1 at its default security level) stay refused.
- **Certificates and SNI**: the client's server name picks the certificate whose names match it; a client that
  sends no name, or a name no certificate matches, gets the listener's default certificate
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html), so
  ``curl --cacert <lab CA>`` to a name not on it fails verification, as on AWS.

Keys go from moto's memory to OpenSSL through an anonymous in-memory file (``memfd``), never through a named
file; where that doesn't exist, through a 0400 file that is removed as soon as OpenSSL has read it.
"""
from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ListenerTls", "TlsInfo", "Terminator", "names_match", "policy_versions", "DEFAULT_API_POLICY"]

#: What ELB uses for an HTTPS listener created through the API or CLI without ``SslPolicy`` (page above).
DEFAULT_API_POLICY = "ELBSecurityPolicy-2016-08"
_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1, "TLSv1.2": ssl.TLSVersion.TLSv1_2,
             "TLSv1.3": ssl.TLSVersion.TLSv1_3}
_ORDER = list(_VERSIONS)


@dataclass(frozen=True)
class ListenerTls:
    """An HTTPS listener's TLS settings as the APIs describe them, with each certificate's material."""

    ssl_policy: str
    default_arn: str
    certificate_arns: tuple[str, ...] = ()
    materials: dict = field(default_factory=dict, repr=False, compare=False)  # arn -> acm.TlsMaterial


@dataclass(frozen=True)
class TlsInfo:
    """What one client connection negotiated, for the access log (``ssl_cipher``, ``ssl_protocol``, ``chosen_cert_arn``)."""

    cipher: str
    protocol: str
    certificate_arn: str
    server_name: str | None = None


def policy_versions(policy: str) -> tuple[str, ...]:
    """The TLS versions ``policy`` allows, e.g. ``("TLSv1.2", "TLSv1.3")``; empty for an unknown policy."""
    from moto.elbv2.ssl_policies import SSL_POLICIES

    got = SSL_POLICIES.get(policy or DEFAULT_API_POLICY)
    return tuple(v for v in _ORDER if got and v in got["ssl_protocols"])


def _policy_ciphers(policy: str) -> list[str]:
    from moto.elbv2.ssl_policies import SSL_POLICIES

    got = SSL_POLICIES.get(policy or DEFAULT_API_POLICY) or {}
    return [c for c in got.get("ciphers", []) if not c.startswith("TLS_")]  # TLS 1.3 suites are not set by name


def names_match(server_name: str, names: tuple[str, ...]) -> bool:
    """Does a certificate for ``names`` cover ``server_name``? A wildcard covers exactly one label (RFC 6125)."""
    host = server_name.rstrip(".").lower()
    for name in names:
        name = name.lower()
        if name == host:
            return True
        if name.startswith("*.") and host.count(".") >= 2 and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _load_chain(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """Give OpenSSL the certificate chain and key without leaving the key in a named file."""
    if hasattr(os, "memfd_create"):
        fds = [os.memfd_create(n, os.MFD_CLOEXEC) for n in ("cert", "key")]
        try:
            for fd, data in zip(fds, (cert_pem, key_pem)):
                os.write(fd, data)
            ctx.load_cert_chain(f"/proc/self/fd/{fds[0]}", f"/proc/self/fd/{fds[1]}")
        finally:
            for fd in fds:
                os.close(fd)
        return
    with tempfile.TemporaryDirectory() as folder:  # 0700
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(cert_pem)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        ctx.load_cert_chain(cert_path, key_path)


def context_for(policy: str, material: Any) -> ssl.SSLContext:
    """A server context for one certificate under one security policy."""
    versions = policy_versions(policy) or policy_versions(DEFAULT_API_POLICY)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version, ctx.maximum_version = _VERSIONS[versions[0]], _VERSIONS[versions[-1]]
    ciphers = _policy_ciphers(policy)
    if ciphers:
        try:
            ctx.set_ciphers(":".join(ciphers))
        except ssl.SSLError:
            pass  # none of them known to this OpenSSL: keep its defaults
    ctx.set_alpn_protocols(["http/1.1"])
    _load_chain(ctx, material.certificate + (b"\n" + material.chain if material.chain else b""), material.private_key)
    ctx.certificate_arn = material.arn  # which one the SNI callback chose, for the access log
    return ctx


class Terminator:
    """One HTTPS listener's contexts: the default certificate's, and one per other certificate for SNI.

    Contexts are built once per (policy, certificate) and reused across updates (:meth:`update`).
    """

    def __init__(self) -> None:
        self._cache: dict[tuple, ssl.SSLContext] = {}
        self.default: ssl.SSLContext | None = None
        self._by_names: list[tuple[tuple[str, ...], ssl.SSLContext]] = []

    def update(self, tls: ListenerTls) -> None:
        """Take the listener's current policy and certificates; raises if its default certificate can't be served."""
        keep: dict[tuple, ssl.SSLContext] = {}
        contexts = []
        for arn in dict.fromkeys([tls.default_arn, *tls.certificate_arns]):
            material = tls.materials.get(arn)
            if material is None:
                continue
            key = (tls.ssl_policy, arn, material.certificate, material.chain)
            ctx = self._cache.get(key) or context_for(tls.ssl_policy, material)
            keep[key] = ctx
            contexts.append((arn, material.names, ctx))
        self._cache = keep
        default = next((c for a, _, c in contexts if a == tls.default_arn), None)
        if default is None:
            raise ValueError(f"certificate {tls.default_arn} is not in ACM")
        for _, _, ctx in contexts:
            ctx.sni_callback = self._choose
        self.default = default
        self._by_names = [(names, ctx) for arn, names, ctx in contexts if arn != tls.default_arn]
        self._default_names = next(n for a, n, _ in contexts if a == tls.default_arn)

    def _choose(self, sslobj: Any, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        """SNI: the default certificate if it covers the name, else the first listed one that does, else the default."""
        if not server_name or names_match(server_name, self._default_names):
            return None
        for names, ctx in self._by_names:
            if names_match(server_name, names):
                sslobj.context = ctx
                return None
        return None

    @staticmethod
    def info(sslobj: Any) -> TlsInfo:
        """What a finished handshake negotiated (the cipher's OpenSSL name, as AWS's log writes it)."""
        cipher = sslobj.cipher() or ("-", "-", 0)
        return TlsInfo(cipher[0], sslobj.version() or "-", getattr(sslobj.context, "certificate_arn", "-"),
                       getattr(sslobj, "server_hostname", None))


class TlsSession:
    """Server-side TLS over a plain connection, through memory BIOs.

    Bytes from the client go in with :meth:`feed` (ciphertext in, plaintext out); the answer goes out with
    :meth:`write`. Unlike ``loop.start_tls``, nothing races the client's first bytes: a ClientHello that arrives
    with the connection (as fast clients send it) is simply the first thing fed in, on either event loop.
    """

    def __init__(self, ctx: ssl.SSLContext, transport: Any):
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.sslobj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.transport = transport
        self.established = False

    def feed(self, data: bytes) -> bytes:
        """Ciphertext from the client; returns the application bytes it carried. Raises ``ssl.SSLError`` on a failed handshake."""
        self.incoming.write(data)
        plain = bytearray()
        try:
            if not self.established:
                try:
                    self.sslobj.do_handshake()
                    self.established = True
                except ssl.SSLWantReadError:
                    return b""
            while True:
                try:
                    chunk = self.sslobj.read(65536)
                except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                    break
                if not chunk:
                    break
                plain += chunk
        finally:
            self._flush()
        return bytes(plain)

    def write(self, data: bytes) -> None:
        self.sslobj.write(data)
        self._flush()

    def _flush(self) -> None:
        pending = self.outgoing.read()
        if pending:
            self.transport.write(pending)


class TlsTransport:
    """What the HTTP side of a connection writes to: encrypts through a :class:`TlsSession`, the rest is the socket's."""

    def __init__(self, session: TlsSession, raw: Any):
        self.session, self.raw = session, raw

    def write(self, data: bytes) -> None:
        self.session.write(data)

    def __getattr__(self, name: str) -> Any:  # close, abort, pause_reading, resume_reading, get_extra_info, ...
        return getattr(self.raw, name)
