"""The %%task cell: blanks stop it before anything runs; errors are shown briefly; the check always runs."""
from __future__ import annotations

import pytest

from awslab.checks.registry import ok, not_yet, task
from awslab.course.tasks import VERIFY_ENV, find_blanks, register_magic, run_task_cell


def test_blanks_are_found_as_names_not_in_strings_or_comments():
    src = 'x = ___\ny = "___"  # ___\nz = f(___, 1)'
    assert find_blanks(src) == [1, 3]
    assert find_blanks("x = 1") == []


@pytest.fixture
def shell(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    sh.shown = shown
    register_magic(sh)
    yield sh
    InteractiveShell.clear_instance()


_STATE: dict = {}


@task("99.1", "A test task")
def _fake(lab):
    if _STATE.get("done"):
        return ok("done")
    raise not_yet("not done yet", "do it")


class _Lab:
    name, backend = "t", "embedded"


def test_a_cell_with_blanks_runs_nothing(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    _STATE.clear()
    run_task_cell("99.1", "_STATE['done'] = ___", shell, lab=_Lab())
    assert not _STATE and "fill in the blank (___) on line 1 first" in repr(shell.shown[-1])
    run_task_cell("99.1", "_STATE['done'] = ___\n_STATE['also'] = ___", shell, lab=_Lab())
    assert not _STATE and "fill in the blanks (___) on lines 1, 2 first" in repr(shell.shown[-1])


def test_an_error_is_shown_briefly_and_the_check_still_runs(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    _STATE.clear()
    shell.user_ns["_STATE"] = _STATE
    run_task_cell("99.1", "_STATE['done'] = True\nundefined_name", shell, lab=_Lab())
    texts = [repr(x) for x in shell.shown]
    assert any("NameError" in t for t in texts), texts
    assert shell.shown[-1].passed, "the check ran after the error and saw what the code did before it"


def test_the_last_expression_is_shown_as_a_cell_would(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    _STATE.clear()
    shell.user_ns["_STATE"] = _STATE
    run_task_cell("99.1", "_STATE['done'] = True\n6 * 7", shell, lab=_Lab())
    assert 42 in shell.shown


def test_verify_mode_refuses_a_check_that_passes_before_its_task(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path))
    monkeypatch.setenv(VERIFY_ENV, "1")
    _STATE.clear()
    _STATE["done"] = True
    shell.user_ns["_STATE"] = _STATE
    with pytest.raises(AssertionError, match="BEFORE its task"):
        run_task_cell("99.1", "pass", shell, lab=_Lab())
    _STATE.clear()
    with pytest.raises(AssertionError, match="failed after its solution"):
        run_task_cell("99.1", "pass", shell, lab=_Lab())
