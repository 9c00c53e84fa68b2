"""The instructor on JupyterHub: their two notebooks in their own server, and the console's address there.

On a Hub every page goes through the Hub's proxy to the user's own Jupyter server, so ``awslab present``'s
Voila on 127.0.0.1:8866 cannot be reached from the instructor's browser. The server itself serves Voila,
as a Jupyter server extension (installed with the ``voila`` package, enabled by it): any notebook under the
server's root is a dashboard at ``/user/<name>/voila/render/<path>``, run in a kernel of that server, so with
that user's cloud and credentials. So on a Hub ``awslab present`` does not start a Voila of its own: it puts

- ``awslab-instructor/console.ipynb``: the console (the notebook ``awslab present`` runs; refreshed each
  time, so it follows awslab's version), which reads ``?lab=drill&lang=ko`` from its address;
- ``awslab-instructor/class-progress.ipynb``: the class's table (:func:`awslab.class_progress_view`); copied
  once, as the instructor may edit where the students' homes are,

in the server's root folder, and prints the console's address (:func:`console_path`).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlencode

__all__ = ["on_hub", "server_root", "place_notebooks", "console_path", "FOLDER", "CONSOLE", "CLASS_PROGRESS"]

FOLDER = "awslab-instructor"
CONSOLE = Path(__file__).resolve().parents[1] / "dashboard" / "present.ipynb"
CLASS_PROGRESS = Path(__file__).resolve().parent / "class-progress.ipynb"


def on_hub() -> bool:
    """True in a JupyterHub user's server (and its terminals): the Hub gave it a URL prefix of its own."""
    return bool(os.environ.get("JUPYTERHUB_SERVICE_PREFIX"))


def server_root() -> Path:
    """The folder the user's Jupyter server shows, where Voila finds notebooks by their path.

    The Hub's ``Spawner.notebook_dir`` if set (``JUPYTERHUB_ROOT_DIR``); else the user's copy of the course
    (``$AWSLAB_HOME/workspace``) if there is one, which the class's launcher opens the server on; else their home.
    """
    from ..course.workspace import workspace_root

    if os.environ.get("JUPYTERHUB_ROOT_DIR"):
        return Path(os.environ["JUPYTERHUB_ROOT_DIR"]).expanduser()
    return workspace_root() if workspace_root().is_dir() else Path.home()


def place_notebooks(root: Path | None = None) -> dict[str, Path]:
    """Put the instructor's notebooks in ``root/awslab-instructor/``; returns ``{"console": path, "progress": path}``."""
    folder = (root or server_root()) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    console, progress = folder / "console.ipynb", folder / "class-progress.ipynb"
    shutil.copyfile(CONSOLE, console)
    if not progress.exists():
        shutil.copyfile(CLASS_PROGRESS, progress)
    return {"console": console, "progress": progress}


def console_path(lab: str, lang: str | None = None) -> str:
    """The console's address through the Hub: ``[https://hub]/user/<name>/voila/render/awslab-instructor/console.ipynb?lab=...``.

    ``JUPYTERHUB_HOST`` is the Hub's public address when the Hub knows it (``JupyterHub.public_url``); otherwise
    the path alone, to put after the address the students use.
    """
    query = {"lab": lab, **({"lang": lang} if lang else {})}
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return f"{os.environ.get('JUPYTERHUB_HOST', '')}{prefix}voila/render/{FOLDER}/console.ipynb?{urlencode(query)}"
