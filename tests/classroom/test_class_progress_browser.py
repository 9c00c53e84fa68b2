"""The class table in a real browser at a notebook's width: 30 students, every lab, legible and nothing cut.

Debian's Chromium through Playwright (nothing downloaded). The page is the view's own HTML (what the notebook's
HTML widget shows), in both languages. ``AWSLAB_SHOTS=<dir>`` keeps the screenshots there to look at.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awslab.classroom.progress import class_progress
from awslab.classroom.table import progress_table
from awslab.course.store import ProgressStore, course_progress
from awslab.i18n import set_language

from ..browser.test_browser_jupyterlab import browser  # noqa: F401 - the fixture

NOTEBOOK_WIDTH = 800
NAMES = ["kim-minjun", "lee-seoyeon", "park-jiho", "choi-yuna", "jung-hyunwoo", "kang-soyoung", "yoon-jaewon",
         "student-08", "han-dohyun", "oh-eunji", "seo-junho", "shin-hayoung", "kwon-taeyang", "hwang-mina",
         "ahn-seungmin", "song-jiwoo", "jeon-daeun", "hong-gildong", "moon-sujin", "yang-hojun", "son-yerin",
         "bae-jinwoo", "baek-nari", "heo-minseok", "yoo-chaewon", "nam-kyungsoo", "sim-boram", "noh-eunwoo",
         "ha-jisoo", "student-30"]
CELLS = """() => [...document.querySelectorAll('.awslab-class th, .awslab-class td, .awslab-class caption')].map(c => ({
  text: c.textContent, size: parseFloat(getComputedStyle(c).fontSize),
  cut: c.scrollWidth > c.clientWidth + 1 || c.scrollHeight > c.clientHeight + 1}))"""


def _class(root: Path) -> list[tuple[str, Path]]:
    """30 students written by the course's own store: student i has passed the first 3*i checks of the course."""
    ids = [i for lab in course_progress(ProgressStore(root / "none.json")).labs for i in lab.passed + lab.open]
    students = []
    for number, name in enumerate(NAMES):
        folder = root / name / ".awslab"
        if number % 10 != 9:  # every tenth has not started
            store = ProgressStore(folder / "progress.json")
            for item in ids[: 3 * number + 1]:
                store.record(item, True)
        students.append(("", folder.parent))
    return students


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_thirty_students_fit_a_notebook_legibly(browser, tmp_path, lang):  # noqa: F811 - the fixture
    students = _class(tmp_path)
    set_language(lang)
    try:
        table = progress_table(class_progress(students), datetime.now(timezone.utc) + timedelta(minutes=42))
    finally:
        set_language("en")
    page = browser.new_page(viewport={"width": NOTEBOOK_WIDTH, "height": 900})
    try:
        page.set_content(f"<html><body style='margin:0'>{table}</body></html>")
        cells = page.evaluate(CELLS)
        width = page.evaluate("() => document.querySelector('.awslab-class').getBoundingClientRect().width")
        scrolls = page.evaluate("() => { const d = document.querySelector('.awslab-class').parentElement;"
                                " return d.scrollWidth > d.clientWidth; }")
        shots = Path(os.environ.get("AWSLAB_SHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"class-progress-{lang}.png"), full_page=True)
    finally:
        page.close()
    rows = [c for c in cells if c["text"] in NAMES]
    assert len(rows) == 30, "every student has a row"
    assert len(cells) > 30 * 19, f"a cell per lab per student: {len(cells)}"
    assert min(c["size"] for c in cells) >= 11, "no text smaller than 11 px"
    assert not [c["text"] for c in cells if c["cut"]], "no cell's text is cut"
    assert width <= NOTEBOOK_WIDTH and not scrolls, f"the table is {width:.0f} px wide: wider than a notebook"
