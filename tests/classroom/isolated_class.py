"""A throwaway isolated class for the tests and the class benchmark: its network, its root, the Hub's settings.

The isolated spawner (awslab/classroom/spawner.py) runs each student as a user id of their own, so their Python
must be one they may run: the tests' own when it is installed where other users may pass, else the system's
Python of the same version with the tests' site-packages on its path (a development machine with pyenv under
/root, which is 0700, has that; JUPYTER_PATH and JUPYTER_CONFIG_PATH then point that Python at this
environment's Jupyter extensions, so JupyterLab is served).
"""
from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import stat
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Iterator

from awslab.classroom import isolation

REPO = Path(__file__).resolve().parents[2]


def _closed_folder(path: Path) -> Path | None:
    """The first folder on ``path`` another user may not pass through, or None."""
    for folder in [path, *path.parents]:
        if folder.is_dir() and not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def student_python() -> tuple[str, str] | str:
    """(the Python students run, the PYTHONPATH it needs), or why there is none here."""
    site = Path(sysconfig.get_paths()["purelib"])
    own = Path(sys.executable).resolve()
    if _closed_folder(own.parent) is None:
        return sys.executable, str(REPO)
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.exists():
        return f"{_closed_folder(own.parent)} is closed to other users, so a student cannot run {own}"
    for path in (site, REPO):
        if _closed_folder(path):
            return f"{_closed_folder(path)} is closed to other users, so a student cannot import from {path}"
    return str(system), os.pathsep.join([str(REPO), str(site)])


def skip_reason() -> str | None:
    """Why an isolated class cannot run here (not root, no ip or setpriv, no Python a student may run), or None."""
    reason = isolation.available()
    if reason:
        return reason
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing"
    python = student_python()
    return python if isinstance(python, str) else None


@contextlib.contextmanager
def isolated_class(prefix: str) -> Iterator[tuple[Path, dict[str, str], isolation.ClassNetwork]]:
    """A class root (0711), a class network of its own (a random /24 and tag) and the Hub's settings for it.

    On the way out every namespace of the class is emptied and removed, the Hub's too, and the root deleted.
    """
    network = isolation.ClassNetwork(f"10.{random.randrange(216, 250)}.{random.randrange(256)}.0/24",
                                     prefix[0] + secrets.token_hex(2)[:3])
    root = Path(tempfile.mkdtemp(prefix=f"awslab-class-{prefix}-"))
    os.chmod(root, 0o711)  # students pass through to their own homes; they may not list it
    python, pythonpath = student_python()
    data = Path(sysconfig.get_paths()["data"])
    settings = {"AWSLAB_HUB_SPAWNER": "isolated", "AWSLAB_CLASS_NETWORK": network.network,
                "AWSLAB_CLASS_TAG": network.tag, "AWSLAB_CLASS_PYTHON": python, "PYTHONPATH": pythonpath,
                "JUPYTER_PATH": str(data / "share" / "jupyter"), "JUPYTER_CONFIG_PATH": str(data / "etc" / "jupyter")}
    try:
        yield root, settings, network
    finally:
        network.remove()
        shutil.rmtree(root, ignore_errors=True)
