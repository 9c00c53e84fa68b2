"""Run a lab headless in a student's own Jupyter server, through JupyterHub's REST API (issue 16).

What a browser does when a student opens a lab, done by a program, in three steps:

1. **A token that reaches the student's server** (:func:`student_server`). A service allowed the ``tokens``
   scope mints one *for the student* (``POST /hub/api/users/<name>/tokens``), asking for the single scope
   ``access:servers!user=<name>``: it opens that student's server and nothing else. The same service, with the
   ``proxy`` scope, reads where the Hub routes ``/user/<name>/`` (``GET /hub/api/proxy``). The shipped
   instructor service has neither scope on purpose; the tests run the Hub with tests/classroom/hub_test_config.py,
   which adds the test-only service ``awslab-test-runner``. Behind configurable-http-proxy a client could go
   through the proxy's public URL instead; the tests' in-memory proxy proxies nothing, so the client talks to
   the route's target (the server's own address) directly, as the proxy would.
2. **A kernel in that server** (:class:`Kernel`): ``POST /user/<name>/api/kernels`` starts one (as the
   student, with the server's environment: their AWSLAB_HOME, their class-mode cloud's port and access key),
   and its websocket ``/user/<name>/api/kernels/<id>/channels`` carries the Jupyter messaging protocol (v5,
   JSON text frames: no websocket subprotocol asked). :meth:`Kernel.execute` sends one ``execute_request`` on
   the ``shell`` channel and gathers the replies that name it as their parent: outputs on ``iopub`` (turned
   into notebook outputs by ``nbformat.v4.output_from_msg``) until the kernel is ``idle`` again, and the
   ``execute_reply``. Each cell has a deadline; past it the kernel is interrupted and the cell counts as failed.
3. **The lab's cells, in order** (:func:`run_lab_in_server`): the notebook and environment come from
   :func:`awslab.course.run.prepare`, as for ``python -m awslab.course.run``; a first cell sets that
   environment inside the kernel (verify mode for the solution), then every code cell runs unchanged, against
   the student's own cloud, stopping at the first error as nbclient does. The result is a
   :class:`awslab.course.run.LabRun` with the executed notebook.

Used by tests/classroom/test_hub_labs.py and bench/bench_class.py.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import aiohttp

from awslab.course.run import LabRun, error_outputs, prepare

__all__ = ["StudentServer", "Execution", "Kernel", "student_server", "run_lab_in_server", "env_code"]

HTTP_TIMEOUT_S = 30  # one REST call to the Hub or the server


@dataclass(frozen=True)
class StudentServer:
    """Where a student's server answers (``http://host:port/user/<name>/``) and a token that it accepts."""

    name: str
    url: str
    token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


@dataclass
class Execution:
    """What one cell did: its outputs (nbformat output dicts), its reply status, and the error if any."""

    outputs: list = field(default_factory=list)
    status: str = "ok"  # the execute_reply's status: ok, error, aborted; "timeout" when the deadline passed
    error: str = ""  # "ename: evalue" of the error, or why the cell did not finish
    execution_count: int | None = None


async def _hub(http: aiohttp.ClientSession, hub_api: str, token: str, method: str, path: str,
               body: dict | None = None) -> dict:
    async with http.request(method, f"{hub_api}{path}", json=body, headers={"Authorization": f"token {token}"},
                            timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)) as answer:
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status} {(await answer.text())[:300]}")
        return await answer.json()


async def student_server(http: aiohttp.ClientSession, hub_api: str, service_token: str, name: str,
                         expires_in_s: int = 3600) -> StudentServer:
    """Mint a token for ``name`` that reaches only their server, and find where their server answers.

    ``hub_api`` is the Hub's REST API (``http://127.0.0.1:8081/hub/api``); ``service_token`` belongs to a
    service with the ``tokens`` and ``proxy`` scopes. The student's server must be running.
    """
    minted = await _hub(http, hub_api, service_token, "POST", f"/users/{name}/tokens",
                        {"scopes": [f"access:servers!user={name}"], "expires_in": expires_in_s,
                         "note": "awslab: run a lab headless"})
    routes = await _hub(http, hub_api, service_token, "GET", "/proxy")
    for spec, route in routes.items():
        data = route.get("data", {})
        if data.get("user") == name and not data.get("server_name"):
            path = "/" + spec.split("/", 1)[1] if not spec.startswith("/") else spec  # drop a host in the spec
            return StudentServer(name, route["target"].rstrip("/") + path, minted["token"])
    raise RuntimeError(f"the Hub has no route to {name}'s server: is it running?")


def _message(msg_type: str, content: dict, session: str, channel: str = "shell") -> dict:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "awslab",
              "date": datetime.now(timezone.utc).isoformat(), "version": "5.3"}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
            "buffers": []}


