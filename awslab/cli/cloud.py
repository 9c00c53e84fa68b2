"""awslab cloud and awslab up: the embedded cloud's process, and JupyterLab beside it."""
from __future__ import annotations

import argparse
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .. import config
from ..cloud import access_keys
from ..i18n import N_, _

#: How long `awslab up` waits for JupyterLab to stop before it kills it.
JUPYTER_STOP_TIMEOUT_S = 20.0

ALREADY_RUNNING = N_("awslab's embedded cloud is already running at {url} (pid {pid}, up since {since}). Use it as it is, "
                     "or stop it first with `awslab cloud stop`.")
PORT_TAKEN = N_("Port {port} is taken by a program that is not awslab's embedded cloud. Stop that program, or run the "
                "cloud on another port: awslab cloud run --port 4577 (and AWSLAB_PORT=4577 for the notebooks).")


def cmd_cloud(args: argparse.Namespace) -> int:
    from ..cloud import cloud_status, start_cloud, stop_cloud

    region = config.check_region(args.region, "--region") if args.region else None
    port = config.check_port(args.port, "--port") if args.port else config.port()
    if args.action == "stop":
        result = stop_cloud(port)
        print(result)
        return 0 if result.ok else 1
    if args.action == "status":
        status = cloud_status(port, timeout=5.0)  # patient: a busy cloud is still running
        print(status)
        return 0 if status.running else 1
    if args.action == "start":
        print(start_cloud(port, region=region))
        return 0
    return _run(port, region, args.host)


def _run(port: int, region: str | None, host: str | None) -> int:
    """`awslab cloud run`: serve in the foreground, unless the port is busy (then say who holds it).

    It holds the start lock until its port is bound, as start_cloud does, so two starters never race.
    """
    from ..cloud import process

    host = host or os.environ.get("AWSLAB_HOST") or config.DEFAULT_HOST
    spawned = os.environ.pop(process.SPAWNED_ENV, None) == str(port)  # start_cloud holds the lock for us
    lock = None if spawned else process.acquire_start_lock(port)
    try:
        refused = _busy(port, host)
        if refused:
            print(refused, file=sys.stderr)
            return 1
        if region:
            os.environ["AWSLAB_REGION"] = region
        from ..cloud import server

        server.on_startup(functools.partial(_release_when_serving, lock, port))
        # AWSLAB_HOST=0.0.0.0 lets a container publish the port; on a laptop the cloud stays on loopback.
        server.serve(host=host, port=port)
    finally:
        process.release_start_lock(lock)
    return 0


def _release_when_serving(lock, port: int) -> None:
    """Once this cloud answers its health check, let the next starter in: it will find this cloud running."""
    from ..cloud import process

    def wait_then_release() -> None:
        deadline = time.monotonic() + process.START_TIMEOUT_S
        while time.monotonic() < deadline and not process.cloud_status(port).running:
            time.sleep(0.05)
        process.release_start_lock(lock)

    if lock is not None:
        threading.Thread(target=wait_then_release, name="awslab-start-lock", daemon=True).start()


def _busy(port: int, host: str) -> str | None:
    """Probe: why the cloud cannot serve on ``port`` (awslab's cloud is there, or another program), or None."""
    from ..cloud import cloud_status

    status = cloud_status(port)
    if not status.running and _port_busy(host, port):
        status = cloud_status(port, timeout=5.0)  # a busy cloud answers late
    if status.running:
        return _(ALREADY_RUNNING).format(url=status.endpoint_url, pid=status.pid, since=status.started_at)
    return _(PORT_TAKEN).format(port=port) if _port_busy(host, port) else None


