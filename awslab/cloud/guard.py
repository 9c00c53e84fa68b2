"""The cloud's front door: only programs on this machine may drive it, never a web page.

The embedded cloud accepts any AWS credentials, so the AWS APIs cannot tell a
student's boto3 from a page in their browser. A page on any site can send a
request to http://127.0.0.1:4566: a form POST, an image's GET or a ``text/plain``
``fetch`` needs no permission. This wrapper, around the whole WSGI app, refuses
every such request before it reaches moto or the control API:

- **Host.** Only ``127.0.0.1`` (any loopback address), ``localhost`` or ``[::1]``
  on the cloud's own port. A page on ``evil.example`` whose DNS name is
  re-pointed at 127.0.0.1 ("DNS rebinding") still sends ``Host: evil.example``.
  Jupyter checks the Host header the same way. ``AWSLAB_ALLOWED_HOSTS`` adds
  names, for a container reached under another name.
- **Origin and Sec-Fetch-Site.** Browsers name the page that made a request;
  SDKs and the AWS CLI send neither header. A request from another origin, or
  one a browser marks as cross-site, is refused, and no response carries CORS
  headers, so no page can read an answer (``GetSecretValue``, say).
  ``AWSLAB_CORS_ORIGINS`` lets chosen pages call the AWS APIs.
- **The control API** (``/_awslab/``; only ``GET /_awslab/health`` is open)
  needs the cloud's token (:mod:`awslab.cloud.identity`) and JSON bodies.

The AWS APIs themselves need no token: ``aws --endpoint-url``, awslocal and
boto3 with ``AWS_ENDPOINT_URL`` cannot send one, and they must keep working.
In class mode they need the owner's signature instead (:mod:`awslab.cloud.access_keys`),
and moto's own ``/moto-api/`` routes need the token.
"""
from __future__ import annotations

import functools
import hmac
import ipaddress
import json
from dataclasses import dataclass
from typing import Callable, Iterable
from xml.sax.saxutils import escape

from .. import config
from . import access_keys, identity

__all__ = ["Refusal", "wrap"]

CONTROL_PREFIX = "/_awslab/"
MOTO_API = "/moto-api/"
OPEN_ROUTES = {("GET", "/_awslab/health")}
#: What a browser's Sec-Fetch-Site says for a request it did not make on a page's behalf
#: (typed in the address bar: "none") or made from the cloud's own pages ("same-origin").
FETCH_SITES_OK = ("same-origin", "none")

HOST_REFUSED = ("awslab's embedded cloud answers only requests addressed to 127.0.0.1, localhost or [::1] on port "
                "{port}; this one was addressed to {host}. The rule keeps web pages out (DNS rebinding). Use "
                "http://127.0.0.1:{port}, or start the cloud with AWSLAB_ALLOWED_HOSTS={host} if every program that "
                "can reach that name may drive your cloud.")
ORIGIN_REFUSED = ("awslab's embedded cloud does not answer web pages (this request came from a page at {origin}): a "
                  "page could otherwise read your lab's secrets or change its resources. Call the cloud from Python, "
                  "the AWS CLI or a notebook; to let a page you trust call the AWS APIs, start the cloud with "
                  "AWSLAB_CORS_ORIGINS={origin}.")
SITE_REFUSED = ("awslab's embedded cloud does not answer requests a web page makes (the browser marked this one "
                "Sec-Fetch-Site: {site}). Call the cloud from Python, the AWS CLI or a notebook.")
TOKEN_MISSING = ("The control API (/_awslab/) needs the cloud's token in the X-Awslab-Token header. The cloud keeps "
                 "it in {token_file}, readable by you only; awslab's own clients (the Lab, the CLI, the drills) send "
                 "it for you when they use the same AWSLAB_HOME as the cloud.")
TOKEN_WRONG = ("The X-Awslab-Token header does not hold this cloud's token: it changes every time the cloud starts. "
               "Read it again from {token_file}.")
NOT_JSON = ("The control API takes JSON: send Content-Type: application/json (this request sent {content_type}).")


@dataclass(frozen=True)
class Refusal:
    """Why the guard turned a request away: an HTTP status, an error code and a message that says what to do."""

    status: int
    code: str
    message: str

    def respond(self, environ: dict, start_response: Callable) -> list[bytes]:
        reason = {401: "Unauthorized", 403: "Forbidden", 415: "Unsupported Media Type"}[self.status]
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX) or _wants_json(environ):
            key = "error" if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX) else "message"
            body, kind = json.dumps({"__type": self.code, key: self.message}).encode(), "application/json"
        else:  # the shape botocore reads for query and REST-XML services
            body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code>"
                    f"<Message>{escape(self.message)}</Message></Error></ErrorResponse>").encode()
            kind = "text/xml"
        start_response(f"{self.status} {reason}", [("Content-Type", kind), ("Content-Length", str(len(body))),
                                                   (identity.BOOT_HEADER, identity.BOOT_ID)])
        return [body]


def _wants_json(environ: dict) -> bool:
    return "HTTP_X_AMZ_TARGET" in environ or "json" in environ.get("CONTENT_TYPE", "")


