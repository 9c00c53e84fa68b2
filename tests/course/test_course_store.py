"""Progress is kept locally: a pass stays a pass, the file is written atomically and holds nothing else."""
from __future__ import annotations

import json

from awslab.course.store import ProgressStore, course_progress


def test_a_pass_stays_after_a_later_failure(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    store.record("01.1", False, "awslab", "embedded")
    assert store.passed() == {}
    store.record("01.1", True, "awslab", "embedded")
    first = store.passed()["01.1"]
    store.record("01.1", False, "awslab", "embedded")
    assert store.passed() == {"01.1": first}
    entry = json.loads((tmp_path / "progress.json").read_text())["items"]["01.1"]
    assert entry["attempts"] == 3 and entry["last_passed"] is False
    assert set(entry) == {"passed_at", "last_attempt", "last_passed", "attempts", "lab", "backend"}


def test_a_broken_file_is_a_fresh_start_not_a_crash(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    store = ProgressStore(path)
    assert store.passed() == {}
    store.record("05.2", True)
    assert list(store.passed()) == ["05.2"]


def test_reset_forgets_one_lab(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    for item in ("01.1", "01.q1", "05.1"):
        store.record(item, True)
    assert store.reset("01") == 2
    assert list(store.passed()) == ["05.1"]


def test_course_progress_lists_every_lab_with_checks(tmp_path):
    store = ProgressStore(tmp_path / "p.json")
    store.record("01.1", True)
    prog = course_progress(store)
    lab01 = prog.lab("01")
    assert "01.1" in lab01.passed and "01.2" in lab01.open
    assert prog.passed_count == 1 and prog.total > 1
    assert "1 of" in str(prog) and "01" in prog._repr_html_()


def test_the_last_check_is_the_latest_attempt_passed_or_not(tmp_path):
    path = tmp_path / "p.json"
    assert course_progress(ProgressStore(path)).last_check == "", "no file: no check yet"
    store = ProgressStore(path)
    store.record("01.1", True)
    data = json.loads(path.read_text())
    data["items"]["01.1"]["last_attempt"] = "2025-03-01T09:00:00Z"
    data["items"]["02.1"] = {"last_attempt": "2025-03-01T09:30:00Z", "last_passed": False, "attempts": 1}
    path.write_text(json.dumps(data))
    assert course_progress(ProgressStore(path)).last_check == "2025-03-01T09:30:00Z", "a failed check counts too"
