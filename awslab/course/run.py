"""Run a lab headless, as the course's tests do: ``python -m awslab.course.run 05 --lang ko [--student]``.

Each run gets its own embedded cloud (a fresh account on a free port) and its
own ``AWSLAB_HOME``, so runs can go side by side. The solution runs in
*verify* mode: every check must fail before its task and pass after it, every
question must be answered right, and every number the lab predicts must be
the number it measures. The student version must run to the end with no
error output (its checks fail politely).
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import lab_info
from .lessons import notebook
from .tasks import VERIFY_ENV

__all__ = ["LabRun", "run_lab", "prepare", "error_outputs", "apply_env"]


@dataclass
class LabRun:
    lab_id: str
    lang: str
    variant: str
    ok: bool
    seconds: float
    error: str = ""
    errors: list[str] = field(default_factory=list)  # error outputs in the executed notebook
    notebook: object = None

    def outputs(self) -> list[str]:
        """The text of every output, in order (for a test to look for a message)."""
        found = []
        for cell in getattr(self.notebook, "cells", []):
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                text = out.get("text") or out.get("data", {}).get("text/plain", "")
                found.append(text if isinstance(text, str) else "".join(text))
        return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_cloud(home: str, port: int, speed: float | None) -> subprocess.Popen:
    env = dict(os.environ, AWSLAB_HOME=home, AWSLAB_PORT=str(port))
    if speed:
        env["AWSLAB_SIM_SPEED"] = str(speed)
    log = open(Path(home) / "cloud.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_awslab/health", timeout=1)
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the cloud exited: {(Path(home) / 'cloud.log').read_text()[-2000:]}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the cloud did not answer within 60 s")


def prepare(lab_id: str, lang: str = "en", variant: str = "solution"):
    """The notebook of lab ``lab_id`` to execute, and the environment its kernel must run with.

    Returns ``(notebook, env)``: ``env`` maps a variable to its value, or to ``None`` for one that must be
    unset (``AWSLAB_LAB``, so the lab uses its own name). ``solution`` runs in verify mode
    (:data:`~awslab.course.tasks.VERIFY_ENV` = 1). Where the kernel's cloud is (``AWSLAB_HOME``,
    ``AWSLAB_PORT``) is the caller's business: :func:`run_lab` starts a fresh one; a run through JupyterHub
    (tests/classroom/hub_kernel.py) uses the student's own.
    """
    info = lab_info(lab_id)
    env = {"AWSLAB_LANG": lang, VERIFY_ENV: "1" if variant == "solution" else "0", "AWSLAB_LAB": None}
    return notebook(info, lang, variant), env


def apply_env(env: dict[str, str | None]) -> dict[str, str | None]:
    """Set (or unset, for ``None``) each variable of ``env`` in this process; return what they were before."""
    saved = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    return saved


def error_outputs(nb) -> list[str]:
    """``ename: evalue`` of every error output in an executed notebook (a lab that ran well has none)."""
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def run_lab(lab_id: str, lang: str = "en", variant: str = "solution", timeout_s: float = 600,
            speed: float | None = None, home: str | None = None) -> LabRun:
    """Execute lab ``lab_id`` in ``lang``: ``solution`` (verify mode) or ``student`` (as committed)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    info = lab_info(lab_id)
    nb, env = prepare(lab_id, lang, variant)
    home = home or tempfile.mkdtemp(prefix=f"awslab-lab{info.id}-{lang}-")
    port = _free_port()
    cloud = _start_cloud(home, port, speed)
    saved = apply_env({"AWSLAB_HOME": home, "AWSLAB_PORT": str(port), **env})
    t0 = time.monotonic()
    result = LabRun(info.id, lang, variant, False, 0.0, notebook=nb)
    workdir = Path(__file__).resolve().parents[2] / "labs" / lang
    try:
        NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir if workdir.is_dir() else home)}}).execute()
        result.ok = True
    except CellExecutionError as e:
        result.error = str(e)[-4000:]
    except Exception as e:  # a kernel that died, a timeout: the run failed, say how
        result.error = f"{type(e).__name__}: {e}"[-4000:]
    finally:
        apply_env(saved)
        cloud.terminate()
        try:
            cloud.wait(10)
        except subprocess.TimeoutExpired:
            cloud.kill()
    result.seconds = time.monotonic() - t0
    result.errors = error_outputs(nb)
    if result.errors:
        result.ok = False
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m awslab.course.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("lab", help="the lab's id, e.g. 05")
    p.add_argument("--lang", choices=["en", "ko"], default="en")
    p.add_argument("--student", action="store_true", help="run the student version (unfilled) instead of the solution")
    p.add_argument("--save", help="write the executed notebook here (.ipynb)")
    args = p.parse_args(argv)
    run = run_lab(args.lab, args.lang, "student" if args.student else "solution")
    for text in run.outputs():
        print("  > " + text[:400].replace("\n", "\n    "))
    if args.save:
        import nbformat

        nbformat.write(run.notebook, args.save)
    print(f"lab {run.lab_id} [{run.lang}, {run.variant}]: {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s")
    if not run.ok:
        print(run.error or "\n".join(run.errors))
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