@functools.lru_cache(maxsize=256)  # a handful of Host values, parsed once each (ipaddress is slow)
def _split_host(value: str) -> tuple[str, int | None]:
    """``"Example.com:80"`` -> ``("example.com", 80)``; ``"[::1]:4566"`` -> ``("::1", 4566)``; no port -> None."""
    host, _, port = value.strip().lower().rpartition(":")
    if not host or (value.startswith("[") and not host.endswith("]")) or not port.isdigit():
        host, port = value.strip().lower(), ""
    return host.strip("[]"), int(port) if port else None


@functools.lru_cache(maxsize=256)
def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Guard:
    """The WSGI wrapper. ``allowed`` and ``cors`` come from ``AWSLAB_ALLOWED_HOSTS`` and ``AWSLAB_CORS_ORIGINS``."""

    def __init__(self, app: Callable, allowed: Iterable[str] = (), cors: Iterable[str] = (), class_mode: bool = False):
        self.app = app
        self.allowed = set(allowed)
        self.cors = set(cors)
        #: In class mode moto's own routes (``/moto-api/``: its reset, its state manager) need the token too.
        self.class_mode = class_mode

    def host_allowed(self, value: str, cloud_port: int) -> bool:
        host, port = _split_host(value)
        port = port or 80
        if "*" in self.allowed or f"{host}:{port}" in self.allowed or (port == cloud_port and host in self.allowed):
            return True
        return port == cloud_port and _is_loopback(host)

    def refusal(self, environ: dict) -> Refusal | None:
        """Probe: why this request must be refused, or None."""
        cloud_port = int(environ.get("SERVER_PORT") or 0)
        host = environ.get("HTTP_HOST")
        if host is not None and not self.host_allowed(host, cloud_port):
            return Refusal(403, "AccessDenied", HOST_REFUSED.format(port=cloud_port, host=host[:100]))
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.rstrip("/").lower() in self.cors and not _is_control(environ):
            return None  # a page the user chose; moto adds the CORS headers
        if origin is not None and not self._own_origin(origin, cloud_port):
            return Refusal(403, "AccessDenied", ORIGIN_REFUSED.format(origin=origin[:200]))
        site = environ.get("HTTP_SEC_FETCH_SITE")
        if site is not None and site.lower() not in FETCH_SITES_OK:
            return Refusal(403, "AccessDenied", SITE_REFUSED.format(site=site[:40]))
        if _is_control(environ) or (self.class_mode and environ.get("PATH_INFO", "").startswith(MOTO_API)):
            return _control_refusal(environ, cloud_port)
        return None

    def _own_origin(self, origin: str, cloud_port: int) -> bool:
        scheme, _, rest = origin.partition("://")
        return scheme.lower() == "http" and "/" not in rest and self.host_allowed(rest, cloud_port)

    def __call__(self, environ: dict, start_response: Callable):
        refused = self.refusal(environ)
        if refused is not None:
            return refused.respond(environ, start_response)
        keep_cors = (environ.get("HTTP_ORIGIN") or "").rstrip("/").lower() in self.cors

        def start(status: str, headers: list, exc_info=None):
            headers = [(k, v) for k, v in headers if keep_cors or not k.lower().startswith("access-control-")]
            return start_response(status, headers + [(identity.BOOT_HEADER, identity.BOOT_ID)], exc_info)

        return self.app(environ, start)


def _is_control(environ: dict) -> bool:
    return environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX)


def _control_refusal(environ: dict, cloud_port: int) -> Refusal | None:
    """The control API's two extra rules: the cloud's token, and JSON bodies."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    if (method, environ.get("PATH_INFO", "").rstrip("/")) in OPEN_ROUTES:
        return None
    expected = identity.current_token(cloud_port)
    given = environ.get("HTTP_X_AWSLAB_TOKEN")
    token_file = identity.token_path(cloud_port) if cloud_port else "$AWSLAB_HOME/cloud-<port>.token"
    if not given:
        return Refusal(401, "MissingAuthenticationToken", TOKEN_MISSING.format(token_file=token_file))
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        return Refusal(401, "InvalidToken", TOKEN_WRONG.format(token_file=token_file))
    content_type = environ.get("CONTENT_TYPE", "")
    if method not in ("GET", "HEAD") and content_type.split(";")[0].strip().lower() != "application/json":
        return Refusal(415, "UnsupportedMediaType", NOT_JSON.format(content_type=content_type[:100] or "no Content-Type"))
    return None


def wrap(app: Callable) -> Callable:
    """Put the guard in front of ``app``, and have the server write its token when it starts (remove it at stop)."""
    from . import server  # the server imports this module; import it back only when it runs

    if _issue not in server._STARTUP_HOOKS:
        server.on_startup(_issue)
        server.on_shutdown(_withdraw)
    return Guard(app, config.allowed_hosts(), config.cors_origins(), access_keys.class_mode())


def _issue() -> None:
    from . import server

    if server.BOUND is not None:
        identity.issue_token(server.BOUND[1])


def _withdraw() -> None:
    from . import server

    if server.BOUND is not None:
        identity.withdraw_token(server.BOUND[1])
