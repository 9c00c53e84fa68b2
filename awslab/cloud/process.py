"""Start, find and stop the embedded cloud process.

The cloud runs as ``python -m awslab cloud`` in a process of its own, so a
notebook kernel can restart without losing the VPC it built. Its files, in
``$AWSLAB_HOME``: ``cloud-<port>.pid`` (the process a start spawned),
``cloud-<port>.log`` (what it printed), ``cloud-<port>.token`` (its control-API
token, see :mod:`awslab.cloud.identity`) and ``cloud-<port>.lock`` (held while
one program starts it, so two never both do).

Stopping signals only a process proven to be this cloud: the one its health
answer names, whose command line is an awslab cloud. A stale pid file that now
names some other program never gets that program killed.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from .. import config
from ..errors import CloudNotRunning
from .client import ControlClient
from ..i18n import N_, _

#: The issue's promise: the cloud answers within 2 s of starting. We wait longer
#: before giving up, because a loaded machine (CI, a class of 30) is slower.
START_TIMEOUT_S = 20.0

RUNNING = N_("awslab's embedded cloud is running at {url} (pid {pid}, region {region}, up since {since}).")
STARTED = (N_("Started awslab's embedded cloud in the background at {url} (pid {pid}, region {region}). It keeps running "
           "after this command: stop it with `awslab cloud stop`. Its log: {log}"))
NOT_RUNNING = (N_("awslab's embedded cloud is not running at {url}. Start it with `awslab cloud start` (in the background) "
               "or `awslab up` (with JupyterLab)."))
SQUATTED = (N_("Port {port} is taken by a program that is not awslab's embedded cloud (LocalStack, perhaps). Stop that "
            "program, use it as the backend (--backend endpoint --endpoint-url http://127.0.0.1:{port}), or give awslab "
            "another port: AWSLAB_PORT=4577."))


@dataclass(frozen=True)
class CloudProcess:
    """The embedded cloud as seen from outside: where it listens, whether it answers, and who it is."""

    endpoint_url: str
    running: bool
    pid: int | None = None
    region: str | None = None
    boot_id: str | None = None
    started_at: str | None = None
    #: True when this call started it (in the background).
    started: bool = False
    #: True when something that is not awslab's cloud holds the port.
    squatted: bool = False
    log: str | None = None

    @property
    def port(self) -> int:
        return int(self.endpoint_url.rsplit(":", 1)[1])

    def __str__(self) -> str:
        if self.running and self.started:
            return _(STARTED).format(url=self.endpoint_url, pid=self.pid, region=self.region, log=self.log)
        if self.running:
            return _(RUNNING).format(url=self.endpoint_url, pid=self.pid, region=self.region, since=self.started_at)
        return _(SQUATTED).format(port=self.port) if self.squatted else _(NOT_RUNNING).format(url=self.endpoint_url)

    def _repr_html_(self) -> str:
        import html

        return f"<b>embedded cloud</b>: {html.escape(str(self))}"


def _file(port: int, kind: str) -> Path:
    return config.home() / f"cloud-{config.check_port(port)}.{kind}"


def _url(port: int) -> str:
    return f"http://{config.DEFAULT_HOST}:{port}"


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((config.DEFAULT_HOST, port)) == 0


def _health(url: str, timeout: float = 0.5) -> dict | None:
    return ControlClient(url).health(timeout)


def cloud_status(port: int | None = None, timeout: float = 0.5) -> CloudProcess:
    """Probe: is awslab's cloud answering on ``port``? Changes nothing.

    A busy cloud can be slow to answer: give it a longer ``timeout`` before
    concluding that whatever holds the port is something else.
    """
    port = config.check_port(port or config.port())
    health = _health(_url(port), timeout)
    if health is None:
        return CloudProcess(_url(port), False, squatted=_port_open(port))
    return CloudProcess(_url(port), True, health.get("pid"), health.get("region"), health.get("boot_id"),
                        health.get("started_at"))


#: Set in the environment of a cloud that start_cloud spawned: its parent holds the start lock for it.
SPAWNED_ENV = "AWSLAB_CLOUD_SPAWNED"


def acquire_start_lock(port: int) -> IO | None:
    """Take ``cloud-<port>.lock`` (flock), waiting while another program starts a cloud there.

    Whoever holds it is the only one starting a cloud on ``port``: a second starter waits,
    then finds the first one's cloud answering. The kernel drops the lock if its holder dies.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; a second cloud then fails to bind, and start_cloud finds the first
        return None
    handle = open(_file(port, "lock"), "a")
    deadline = time.monotonic() + START_TIMEOUT_S + 10
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except OSError:
            if time.monotonic() > deadline:
                handle.close()
                raise CloudNotRunning(_("Another program has been starting the cloud on port {port} for too long.").format(port=port),
                                      _("Run `awslab cloud status`; if it says not running, try again.")) from None
            time.sleep(0.05)


