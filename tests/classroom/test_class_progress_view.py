"""The instructor's notebook view of the class: the table's content, from progress files the course itself wrote."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

from awslab.classroom.progress import class_progress
from awslab.classroom.table import progress_table
from awslab.classroom.view import class_progress_view, students_of
from awslab.course.store import ProgressStore
from awslab.i18n import set_language

from .test_class_progress import AUDIT_HOOK


class Cells(HTMLParser):
    """``rows[student] = [(class, text), ...]`` for every ``tr.student`` of the table."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        self.head: list[str] = []
        self._row: list | None = None
        self._cell: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-student" in attrs:
            self._row = self.rows.setdefault(attrs["data-student"], [])
        elif tag in ("td", "th"):
            self._cell = [attrs.get("class", ""), "", attrs.get("title", "")]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            (self._row if tag == "td" and self._row is not None else self.head).append(tuple(self._cell))
            self._cell = None
        elif tag == "tr":
            self._row = None


def _class(root: Path) -> dict[str, Path]:
    """alice: lab 01 done, 02 half (a failed 02.2 is no pass); bob (a home holding .awslab): 02.1; carol: nothing."""
    homes = {name: root / name for name in ("alice", "bob", "carol")}
    alice = ProgressStore(homes["alice"] / ".awslab" / "progress.json")
    for task in ("01.1", "01.2", "01.3", "01.4", "01.q1", "01.q2", "02.1"):
        alice.record(task, True)
    alice.record("02.2", False)
    ProgressStore(homes["bob"] / ".awslab" / "progress.json").record("02.1", True)
    homes["carol"].mkdir()
    return homes


def test_the_table_shows_each_students_labs_total_and_last_check(tmp_path):
    set_language("en")
    homes = _class(tmp_path)
    progress = class_progress([("", homes[n]) for n in ("alice", "bob", "carol")])
    lab01 = progress.students[0].progress.lab("01")
    assert len(lab01.open) == 0, f"the fixture passes every check of lab 01: {lab01.open}"
    table = Cells(progress_table(progress, datetime.now(timezone.utc) + timedelta(hours=2, minutes=5)))
    labs = [text for cls, text, _tip in table.head if cls == "lab"]
    assert labs[:2] == ["01", "02"] and labs[-1] == "17" and len(labs) == len(progress.students[0].progress.labs)
    assert table.head[0][1] == "Student" and [h[1] for h in table.head[-2:]] == ["Total", "Last check"]
    total = progress.students[0].progress.total
    n01, n02, n03 = (len(lab.passed) + len(lab.open) for lab in progress.students[0].progress.labs[:3])

    alice = table.rows["alice"]
    assert alice[0] == ("name", "alice", "")
    assert alice[1][:2] == ("lab done", f"{n01}/{n01}"), "lab 01 all passed: green"
    assert alice[2][:2] == ("lab started", f"1/{n02}"), "02.1 passed, 02.2 failed: amber, 1 of 6"
    assert alice[3][:2] == ("lab none", f"0/{n03}")
    assert alice[-2][1] == f"7/{total}"
    assert alice[-1][1] == "2 h ago" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", alice[-1][2])
    assert table.rows["bob"][2][1] == f"1/{n02}" and table.rows["bob"][-2][1] == f"1/{total}"
    carol = table.rows["carol"]
    assert carol[-1][1] == "not started" and "progress.json does not exist" in carol[-1][2]
    assert {cls for cls, _t, _tip in carol[1:-2]} == {"lab none"}


def test_korean_headers_and_times(tmp_path):
    homes = _class(tmp_path)
    set_language("ko")
    try:
        text = progress_table(class_progress([("", homes["alice"])]), datetime.now(timezone.utc) + timedelta(minutes=3))
    finally:
        set_language("en")
    table = Cells(text)
    assert table.head[0][1] == "학생" and table.rows["alice"][-1][1] == "3분 전"


def test_a_glob_finds_students_who_arrive_later_and_the_timer_stops_by_itself(tmp_path):
    set_language("en")
    homes = _class(tmp_path / "home")
    view = class_progress_view(str(tmp_path / "home" / "*"), every=0.1, for_minutes=0.5 / 60)
    try:
        assert set(Cells(view.last_html).rows) == {"alice", "bob", "carol"}
        assert "Read again every 0.1 s until" in view.status.value and view.running
        ProgressStore(tmp_path / "home" / "dan" / ".awslab" / "progress.json").record("03.1", True)
        deadline = time.monotonic() + 10
        while "dan" not in Cells(view.last_html).rows and time.monotonic() < deadline:
            time.sleep(0.05)
        assert Cells(view.last_html).rows["dan"][3][1].startswith("1/"), "dan's lab 03 shows after a timed refresh"
        while view.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not view.running, "the timer ends after for_minutes"
        assert "Press Refresh to read again." in view.status.value
        ProgressStore(homes["carol"] / ".awslab" / "progress.json").record("01.1", True)
        view.button.click()
        assert Cells(view.table.value).rows["carol"][1][1].startswith("1/"), "the button reads again"
    finally:
        view.close()


def test_students_of_takes_folders_globs_and_a_roster(tmp_path):
    homes = _class(tmp_path / "home")
    roster = tmp_path / "roster.txt"
    roster.write_text(f"Bob-K {homes['bob']}\n")
    found = students_of([homes["carol"], str(tmp_path / "home" / "a*")], roster=roster)
    assert found == [("", homes["carol"]), ("", homes["alice"]), ("Bob-K", homes["bob"])]


WATCHED = AUDIT_HOOK + """
from awslab.classroom.view import class_progress_view
view = class_progress_view(sys.argv[1], every=0)
view.button.click()
print("SEEN " + json.dumps(seen))
"""


def test_the_view_reads_each_students_progress_json_and_nothing_else(tmp_path):
    homes = _class(tmp_path / "home")
    for home in homes.values():
        (home / ".awslab" / "aws").mkdir(parents=True, exist_ok=True)
        (home / ".awslab" / "aws" / "credentials").write_text("[default]\n")
        (home / "notes.ipynb").write_text("{}")
    env = dict(os.environ, AWSLAB_HOME=str(tmp_path / "instructor"), AWSLAB_LANG="en")
    done = subprocess.run([sys.executable, "-c", WATCHED, str(tmp_path / "home" / "*")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.rpartition("SEEN ")[2])
    inside = [(event, path) for event, path in seen if path.startswith(str(tmp_path / "home") + os.sep)]
    opened = [path for event, path in inside if event == "open"]
    assert opened and {Path(p).name for p in opened} == {"progress.json"}, inside
    assert not [p for e, p in inside if e != "open"], "no student's folder is listed"
