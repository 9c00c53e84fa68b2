"""The course: labs that walk through each layer of the standard AWS web architecture.

What a lab notebook uses::

    from awslab.course import start, check, ask, expect, progress
    lab = start("05")          # the lab, with labs 01-04's layers built (or found, if you built them)
    %%task 05.1                # a cell of your boto3 code; then its check runs
    check("05.1")              # run a check again by hand
    ask("05.q1")               # a question with immediate feedback
    expect(measured, between=(lo, hi), what="...")   # a number the lab predicted, measured
    progress()                 # which checks you have passed, across the course

Checks read only the AWS APIs (describe/get calls), so a lab is checked the
same way on the embedded cloud, LocalStack or a real account.
"""
from __future__ import annotations

import os
from typing import Any

from ..i18n import _, language, set_language
from .activities import activities, wait_for_activity, wait_for_in_service
from .catalog import COURSE_LAB, LABS, LabInfo, lab_info
from .measure import expect
from .quiz import ask
from .scaffold import sandbox, temporary_alb
from .watch import break_app, cloud_now, fast_forward, pause, repair_app, wait_for_target
from .web import curl, my_ip

__all__ = ["start", "check", "catch_up", "ask", "expect", "progress", "curl", "my_ip", "wait_for_target", "pause",
           "fast_forward", "sandbox", "temporary_alb", "break_app", "repair_app", "current_lab", "LABS", "lab_info",
           "set_language", "language", "activities", "wait_for_activity", "wait_for_in_service", "cloud_now"]

_CURRENT: dict[str, Any] = {}


def current_lab(create: bool = True):
    """The lab :func:`start` opened in this kernel (or the course's default lab)."""
    lab = _CURRENT.get("lab")
    if lab is None and create:
        from ..lab import Lab

        lab = Lab(name=os.environ.get("AWSLAB_LAB") or COURSE_LAB)
        _CURRENT["lab"] = lab
    return lab


def _export_endpoint(lab) -> None:
    """Let plain boto3 and ``!aws`` in this kernel reach the lab's cloud, as ``awslab up`` does for terminals."""
    import sys
    from pathlib import Path

    tools = str(Path(sys.executable).parent)  # the venv's bin: `aws` and `awslab` for `!` commands
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")
    if not lab.endpoint_url:
        return
    from .. import config

    os.environ.setdefault("AWS_ENDPOINT_URL", lab.endpoint_url)
    os.environ.setdefault("AWS_DEFAULT_REGION", lab.region)
    from ..cloud import access_keys

    credentials = access_keys.embedded_credentials()
    for key, value in (("AWS_ACCESS_KEY_ID", credentials["aws_access_key_id"]),
                       ("AWS_SECRET_ACCESS_KEY", credentials["aws_secret_access_key"])):
        os.environ.setdefault(key, value)


def start(lab_id: str, name: str | None = None, backend: str | None = None, lang: str | None = None):
    """Open lab ``lab_id`` ("05"): the course's lab on the chosen backend, with what this lab stands on built.

    Shows what was built and returns the :class:`~awslab.lab.Lab`. ``%%task`` cells work after this.
    """
    from IPython.display import display

    from ..lab import Lab
    from .prepare import prepare
    from .tasks import register_magic

    if lang:
        set_language(lang)
    info: LabInfo = lab_info(lab_id)
    lab = Lab(name=name or os.environ.get("AWSLAB_LAB") or info.lab_name, backend=backend)
    _CURRENT["lab"] = lab
    _CURRENT["info"] = info
    _export_endpoint(lab)
    register_magic()
    display(prepare(lab, info))
    return lab


def check(task_id: str, lab=None, record: bool = True):
    """Check task ``task_id`` ("05.1") against the live cloud; returns a :class:`~awslab.checks.verdict.Verdict`.

    It shows itself in a notebook; ``record`` keeps a pass in your progress.
    """
    from ..checks.registry import run_check
    from .store import ProgressStore

    lab = lab or current_lab()
    verdict = run_check(task_id, lab)
    if record:
        ProgressStore().record(task_id, verdict.passed, lab.name, lab.backend)
    return verdict


def catch_up(upto: str):
    """The resources the lab goes on with after task ``upto`` ("05.3"); builds only what a skipped task should have.

    A task you did stays yours. One you skipped is done for you, said so, and stays unchecked in your progress.
    """
    from .prepare import catch_up as _catch_up

    return _catch_up(current_lab(), upto)


def progress():
    """Which tasks and questions you have passed, lab by lab (kept in ``$AWSLAB_HOME/progress.json``)."""
    from .store import course_progress

    return course_progress()