def release_start_lock(handle: IO | None) -> None:
    """Let the next starter in (closing the file drops the flock); safe to call twice."""
    if handle is not None and not handle.closed:
        handle.close()


@contextlib.contextmanager
def _start_lock(port: int) -> Iterator[None]:
    handle = acquire_start_lock(port)
    try:
        yield
    finally:
        release_start_lock(handle)


def start_cloud(port: int | None = None, region: str | None = None, wait: bool = True) -> CloudProcess:
    """Action: start the cloud in the background unless it is running; return its status (``started`` says which)."""
    port = config.check_port(port or config.port())
    region = config.check_region(region, "--region") if region else None
    status = cloud_status(port)
    if status.running:
        return status
    with _start_lock(port):
        status = cloud_status(port, timeout=5.0 if status.squatted else 0.5)  # the holder may be a busy cloud
        if status.running:
            return status
        if status.squatted:
            raise CloudNotRunning(str(status), _("Or run `awslab doctor`, which checks the port."))
        return _spawn(port, region, wait)


def _spawn(port: int, region: str | None, wait: bool) -> CloudProcess:
    env = dict(os.environ, AWSLAB_PORT=str(port), **{SPAWNED_ENV: str(port)})
    if region:
        env["AWSLAB_REGION"] = region
    log = _file(port, "log")
    with open(log, "ab") as out:  # the child has its own copy; ours closes here
        proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    _file(port, "pid").write_text(str(proc.pid))
    if not wait:
        return CloudProcess(_url(port), False, proc.pid, region, started=True, log=str(log))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        status = cloud_status(port)
        if status.running:
            return dataclasses.replace(status, started=status.pid == proc.pid, log=str(log))
        if proc.poll() is not None:
            raise CloudNotRunning(_("The embedded cloud exited at start (code {returncode}).").format(
                returncode=proc.returncode),
                                  _("Read {log}, or run `awslab cloud` in a terminal to see the error; `awslab doctor` checks the "
                                    "install.").format(log=log))
        time.sleep(0.05)
    proc.terminate()
    raise CloudNotRunning(_("The embedded cloud did not answer within {seconds:.0f} s.").format(
        seconds=START_TIMEOUT_S),
                          _("Read {log}; `awslab doctor` checks the machine.").format(log=log))


def ensure_cloud(port: int | None = None) -> CloudProcess:
    """Action: make sure the cloud is running (start it if needed)."""
    return start_cloud(port)


# -- stopping -------------------------------------------------------------------------------------
STOPPED = N_("Stopped awslab's embedded cloud at {url} (pid {pid}).")
NOTHING = N_("awslab's embedded cloud is not running at {url}; nothing to stop.")
STALE = (N_("awslab's embedded cloud is not running at {url}. Its pid file named pid {pid}, which is now another "
         "program ({command}): left that program alone and removed the stale pid file."))
