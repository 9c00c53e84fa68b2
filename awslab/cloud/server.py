"""The embedded cloud server: moto's AWS APIs plus awslab's control API, on one port.

Run it with ``awslab cloud`` (foreground) or let :class:`awslab.Lab` start it.
It is its own process so that restarting a notebook kernel loses nothing.

Requests under ``/_awslab/`` go to :mod:`awslab.cloud.control`; everything
else is an AWS API call and goes through :mod:`awslab.cloud.wire` to moto: its
body is read first (a stalled client holds no lock), it is checked as AWS
checks it, and moto answers it holding the cloud's state lock so the simulator
never sees a half-applied change.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Callable

from .. import config
from . import access_keys, control, guard

log = logging.getLogger("awslab.cloud")

#: Called once the server is built, before it serves. The simulator and the
#: data plane register here to start their threads inside the cloud process.
_STARTUP_HOOKS: list[Callable[[], None]] = []
_SHUTDOWN_HOOKS: list[Callable[[], None]] = []
#: ``(host, port)`` the server listens on, set before the startup hooks run
#: (the data plane calls the AWS APIs through it).
BOUND: tuple[str, int] | None = None


def on_startup(hook: Callable[[], None]) -> Callable[[], None]:
    _STARTUP_HOOKS.append(hook)
    return hook


def on_shutdown(hook: Callable[[], None]) -> Callable[[], None]:
    _SHUTDOWN_HOOKS.append(hook)
    return hook


def make_app() -> Callable:
    """Build the WSGI app: ``/_awslab/*`` to the control API, the rest to moto."""
    os.environ.setdefault("AWS_DEFAULT_REGION", config.region())
    # moto only keeps EC2 instances' state as told; we want real behaviour, not
    # moto's optional "instance starts running after N seconds" transitions.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import changes
    from .moto_ext import shapes, speed
    from .wire.front import AwsFront

    shapes.install()  # response shapes as AWS sends them, where moto's differ
    speed.install()  # the same responses; two lookups moto repeats are done once (see its docstring)
    changes.install()  # count the calls that change something, so readers re-read only then
    moto_app = DomainDispatcherApplication(create_backend_app)
    _load_extensions()
    # Reads each body before the state lock, checks it as AWS would, then lets moto answer under the lock.
    aws = AwsFront(moto_app, control.STATE_LOCK, owner_key=access_keys.ensure() if access_keys.class_mode() else None)

    def app(environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if path.startswith(control.PREFIX):
            return control.handle(environ, start_response)
        if path == control.MOTO_RESET and environ.get("REQUEST_METHOD", "").upper() == "POST":
            return control.handle_moto_reset(environ, start_response)
        return aws(environ, start_response)

    return guard.wrap(app)  # only local programs, never a web page (see awslab.cloud.guard)


def _load_extensions() -> None:
    """Import the parts of awslab that extend the cloud (they register routes and hooks).

    A part that isn't built yet is simply absent.
    """
    import importlib

    for name in ("awslab.sim.service", "awslab.dataplane.service", "awslab.dataplane.dns.service"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise


def serve(host: str = config.DEFAULT_HOST, port: int | None = None, ready: threading.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM. Prints one line when ready."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from moto.moto_server.werkzeug_app import MotoRequestHandler

    from .wire.body import body_timeout_s

    port = port or config.port()
    app = make_app()

    class QuietHandler(MotoRequestHandler):
        timeout = body_timeout_s()  # a client that stops sending (headers or body) is dropped after this idle time

        def log_request(self, code="-", size="-"):  # one line per AWS call is noise in a notebook
            if os.environ.get("AWSLAB_LOG_REQUESTS"):
                WSGIRequestHandler.log_request(self, code, size)

    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    server.daemon_threads = True
    global BOUND
    BOUND = (host, server.server_port)
    for hook in _STARTUP_HOOKS:
        hook()

    def stop(signum, frame):  # serve_forever must be stopped from another thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
    print(f"awslab embedded cloud: AWS APIs on http://{host}:{port} (region {config.region()}); control API at {control.PREFIX}", flush=True)
    if ready is not None:
        ready.set()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        for hook in reversed(_SHUTDOWN_HOOKS):
            try:
                hook()
            except Exception:  # shutting down: report, don't mask the others
                log.exception("shutdown hook failed")
        server.server_close()
        for number, handler in previous.items():  # a process that goes on (a test, a notebook) gets its own back
            signal.signal(number, handler)
