"""The embedded cloud's control API, served under ``/_awslab/``.

AWS has no API for "advance time by ten minutes" or "crash this instance's
app", so awslab adds one beside the AWS APIs. Every route answers JSON.
Other parts of awslab (the simulator, the data plane) register routes here
with :func:`route`; the server dispatches to them.

Routes are plain functions ``handler(body: dict, query: dict) -> dict | list``.
Raise :class:`ControlError` to answer with an error status.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable
from urllib.parse import parse_qs

PREFIX = "/_awslab/"

#: One lock for all cloud state. moto's models are not thread-safe, and the
#: simulator changes them from its own thread, so every AWS request and every
#: simulator step holds this lock.
STATE_LOCK = threading.RLock()

Handler = Callable[[dict, dict], Any]
_ROUTES: dict[tuple[str, str], Handler] = {}


class ControlError(Exception):
    """An error the control API answers with ``status`` and a JSON message."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``METHOD /_awslab/<path>``."""

    def register(handler: Handler) -> Handler:
        _ROUTES[(method.upper(), path.strip("/"))] = handler
        return handler

    return register


def routes() -> list[str]:
    """Every registered route, as ``METHOD /_awslab/path``."""
    return sorted(f"{m} {PREFIX}{p}" for m, p in _ROUTES)


def handle(environ: dict, start_response: Callable) -> list[bytes]:
    """WSGI entry for the control API."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")[len(PREFIX):].strip("/")
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    handler = _ROUTES.get((method, path))
    status, payload = 200, None
    if handler is None:
        status, payload = 404, {"error": f"no control route {method} {PREFIX}{path}", "routes": routes()}
    else:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            body = json.loads(raw) if raw else {}
            with STATE_LOCK:
                payload = handler(body, query)
        except ControlError as e:
            status, payload = e.status, {"error": str(e)}
        except (ValueError, KeyError, TypeError) as e:
            status, payload = 400, {"error": f"{type(e).__name__}: {e}"}
    data = json.dumps(payload, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


@route("GET", "health")
def _health(body: dict, query: dict) -> dict:
    """Liveness: answers as soon as the cloud can serve AWS calls."""
    from .. import config

    return {"status": "running", "service": "awslab-embedded-cloud", "region": config.region(), "routes": routes()}


@route("POST", "reset")
def _reset(body: dict, query: dict) -> dict:
    """Forget every resource in every service (like a brand-new account)."""
    from moto.moto_api._internal.models import moto_api_backend

    from . import changes

    moto_api_backend.reset()
    for hook in _RESET_HOOKS:
        hook()
    changes.record("*", "Reset")  # every service changed at once
    return {"reset": True}


_RESET_HOOKS: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    """Call ``hook`` after every ``POST /_awslab/reset`` (the simulator forgets its state)."""
    _RESET_HOOKS.append(hook)
    return hook
