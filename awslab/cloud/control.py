"""The embedded cloud's control API, served under ``/_awslab/``.

AWS has no API for "advance time by ten minutes" or "crash this instance's
app", so awslab adds one beside the AWS APIs. Every route answers JSON.
Other parts of awslab (the simulator, the data plane) register routes here
with :func:`route`; the server dispatches to them.

Routes are plain functions ``handler(body: dict, query: dict) -> dict | list``,
registered with the body and query they take (:mod:`awslab.cloud.schema`): the
body is read and checked before the handler runs, so a handler sees only what it
declared. Raise :class:`ControlError` to answer with an error status.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qs

from .schema import NO_BODY, Schema, SchemaError
from .state_lock import StateLock
from .wire.body import BodyTimeout, body_timeout_s, read_body

PREFIX = "/_awslab/"

log = logging.getLogger("awslab.cloud")

#: One lock for all cloud state. moto's models are not thread-safe, and the
#: simulator changes them from its own thread, so every AWS request and every
#: simulator step holds this lock. (Re-entrant; it counts its waiters, so a long
#: clock advance can let them go first between its slices.)
STATE_LOCK = StateLock()

Handler = Callable[[dict, dict], Any]


@dataclass(frozen=True)
class Route:
    """A control route: its handler, the body and query it takes, and whether it needs the state lock."""

    handler: Handler
    body: Schema | None = NO_BODY
    query: Schema | None = None
    locked: bool = True


_ROUTES: dict[tuple[str, str], Route] = {}


class ControlError(Exception):
    """An error the control API answers with ``status`` and a JSON message (naming ``field`` if one is wrong)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


def route(method: str, path: str, body: Schema | None = None, query: Schema | None = None,
          locked: bool = True) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``METHOD /_awslab/<path>``.

    ``body`` and ``query`` declare what the route takes (:mod:`awslab.cloud.schema`); each is
    checked before the handler runs. A GET takes no body unless it declares one; a route of
    another method must declare its body (``NO_BODY`` if it takes none): an undeclared body is
    only checked to be a JSON object, and ``tests/cloud/test_cloud_control_schema.py`` lists
    such routes as failures. ``locked=False`` runs the handler without the state lock (only for
    routes that read nothing moto or the simulator change, such as health, or that take the lock
    themselves in short slices, such as a clock advance).
    """
    if body is None and method.upper() == "GET":
        body = NO_BODY

    def register(handler: Handler) -> Handler:
        _ROUTES[(method.upper(), path.strip("/"))] = Route(handler, body, query, locked)
        return handler

    return register


def routes() -> list[str]:
    """Every registered route, as ``METHOD /_awslab/path``."""
    return sorted(f"{m} {PREFIX}{p}" for m, p in _ROUTES)


def handle(environ: dict, start_response: Callable) -> list[bytes]:
    """WSGI entry for the control API: read and check the body (before the lock), then run the route."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")[len(PREFIX):].strip("/")
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    found = _ROUTES.get((method, path))
    if found is None:
        status, payload = 404, {"error": f"no control route {method} {PREFIX}{path}", "routes": routes()}
    else:
        status, payload = _run(found, environ, query)
    data = json.dumps(payload, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def undeclared() -> list[str]:
    """Routes that take a body they have not declared (each should declare one)."""
    return sorted(f"{m} {PREFIX}{p}" for (m, p), r in _ROUTES.items() if r.body is None)


def _run(found: Route, environ: dict, query: dict) -> tuple[int, Any]:
    try:
        body = (found.body or _ANY_OBJECT).check(_json_body(environ), "body")
        query = found.query.check(query, "query") if found.query is not None else query
        if not found.locked:
            return 200, found.handler(body, query)
        with STATE_LOCK:
            return 200, found.handler(body, query)
    except SchemaError as e:
        return 400, {"error": str(e), "field": e.field}
    except ControlError as e:
        return e.status, {"error": str(e), "field": e.field}
    except (ValueError, KeyError, TypeError) as e:
        return 400, {"error": f"{type(e).__name__}: {e}"}
    except Exception as e:  # noqa: BLE001 - answer in JSON and keep serving; the log has the traceback
        log.exception("control route %s failed", environ.get("PATH_INFO"))
        text = "The embedded cloud failed on this request ({error}); its log has the details, and it keeps serving."
        return 500, {"error": text.format(error=type(e).__name__)}


class _AnyObject(Schema):
    """An undeclared body: any JSON object."""

    def check(self, body: Any, where: str = "body") -> dict:
        if isinstance(body, dict):
            return body
        return super().check(body, where)


_ANY_OBJECT = _AnyObject()


def _json_body(environ: dict) -> Any:
    """The request's JSON body (``{}`` when there is none), read before the state lock with an idle timeout."""
    try:
        raw = read_body(environ)
    except BodyTimeout as e:
        text = "The request body did not arrive within {seconds:g} s ({received} of {expected} bytes came)."
        raise ControlError(text.format(seconds=body_timeout_s(), received=len(e.received), expected=e.expected)) from e
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as e:
        text = "The request body is not valid JSON ({reason}). Send a JSON object such as {{}}."
        raise ControlError(text.format(reason=e if isinstance(e, ValueError) else "nested too deeply")) from e


@route("GET", "health", locked=False)
def _health(body: dict, query: dict) -> dict:
    """Liveness: answers as soon as the cloud can serve AWS calls."""
    from .. import config
    from .identity import health_fields

    extra = {name: field() for name, field in _HEALTH_FIELDS.items()}
    return {"status": "running", "service": "awslab-embedded-cloud", "region": config.region(), "routes": routes(),
            **health_fields(), **extra}


_HEALTH_FIELDS: dict[str, Callable[[], Any]] = {}


def health_field(name: str, field: Callable[[], Any]) -> None:
    """Add ``name: field()`` to every health answer (e.g. the DNS server's port); ``field`` must be cheap."""
    _HEALTH_FIELDS[name] = field


@route("POST", "reset", body=NO_BODY)
def _reset(body: dict, query: dict) -> dict:
    """Forget every resource in every service (like a brand-new account)."""
    reset_cloud()
    return {"reset": True}


def reset_cloud() -> None:
    """moto's reset, then every reset hook (the simulator and the data plane forget their state).

    Both ``POST /_awslab/reset`` and moto's own ``POST /moto-api/reset`` (which moto's test suite calls before
    every test) come here, so neither can leave the simulator with resources moto no longer has.
    """
    from moto.moto_api._internal.models import moto_api_backend

    from . import changes

    moto_api_backend.reset()
    for hook in _RESET_HOOKS:
        hook()
    changes.record("*", "Reset")  # every service changed at once


#: moto's own reset route; the server sends it here (see :func:`handle_moto_reset`).
MOTO_RESET = "/moto-api/reset"


def handle_moto_reset(environ: dict, start_response: Callable) -> list[bytes]:
    """WSGI for ``POST /moto-api/reset``: the whole cloud is reset, answered as moto answers it."""
    with STATE_LOCK:
        reset_cloud()
    data = json.dumps({"status": "ok"}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


_RESET_HOOKS: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    """Call ``hook`` after every ``POST /_awslab/reset`` (the simulator forgets its state)."""
    _RESET_HOOKS.append(hook)
    return hook
