"""Which AWS API a request is for, in which protocol, and which action: read from the request alone.

moto's dispatcher picks the service from the request (the SigV4 credential scope
in ``Authorization``, else the host, the body or the path). :func:`identify`
asks the same dispatcher, so it never disagrees with moto about whose request
it is, and adds what the checks need: botocore's model of the API, the
protocol (an API like CloudWatch speaks both ``query`` and ``json``), the
action, and the query-string and form parameters.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl

__all__ = ["AwsRequest", "identify", "service_model"]

log = logging.getLogger("awslab.cloud")

#: moto serves ELB and ELBv2 on one endpoint and tells them apart by the API version.
_ELB_VERSIONS = {"2015-12-01": "elbv2", "2012-06-01": "elb"}
#: The protocols moto reads and writes (not CBOR), in the order to fall back on.
_SPOKEN = ("query", "json", "ec2", "rest-xml", "rest-json")


@dataclass(frozen=True)
class AwsRequest:
    """One AWS request as the cloud received it.

    ``service`` is botocore's model of the API (None when botocore has none, as for
    moto's own ``/moto-api``); ``protocol`` one of ``ec2``, ``query``, ``json``,
    ``rest-xml``, ``rest-json``; ``values`` the query-string and form parameters,
    first value winning, as moto reads them.
    """

    backend: str
    service: Any
    protocol: str
    values: Mapping[str, str] = field(default_factory=dict)
    target: str = ""
    body: bytes = b""

    @property
    def service_name(self) -> str:
        return self.service.service_name if self.service is not None else ""

    @property
    def action(self) -> str:
        """The action's name: ``Action`` for query APIs, the part of ``X-Amz-Target`` after the dot for JSON."""
        if self.protocol == "json":
            return self.target.rpartition(".")[2]
        return self.values.get("Action", "")


@functools.lru_cache(maxsize=None)
def service_model(name: str) -> Any:
    """botocore's model of the API ``name`` (as moto loads it), or None when botocore has no such API."""
    from botocore.exceptions import UnknownServiceError

    from moto.core.utils import get_service_model

    try:
        return get_service_model(name)
    except UnknownServiceError:
        return None


def identify(moto_app: Any, environ: dict, body: bytes) -> AwsRequest | None:
    """Whose request ``environ`` is (its body already read into ``body``); None for moto's own routes."""
    path = environ.get("PATH_INFO", "")
    if path.startswith(("/moto-api", "/latest/", "/favicon.ico")):
        return None
    try:
        host = moto_app.infer_service_region_host(environ, path)
        backend = moto_app.get_backend_for_host(host) if host else "s3"
    except Exception:  # noqa: BLE001 - a request moto itself can't place: moto will answer it as it does
        log.debug("could not tell which service %s %s is for", environ.get("REQUEST_METHOD"), path, exc_info=True)
        return None
    environ["wsgi.input"].seek(0)  # moto's dispatcher may have read the body
    content_type = environ.get("CONTENT_TYPE", "")
    values = _parameters(environ.get("QUERY_STRING", ""), body if content_type.startswith(
        "application/x-www-form-urlencoded") else b"")
    name = _ELB_VERSIONS.get(values.get("Version", ""), "elbv2") if backend in ("elb", "elbv2") else backend
    model = service_model(name) if isinstance(name, str) else None
    return AwsRequest(backend or "", model, _protocol(model, content_type), values,
                      environ.get("HTTP_X_AMZ_TARGET", ""), body)


def _parameters(query_string: str, form: bytes) -> dict[str, str]:
    values: dict[str, str] = {}
    for source in (query_string, form.decode("utf-8", "replace")):
        for key, value in parse_qsl(source, keep_blank_values=True):
            values.setdefault(key, value)
    return values


def _protocol(model: Any, content_type: str) -> str:
    """The protocol the request speaks; the API's own when its content type names none moto speaks."""
    if model is None:
        return "rest-xml"
    from moto.core.request import determine_request_protocol

    try:
        protocol = determine_request_protocol(model, content_type)
    except NotImplementedError:
        protocol = str(model.protocol)
    if protocol in _SPOKEN:
        return protocol
    offered = model.metadata.get("protocols", [model.protocol])
    return next((p for p in _SPOKEN if p in offered), "rest-xml")
