"""The one client of the embedded cloud's control API (``/_awslab/``).

AWS has no API for "advance the clock" or "crash this app", so the cloud adds
its own, beside the AWS APIs. Everything in awslab that uses it (the Lab and
the CLI, the drills, the traffic helpers, the tests) goes through
:class:`ControlClient`, which sends the cloud's token and JSON bodies as the
cloud's guard requires (:mod:`awslab.cloud.guard`).

>>> ControlClient("http://127.0.0.1:4566").call("POST", "clock/advance", {"seconds": 60})  # doctest: +SKIP
"""
from __future__ import annotations

import http.client
import json
import os
import stat
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BackendError, CloudNotRunning
from . import identity
from ..i18n import N_, _

__all__ = ["ControlClient", "ControlRefused", "NeedsSimulator"]

NEEDS_SIMULATOR = N_("{what} needs awslab's simulator (its control API, /_awslab/{path}), and {url} is not awslab's "
                     "embedded cloud: LocalStack, moto_server and AWS have no such API (no simulated clock, no faults).")
NEEDS_SIMULATOR_FIX = N_("Use the embedded cloud (Lab(), or --backend embedded), or a real account for drills that "
                         "work there.")

REFUSED = N_("The embedded cloud refused {method} /_awslab/{path}: {detail}")
REFUSED_FIX = N_("Read the cloud's answer above; `awslab status` shows what is running.")
UNREACHABLE = N_("The embedded cloud at {url} did not answer {method} /_awslab/{path} ({reason}).")
UNREACHABLE_FIX = N_("Start it with `awslab cloud start` (or `awslab up`), then try again.")
NO_TOKEN = (N_("The embedded cloud at {url} keeps its control API for programs that hold its token, and this one "
            "found none in {path}. The cloud writes it to its own AWSLAB_HOME{where}."))
NO_TOKEN_FIX = (N_("Run this with the same AWSLAB_HOME as the cloud (or leave AWSLAB_HOME unset in both), or restart "
                "the cloud from here: awslab cloud stop; awslab cloud start."))


class ControlRefused(BackendError):
    """The cloud answered a control call with an error (``status`` is its HTTP status)."""

    def __init__(self, problem: str, fix: str, status: int):
        super().__init__(problem, fix)
        self.status = status


class NeedsSimulator(BackendError):
    """A step that only awslab's simulator can do (its clock, its faults, its data plane) was asked of an endpoint
    that is not awslab's embedded cloud."""

    def __init__(self, problem: str, fix: str = ""):
        super().__init__(problem, fix or _(NEEDS_SIMULATOR_FIX), "NeedsSimulator")

    def _render_traceback_(self) -> list[str]:
        """What JupyterLab shows instead of a traceback: the paragraph alone (IPython's documented hook)."""
        return [str(self)]


