"""Every ``expect`` in a notebook cell shows its line, once: a cell that checks three things shows three lines.

Before, ``expect`` only returned its result, so a cell with several checks showed the last one alone, and a
failed first check (✗) went unseen by the student."""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient

CELL = """
from awslab.course import expect
expect("Hit", equals="Miss", what="the first check")
expect(74, between=(60, 95), what="the second check", unit="s")
expect(1, equals=1, what="the last check")
"""


def test_each_expect_in_a_cell_shows_its_own_line_once(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts = [o["data"]["text/plain"] for o in nb.cells[0].outputs if "data" in o]
    assert [t.split(":")[0] for t in texts] == ["the first check", "the second check", "the last check"]
    assert texts[0].endswith("✗") and texts[1].endswith("✓") and texts[2].endswith("✓")
    assert all("text/html" in o["data"] for o in nb.cells[0].outputs if "data" in o)


def test_outside_a_notebook_expect_returns_its_result_without_printing(capsys):
    from awslab.course import expect

    seen = expect("a", equals="a", what="plain")
    assert seen.inside and "plain" in seen.text()
    assert capsys.readouterr().out == ""