class Kernel:
    """A Python kernel in a student's server, driven over its websocket. Use as ``async with Kernel(...) as k``."""

    def __init__(self, http: aiohttp.ClientSession, server: StudentServer, kernel_name: str = "python3"):
        self.http, self.server, self.kernel_name = http, server, kernel_name
        self.session = uuid.uuid4().hex
        self.id: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> "Kernel":
        async with self.http.post(f"{self.server.url}api/kernels", json={"name": self.kernel_name},
                                  headers=self.server.headers(),
                                  timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)) as answer:
            if answer.status != 201:
                raise RuntimeError(f"starting a kernel: HTTP {answer.status} {(await answer.text())[:300]}")
            self.id = (await answer.json())["id"]
        try:
            ws_url = self.server.url.replace("http", "ws", 1) + f"api/kernels/{self.id}/channels"
            self.ws = await asyncio.wait_for(self.http.ws_connect(ws_url, params={"session_id": self.session},
                                                                  headers=self.server.headers(),
                                                                  max_msg_size=64 * 2**20), HTTP_TIMEOUT_S)
        except BaseException:
            await self._delete()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self._delete()

    async def _delete(self) -> None:
        async with self.http.delete(f"{self.server.url}api/kernels/{self.id}", headers=self.server.headers(),
                                    timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)):
            pass

    async def interrupt(self) -> None:
        async with self.http.post(f"{self.server.url}api/kernels/{self.id}/interrupt", headers=self.server.headers(),
                                  timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)):
            pass

    async def execute(self, code: str, timeout_s: float = 300) -> Execution:
        """Run ``code`` as one cell; return its outputs once the kernel is idle again and has replied."""
        from nbformat.v4 import output_from_msg

        request = _message("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False,
                                               "stop_on_error": True}, self.session)
        msg_id = request["header"]["msg_id"]
        await self.ws.send_str(json.dumps(request))
        result, idle, replied = Execution(), False, False
        try:
            async with asyncio.timeout(timeout_s):
                while not (idle and replied):
                    frame = await self.ws.receive()
                    if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        result.status, result.error = "error", "the kernel's websocket closed"
                        return result
                    if frame.type != aiohttp.WSMsgType.TEXT:
                        continue  # binary frames carry buffers (widgets): no cell of a lab sends them
                    msg = json.loads(frame.data)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind, content = msg["header"]["msg_type"], msg["content"]
                    if msg.get("channel") == "shell" and kind == "execute_reply":
                        replied, result.status = True, content.get("status", "error")
                        result.execution_count = content.get("execution_count")
                    elif kind == "status":
                        idle = content.get("execution_state") == "idle"
                    elif kind == "clear_output":
                        result.outputs.clear()
                    elif kind in ("stream", "display_data", "execute_result", "error"):
                        result.outputs.append(output_from_msg(msg))
                        if kind == "error":
                            result.error = f"{content.get('ename')}: {content.get('evalue')}"
        except TimeoutError:
            await self.interrupt()
            result.status, result.error = "timeout", f"the cell did not finish within {timeout_s:.0f} s"
        if result.status != "ok" and not result.error:
            result.error = f"the cell ended with status {result.status}"
        return result


def env_code(env: dict[str, str | None]) -> str:
    """A cell that gives the kernel's process ``env`` (a value of None unsets the variable)."""
    lines = ["import os", f"os.environ.update({ {k: v for k, v in env.items() if v is not None}!r})"]
    lines += [f"os.environ.pop({k!r}, None)" for k, v in sorted(env.items()) if v is None]
    return "\n".join(lines + ["pass"])  # the last statement shows nothing


async def run_lab_in_server(http: aiohttp.ClientSession, server: StudentServer, lab_id: str, lang: str = "en",
                            variant: str = "solution", cell_timeout_s: float = 300) -> LabRun:
    """Run lab ``lab_id``'s notebook cell by cell in a new kernel of the student's server; stop at the first error.

    ``LabRun.seconds`` counts from asking for the kernel to the last cell's reply; ``LabRun.error`` names the
    cell that failed (its first line) and how.
    """
    nb, env = prepare(lab_id, lang, variant)
    result = LabRun(lab_id, lang, variant, False, 0.0, notebook=nb)
    t0 = time.monotonic()
    async with Kernel(http, server) as kernel:
        setup = await kernel.execute(env_code(env), 60)
        failed = "" if setup.status == "ok" else f"setting the lab's environment: {setup.error}"
        for cell in (c for c in nb.cells if c.cell_type == "code" and not failed):
            done = await kernel.execute(cell.source, cell_timeout_s)
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
            if done.status != "ok":
                failed = f"cell {cell.source.splitlines()[0] if cell.source else ''!r}: {done.error}"
    result.seconds = time.monotonic() - t0
    result.errors = error_outputs(nb)
    result.error = failed
    result.ok = not failed and not result.errors
    return result
