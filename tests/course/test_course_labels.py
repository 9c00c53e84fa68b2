"""Every label a lab gives ``expect(..., what=...)`` is in the catalogue, so the Korean labs show it in Korean."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from awslab.course.labels import LABELS
from awslab.i18n import _, set_language

SRC = Path(__file__).resolve().parents[2] / "labs" / "src"
#: ``what="..."`` in a code cell (an f-string label is formatted at run time and cannot be looked up).
WHAT = re.compile(r'\bwhat=("(?:[^"\\]|\\.)*")')


def _labels_in_the_labs() -> dict[str, str]:
    found = {}
    for path in sorted(SRC.glob("*.md")):
        for m in WHAT.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(ast.literal_eval(m.group(1)), path.name)
    return found


def test_every_lab_label_is_listed_for_the_catalogue():
    missing = {label: lab for label, lab in _labels_in_the_labs().items() if label not in LABELS}
    assert not missing, f"add these expect() labels to awslab/course/labels.py (and their Korean): {missing}"


def test_the_korean_catalogue_has_each_label_and_translates_the_sentences():
    try:
        set_language("ko")
        korean = {label: _(label) for label in LABELS}
    finally:
        set_language(None)
    assert korean["who answered"] == "응답한 곳" and korean["Reason"] == "Reason"  # sentences translated, AWS names kept
    words = [label for label in LABELS if re.search(r"\b(the|of|after|before|with|without)\b", label)]
    untranslated = [label for label in words if korean[label] == label]
    assert not untranslated, f"English sentences without Korean in the catalogue: {untranslated}"
