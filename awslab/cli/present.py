"""``awslab present``: the instructor console full-screen in a browser, for a projector, through Voila.

Voila runs the shipped notebook (:file:`awslab/dashboard/present.ipynb`) and shows only its output: the
dashboard, in large type. It listens on 127.0.0.1 only; the lab, the backend and the cloud's endpoint
reach the notebook's kernel through the environment (``AWSLAB_PRESENT_LAB``, ``AWSLAB_BACKEND``,
``AWSLAB_PRESENT_ENDPOINT``, ``AWSLAB_PORT``, ``AWSLAB_HOME``: the kernel reads the cloud's control-API
token from there, as every awslab client does). Ctrl-C stops Voila and its kernel, and the embedded
cloud too if this command started it.

On JupyterHub (a terminal of the instructor's own server) 127.0.0.1:8866 is out of the browser's reach: the
command puts the console notebook in the server's root and prints its address through the Hub, where the
server's own Voila extension renders it (:mod:`awslab.classroom.instructor`).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .. import config
from ..classroom.instructor import CONSOLE as NOTEBOOK, console_path, on_hub, place_notebooks
from ..i18n import _
from .cloud import _supervise
from .lab import make_lab

__all__ = ["cmd_present", "NOTEBOOK", "voila_command", "present_env"]

DEFAULT_PORT = 8866  # Voila's own default


def voila_command(port: int, extra: list[str] = ()) -> list[str]:
    """The Voila command line: the shipped notebook, on 127.0.0.1:``port``, sources hidden, no browser opened."""
    return [sys.executable, "-m", "voila", str(NOTEBOOK), f"--port={port}", "--no-browser",
            "--Voila.ip=127.0.0.1", "--strip_sources=True", "--theme=light", *extra]


def present_env(lab, lang: str | None = None) -> dict[str, str]:
    """The kernel's environment: which lab, on which backend, at which endpoint."""
    from ..lab import OPT_IN_ENV

    env = dict(os.environ, AWSLAB_PRESENT_LAB=lab.name, AWSLAB_BACKEND=lab.backend, AWSLAB_REGION=lab.region)
    if lab.endpoint_url:
        env["AWSLAB_PRESENT_ENDPOINT"] = lab.endpoint_url
    if lab.backend == "embedded":
        env["AWSLAB_PORT"] = str(config.port() if not lab.endpoint_url else lab.endpoint_url.rsplit(":", 1)[-1])
    if lab.backend == "aws":
        env[OPT_IN_ENV] = "1"  # asked for with --allow-real-aws on this command line
    if lang:
        env["AWSLAB_LANG"] = lang
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def cmd_present(args: argparse.Namespace, extra: list[str]) -> int:
    """Start the cloud if needed, then Voila on the dashboard; Ctrl-C stops both (the cloud only if started here)."""
    from ..cloud import stop_cloud
    from ..i18n import language, set_language

    lang = set_language(args.lang) if args.lang else language()
    if on_hub():
        return present_on_hub(args.lab, args.lang)
    lab = make_lab(args)
    port = args.port or DEFAULT_PORT
    print(_("awslab present: the dashboard of lab {lab} at http://127.0.0.1:{port}/ (full screen: F11). "
            "Ctrl-C stops it.").format(lab=lab.name, port=port), flush=True)
    proc = subprocess.Popen(voila_command(port, extra), env=present_env(lab, lang), start_new_session=True)

    def cleanup() -> None:
        if lab.cloud is not None and lab.cloud.started:
            stop_cloud(int(present_env(lab)["AWSLAB_PORT"]))

    return _supervise(proc, cleanup, _("awslab: stopping Voila (and the embedded cloud if present started it) ..."))


def present_on_hub(lab: str, lang: str | None) -> int:
    """On JupyterHub: the console and class-progress notebooks in the server's root, and the console's address."""
    placed = place_notebooks()
    print(_("awslab present on JupyterHub: your server shows the console itself (Voila on 127.0.0.1 is out of your "
            "browser's reach here). Open, in your browser:"))
    print(f"    {console_path(lab, lang)}")
    print(_("Full screen: F11. It runs while the page is open; closing the tab stops its kernel (a running drill "
            "keeps running in your cloud: reset it first). The class's progress: open {progress} in JupyterLab.")
          .format(progress=placed["progress"].relative_to(placed["progress"].parents[1])))
    return 0