def _port_busy(host: str, port: int) -> bool:
    """Probe: can't the cloud bind ``host:port`` (another program holds it)? Binds and releases at once."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is not busy
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


# -- up -----------------------------------------------------------------------------
def labs_dir(explicit: str | None = None) -> Path:
    """Where the notebooks are: ``--notebook-dir``, else ``./labs``, else ``labs/`` beside the package (a git checkout)."""
    if explicit:
        return Path(explicit).resolve()
    for candidate in (Path.cwd() / "labs", Path(__file__).resolve().parents[2] / "labs"):
        if candidate.is_dir():
            return candidate
    from ..errors import AwslabError

    raise AwslabError(_("No labs/ folder here or beside the awslab package."),
                      _("Run `awslab up` from the awslab checkout, or pass --notebook-dir PATH."))


def _jupyter_command(args: argparse.Namespace, extra: list[str], root: Path | None = None,
                     open_at: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={root or labs_dir(args.notebook_dir)}"]
    if open_at:
        cmd.append(f"--ServerApp.default_url=/lab/tree/{open_at}")
    if args.port:
        cmd += [f"--port={args.port}", "--ServerApp.port_retries=0"]  # a port you asked for, or a clear error
    if args.ip:
        cmd.append(f"--ip={args.ip}")
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # JupyterLab refuses root; containers and CI often run as root
    return cmd + extra


def _course_workspace(args: argparse.Namespace) -> tuple[Path | None, str | None]:
    """The folder JupyterLab opens and the path it shows first: the student's workspace copy of the course.

    ``--notebook-dir`` opens that folder as it is (the repository's own labs/, for course authors).
    """
    if args.notebook_dir:
        return None, None
    from ..course.workspace import Workspace

    ws = Workspace()
    added = ws.prepare()
    if added:
        print(_("awslab: copied {n} lab notebook(s) into your workspace {root} (your copies: the repository stays "
                "clean; `awslab lab reset NN` gives you a fresh one)").format(n=len(added), root=ws.root), flush=True)
    return ws.root, f"labs/{args.lang}"


def cmd_up(args: argparse.Namespace, extra: list[str]) -> int:
    """Cloud (if not running) + JupyterLab; on exit, stop the cloud if this command started it."""
    from ..cloud import ensure_cloud, stop_cloud
    from ..i18n import language, set_language

    port = config.check_port(args.cloud_port, "--cloud-port") if args.cloud_port else config.port()
    args.lang = set_language(args.lang) if args.lang else language()
    env = dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_LANG=args.lang)
    # The venv's bin first, so `aws` and `awslab` work in JupyterLab terminals and `!` commands without activating it.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    root, open_at = _course_workspace(args)
    from .guard import print_reminder

    print_reminder()  # labs left running on a real account (only where its allow-lists are configured)
    if (os.environ.get("AWSLAB_BACKEND") or "embedded") != "embedded":
        print(_("awslab: AWSLAB_BACKEND={backend}: no embedded cloud; the labs use {endpoint}").format(
            backend=os.environ["AWSLAB_BACKEND"], endpoint=os.environ.get("AWS_ENDPOINT_URL") or _("real AWS")), flush=True)
        return _supervise(subprocess.Popen(_jupyter_command(args, extra, root, open_at), env=env,
                                           start_new_session=True), lambda: None)
    cloud = ensure_cloud(port)
    started = (_("awslab: embedded cloud started at {url} (region {region}); it stops when JupyterLab does")
               if cloud.started else
               _("awslab: embedded cloud already running at {url} (region {region}); it keeps running after JupyterLab"))
    print(started.format(url=cloud.endpoint_url, region=cloud.region), flush=True)
    import threading

    from .. import sdk

    # the first notebook's clients then read their service models from the cache (see awslab.sdk)
    threading.Thread(target=sdk.warm_model_cache, name="awslab-warm-models", daemon=True).start()
    if not args.no_export_endpoint:  # plain boto3 / aws CLI in notebooks and terminals then talk to the embedded cloud
        env.update(AWS_ENDPOINT_URL=cloud.endpoint_url, AWS_DEFAULT_REGION=config.region(),
                   **{k.upper(): env.get(k.upper(), v) for k, v in access_keys.embedded_credentials().items()})
    try:
        cmd = _jupyter_command(args, extra, root, open_at)
        # Its own session: a Ctrl-C in the terminal reaches only us, and we stop JupyterLab (and its kernels) cleanly.
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    except BaseException:
        if cloud.started:
            stop_cloud(port)
        raise

    def cleanup() -> None:
        if cloud.started:  # a cloud that was running before `up` keeps running after it
            stop_cloud(port)

    return _supervise(proc, cleanup)


def _supervise(proc: subprocess.Popen, cleanup, stopping_text: str | None = None) -> int:
    """Wait for JupyterLab (or Voila); on SIGINT/SIGTERM stop it (SIGTERM, then SIGKILL after a bound), then ``cleanup``."""
    stopping = []

    def stop(signum, frame):
        if not stopping:
            stopping.append(signum)
            text = stopping_text or _("awslab: stopping JupyterLab and the embedded cloud ...")
            print("\n" + text, file=sys.stderr, flush=True)
            _signal_group(proc, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        code = proc.wait()
    except BaseException:
        _signal_group(proc, signal.SIGTERM)
        raise
    finally:
        try:
            proc.wait(JUPYTER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(5)
        _signal_group(proc, signal.SIGKILL)  # kernels JupyterLab left behind in its group
        cleanup()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0 if stopping else code


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
