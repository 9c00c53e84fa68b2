"""Lessons as text: one bilingual source per lab gives a student and a solution notebook per language."""
from __future__ import annotations

import re

import jupytext
import pytest

from awslab.checks.registry import get_question, questions, tasks
from awslab.course.catalog import LABS
from awslab.course.lessons import check_all, lessons, notebook, solution_code, source_path, student_code

#: Wider code runs off the right edge of a notebook at a laptop's width.
MAX_CODE_WIDTH = 88
TASK = re.compile(r"^%%task (\d\d\.\d+)", re.M)
ASK = re.compile(r"""\bask\(["'](\d\d\.q\d+)["']""")


def test_blanks_solution_blocks_and_comments_per_language():
    src = "x = «3»  # @en: three @ko: 셋\n# BEGIN SOLUTION\ny = x + 1\n# END SOLUTION\nprint(x)"
    assert student_code(src, "en") == "x = ___  # three\n___\nprint(x)"
    assert student_code(src, "ko") == "x = ___  # 셋\n___\nprint(x)"
    assert solution_code(src, "en") == "x = 3  # three\ny = x + 1\nprint(x)"


def test_an_f_string_brace_is_not_a_blank():
    src = 'name = f"{{literal}} {lab.name}"'
    assert student_code(src) == src and solution_code(src) == src


def test_a_question_gets_its_right_answer_only_in_the_solution():
    qid = questions()[0].id
    src = f'ask("{qid}")'
    assert student_code(src) == src
    assert solution_code(src) == f'ask("{qid}", answer={get_question(qid).answer + 1})'


def test_committed_notebooks_are_what_their_sources_give():
    assert check_all() == []


@pytest.mark.parametrize("info", lessons(), ids=lambda i: i.stem)
def test_each_lesson_is_complete_in_both_languages(info):
    src = jupytext.read(source_path(info))
    text = "\n".join(c.source for c in src.cells)
    in_source = TASK.findall(text)
    registered = [t.id for t in tasks(info.id)]
    assert in_source == registered, "every registered task has exactly one %%task cell, in order"
    if info.slug not in ("quickstart",) and not info.slug.endswith("drill"):
        assert len(registered) >= 3, "a lab has at least three hands-on tasks"
    assert sorted(set(ASK.findall(text))) == [q.id for q in questions(info.id)]
    for lang in ("en", "ko"):
        nb = notebook(info, lang)
        markdown = [c for c in nb.cells if c.cell_type == "markdown"]
        assert markdown and markdown[0].source.startswith(f"# {info.id} "), "the first cell is the lab's title"
        langs = {c.metadata.get("lang") for c in src.cells if c.cell_type == "markdown"}
        assert langs == {"en", "ko"}, "every markdown cell is written in both languages"
        for cell in nb.cells:
            if cell.cell_type == "code":
                for line in cell.source.splitlines():
                    assert len(line) <= MAX_CODE_WIDTH, f"{info.stem} [{lang}] {len(line)} columns: {line}"
    n_en = sum(1 for c in src.cells if c.cell_type == "markdown" and c.metadata.get("lang") == "en")
    n_ko = sum(1 for c in src.cells if c.cell_type == "markdown" and c.metadata.get("lang") == "ko")
    assert n_en == n_ko, "the two languages have the same sections"


def test_no_notebook_is_committed_with_outputs():
    import json
    from pathlib import Path

    for path in Path(__file__).resolve().parents[2].glob("labs/**/*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"), path


def test_the_table_of_contents_names_every_lesson_once():
    stems = [i.stem for i in LABS]
    assert len(stems) == len(set(stems))
    assert [i.id for i in LABS] == sorted(i.id for i in LABS)
