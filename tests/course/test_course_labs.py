"""Every lab runs, in both languages: the solution in verify mode, the student version with no error output.

Each lab's solution runs in one language and its student version in the other (alternating from lab to lab), so
each of the 18 labs is run in both and each language carries half of the solutions: two runs per lab, not three,
keeps CI under its 30 minutes. ``AWSLAB_ALL_LAB_RUNS=1`` runs every solution in both languages (before a release).

Verify mode (awslab.course.tasks) makes the solution run strict: each check must fail before its task and
pass after it (a check that cannot fail is a defect), each question must be answered right, and each number
the lab predicts must be the number it measures. Each run has a cloud of its own.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from awslab.course.lessons import lessons
from awslab.course.run import run_lab

LABS = [info.id for info in lessons()]
#: The language each lab's solution runs in (its student version runs in the other one).
SOLUTION_LANG = {lab_id: ("en", "ko")[i % 2] for i, lab_id in enumerate(LABS)}
ALL_RUNS = os.environ.get("AWSLAB_ALL_LAB_RUNS") == "1"
SOLUTION_RUNS = [(lab_id, lang) for lab_id in LABS for lang in (("en", "ko") if ALL_RUNS else (SOLUTION_LANG[lab_id],))]
SOURCES = Path(__file__).resolve().parents[2] / "labs" / "src"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lab_id,lang", SOLUTION_RUNS, ids=[f"{lab}-{lang}" for lab, lang in SOLUTION_RUNS])
def test_the_solution_passes_every_check_and_prediction(lab_id, lang):
    run = run_lab(lab_id, lang, "solution")
    assert run.ok, run.error or run.errors
    assert run.seconds < 240, f"lab {lab_id} took {run.seconds:.0f} s headless (goal: under 60 s)"
    text = "\n".join(run.outputs())
    assert "[verify]" in text or lab_id in ("00",), "the checks ran before their tasks"
    assert "PRIVATE KEY-----" not in text, "no output shows a private key"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lab_id", LABS)
def test_the_student_version_runs_to_the_end_without_an_error(lab_id):
    student_lang = "ko" if SOLUTION_LANG[lab_id] == "en" else "en"
    run = run_lab(lab_id, student_lang, "student")
    assert run.ok, run.error or run.errors
    text = "\n".join(run.outputs())
    if _has_tasks(lab_id):  # the quickstart has none: one builder call per layer
        assert "___" in text or "빈칸" in text, "each unfilled task says which blanks to fill"
    assert "PRIVATE KEY-----" not in text, "no output shows a private key"


def _has_tasks(lab_id: str) -> bool:
    source = next(p for p in SOURCES.glob(f"{lab_id}-*.md"))
    return "%%task" in source.read_text()