ELSEWHERE = (N_("The cloud at {url} says it is pid {pid}, but pid {pid} on this machine is {command}, not an awslab cloud: "
             "the cloud runs somewhere else (in a container, perhaps). Stop it where it runs (docker compose stop)."))
SQUATTER = N_("Port {port} is held by a program that is not awslab's embedded cloud: left it alone.")


@dataclass(frozen=True)
class CloudStop:
    """What ``stop_cloud`` did. True when it stopped a cloud; ``ok`` when nothing is left to do."""

    stopped: bool
    ok: bool
    message: str
    pid: int | None = None

    def __bool__(self) -> bool:
        return self.stopped

    def __str__(self) -> str:
        return self.message


def stop_cloud(port: int | None = None, timeout: float = 10.0) -> CloudStop:
    """Action: stop the cloud on ``port``, proven to be awslab's; wait until its port is closed."""
    port = config.check_port(port or config.port())
    url, pidfile = _url(port), _file(port, "pid")
    recorded = _read_pid(pidfile)
    health = _health(url, timeout=3.0)  # patient: a busy cloud is still ours
    if health is not None:
        pid, command = health.get("pid"), _command_line(health.get("pid"))
        if not isinstance(pid, int) or not _is_cloud_command(command, port, port_required=False):
            return CloudStop(False, False, _(ELSEWHERE).format(url=url, pid=pid, command=_show(command)), pid)
    elif recorded is not None and _is_cloud_command(_command_line(recorded), port, port_required=True):
        pid = recorded  # a cloud that does not answer (stuck), started for this port: still ours
    else:
        if recorded is not None:
            pidfile.unlink(missing_ok=True)
            if _command_line(recorded):
                return CloudStop(False, True, _(STALE).format(
                    url=url, pid=recorded, command=_show(_command_line(recorded))))
        if _port_open(port):
            return CloudStop(False, False, _(SQUATTER).format(port=port))
        return CloudStop(False, True, _(NOTHING).format(url=url))
    _terminate(pid, port, timeout)
    if recorded in (pid, None) or _command_line(recorded) is None:
        pidfile.unlink(missing_ok=True)
    return CloudStop(True, True, _(STOPPED).format(url=url, pid=pid), pid)


def _terminate(pid: int, port: int, timeout: float) -> None:
    """SIGTERM, wait for the process to exit and the port to close; SIGKILL only if it is still the same cloud."""
    command = _command_line(pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (_alive(pid) or _port_open(port)):
        time.sleep(0.05)
    if _alive(pid) and _command_line(pid) == command:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _command_line(pid: object) -> list[str] | None:
    """The process's arguments (Linux /proc, else ``ps``), or None if there is no such live process."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    proc = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self/cmdline").exists():
        try:
            args = proc.read_bytes().split(b"\0")
        except OSError:
            return None
        return [a.decode(errors="replace") for a in args if a] or None  # a zombie has no command line
    try:
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.split() or None


def _is_cloud_command(args: list[str] | None, port: int, port_required: bool) -> bool:
    """True for ``python -m awslab cloud [run] [--port N]`` or ``awslab cloud ...``, serving ``port``."""
    if not args:
        return False
    for i, arg in enumerate(args[:-1]):
        if Path(arg).name == "awslab" and args[i + 1] == "cloud":
            rest = args[i + 2:]
            if rest and not rest[0].startswith("-") and rest[0] != "run":
                return False  # `awslab cloud stop|status|start` is a client, not the cloud
            ports = [rest[j + 1] for j, a in enumerate(rest[:-1]) if a == "--port"]
            ports += [a.split("=", 1)[1] for a in rest if a.startswith("--port=")]
            return str(port) in ports if ports or port_required else True
    return False


def _show(args: list[str] | None) -> str:
    return " ".join(args)[:120] if args else "a process that is gone"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone; reap it.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return _command_line(pid) is not None  # not our child: gone once only a zombie is left