@dataclass
class ControlClient:
    """Calls ``/_awslab/<path>`` on the cloud at ``endpoint_url`` with its token.

    The token is read from ``home`` (default ``AWSLAB_HOME``), where the cloud on
    that port wrote it; ``token`` overrides.
    """

    endpoint_url: str
    home: Path | None = None
    token: str | None = None
    timeout: float = 60.0
    _found: str | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        parts = urllib.parse.urlsplit(self.endpoint_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def health(self, timeout: float = 0.5) -> dict | None:
        """Probe: the cloud's ``GET /_awslab/health`` answer, or None if nothing awslab answers there."""
        try:
            answer = self.request("GET", "health", timeout=timeout)
        except (OSError, ValueError):
            return None
        return answer if isinstance(answer, dict) and answer.get("service") == "awslab-embedded-cloud" else None

    def request(self, method: str, path: str, body: Any = None, query: dict | None = None,
                timeout: float | None = None) -> Any:
        """The JSON answer; raises ``urllib.error.HTTPError`` for an error status and ``OSError`` when nothing answers.

        The token is read from its file on every call: a cloud that restarted wrote a new one. A cloud
        started with another AWSLAB_HOME names its token file in its health answer; that file is used
        when it is this port's token file, this user's own, and readable by this user only.
        """
        token = self._token()
        try:
            return self._send(method, path, body, query, timeout, token)
        except urllib.error.HTTPError as e:
            other = None if e.code != 401 or self.token else self._token_named_by_cloud()
            if other is None or other == token:
                raise
            e.close()
        self._found = other
        return self._send(method, path, body, query, timeout, other)

    def _send(self, method: str, path: str, body: Any, query: dict | None, timeout: float | None,
              token: str | None) -> Any:
        url = f"{self.endpoint_url.rstrip('/')}/_awslab/{path.lstrip('/')}"
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        headers = {"Content-Type": "application/json"}
        if token and path.strip("/") != "health":
            headers[identity.TOKEN_HEADER] = token
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method.upper(), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as r:
                raw = r.read()
        except http.client.HTTPException as e:  # the cloud stopped mid-answer (IncompleteRead, a bad status line)
            raise ConnectionAbortedError(f"the answer to {method.upper()} {path} was cut off ({e!r})") from e
        return json.loads(raw) if raw else None

    def call(self, method: str, path: str, body: Any = None, query: dict | None = None, fix: str | None = None) -> Any:
        """Action or probe: like :meth:`request`, with errors a student can act on (ControlRefused, CloudNotRunning,
        NeedsSimulator when the endpoint is not awslab's cloud at all)."""
        try:
            return self.request(method, path, body, query)
        except urllib.error.HTTPError as e:
            detail = _detail(e)
            if e.code != 401 and self.health() is None:  # an AWS endpoint, but not ours: no control API there
                raise NeedsSimulator(_(NEEDS_SIMULATOR).format(what=f"{method} /_awslab/{path}", path=path,
                                                               url=self.endpoint_url), _(NEEDS_SIMULATOR_FIX)) from e
            if e.code == 401 and not self._token() and self._token_named_by_cloud() is None:
                raise ControlRefused(_(NO_TOKEN).format(url=self.endpoint_url, path=self._token_path(),
                                                     where=self._cloud_token_file()), _(NO_TOKEN_FIX), 401) from e
            raise ControlRefused(_(REFUSED).format(
                method=method, path=path, detail=detail), fix or _(REFUSED_FIX), e.code) from e
        except OSError as e:
            reason = getattr(e, "reason", None) or e
            if isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
                from .outage import not_answering  # it was answering, and went away mid-call: the outage paragraph

                closed = str(reason) if isinstance(reason, ConnectionAbortedError) else "ConnectionClosed"
                raise not_answering(self.endpoint_url, closed) from e
            raise CloudNotRunning(_(UNREACHABLE).format(url=self.endpoint_url, method=method, path=path, reason=reason),
                                  _(UNREACHABLE_FIX)) from e

    def headers(self) -> dict[str, str]:
        """The headers a raw HTTP client (curl, a test, a bench) sends to the control API: JSON and the token."""
        token = self._token() or self._token_named_by_cloud()
        return {"Content-Type": "application/json", **({identity.TOKEN_HEADER: token} if token else {})}

    # -- plumbing --------------------------------------------------------------------------
    def _token_path(self) -> Path:
        return identity.token_path(self.port, self.home)

    def _token(self) -> str | None:
        return self.token or self._found or identity.read_token(self.port, self.home)

    def _token_named_by_cloud(self) -> str | None:
        """The token in the file the cloud's health answer names, if that file can be trusted (see :meth:`request`).

        Only a file named ``cloud-<this port>.token``, a regular file of this user's, mode 0600: a program that
        pretends to be the cloud can name no other file, and a token is worth nothing once its cloud is gone.
        """
        named = (self.health(timeout=min(self.timeout, 10.0)) or {}).get("token_file")  # patient: a busy cloud
        if not isinstance(named, str) or Path(named).name != identity.token_path(self.port, Path("/")).name:
            return None
        try:
            info = os.lstat(named)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
                return None
            return Path(named).read_text().strip() or None
        except OSError:
            return None

    def _cloud_token_file(self) -> str:
        answer = self.health(timeout=2)
        return f" ({answer['token_file']})" if answer and answer.get("token_file") else ""


def _detail(e: urllib.error.HTTPError) -> str:
    try:
        raw = e.read().decode(errors="replace")
    except OSError:
        return f"HTTP {e.code}"
    try:
        answer = json.loads(raw)
        return str(answer.get("error", raw))[:300] if isinstance(answer, dict) else raw[:300]
    except ValueError:
        return raw[:300] or f"HTTP {e.code}"
