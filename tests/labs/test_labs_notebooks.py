"""Every lab notebook is committed clean: no outputs, no execution counts (a student's clone never turns dirty, and no
output can carry a key). That each notebook runs is tests/course/test_course_labs.py's."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

LABS = Path(__file__).resolve().parents[2] / "labs"
NOTEBOOKS = sorted(LABS.glob("*/*.ipynb"))


def test_every_lab_has_its_notebooks():
    assert {p.parent.name for p in NOTEBOOKS} == {"en", "ko"} and len(NOTEBOOKS) >= 2 * 14


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    assert not [c for c in nb["cells"] if c.get("outputs") or c.get("execution_count")], "strip outputs before committing"
