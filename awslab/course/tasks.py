"""The ``%%task`` cell: run the student's code, then check what it built.

A task cell is plain boto3 (or AWS CLI through ``!aws ...``) under one header line::

    %%task 05.1
    tg = elbv2.create_target_group(Name=lab.name + "-tg", ..., HealthCheckIntervalSeconds=___)

- Blanks (``___``) left in the cell: nothing runs; the cell says which lines to fill.
- The code runs as any cell does (its last expression is shown). If it raises,
  the error is shown in a few lines (AWS's error code and message for an AWS
  error), not a long traceback, and the check still runs, because AWS may
  have created part of what was asked.
- Then the task's check reads the cloud back and says what is right or what to fix.

In the course's own tests (``AWSLAB_COURSE_VERIFY=1``) the cell is stricter: the
check must FAIL before the code runs (a check that cannot fail is a defect)
and PASS after it.
"""
from __future__ import annotations

import html
import io
import os
import tokenize
import traceback

from ..i18n import _

__all__ = ["find_blanks", "register_magic", "run_task_cell", "BLANK", "VERIFY_ENV"]

#: What the student fills in.
BLANK = "___"
#: Set by the course's tests: checks must fail before a task and pass after it.
VERIFY_ENV = "AWSLAB_COURSE_VERIFY"


def find_blanks(source: str) -> list[int]:
    """Line numbers (1-based) of the cell that still hold a ``___`` blank (as a name, not inside a string)."""
    lines: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and tok.string == BLANK:
                lines.add(tok.start[0])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        lines.update(i for i, line in enumerate(source.splitlines(), 1) if BLANK in line.split("#", 1)[0])
    return sorted(lines)


def _verifying() -> bool:
    return os.environ.get(VERIFY_ENV) == "1"


def _box(colour: str, title: str, body: str, details: str = "") -> str:
    label = html.escape(_("the full traceback"))
    more = (f"<details><summary>{label}</summary>"
            f"<pre style='white-space:pre-wrap'>{html.escape(details)}</pre></details>") if details else ""
    return (f"<div style='border-left:4px solid {colour};padding:4px 10px;margin:4px 0'><b>{html.escape(title)}</b>"
            f"<div style='white-space:pre-wrap'>{html.escape(body)}</div>{more}</div>")


class _Display:
    """Shows HTML in a notebook, text elsewhere."""

    def __init__(self, html_text: str, text: str):
        self.html, self.text = html_text, text

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def describe_error(err: BaseException) -> tuple[str, str]:
    """A short title and body for an error a student's code raised (AWS errors by their code)."""
    from botocore.exceptions import ClientError, ParamValidationError

    if isinstance(err, ClientError):
        e = err.response.get("Error", {})
        return (_("AWS refused the call: {code}").format(code=e.get("Code", "?")),
                e.get("Message", str(err)) + "\n" + _("Read the message, fix the parameter it names, and run the cell again."))
    if isinstance(err, ParamValidationError):
        return (_("boto3 refused the parameters before calling AWS"),
                str(err) + "\n" + _("The parameter names and types are in the boto3 docs for this call."))
    return (_("Your code raised {kind}").format(kind=type(err).__name__), str(err))


def run_task_cell(task_id: str, cell: str, shell, lab=None) -> None:
    """The body of ``%%task``: blanks, then the code, then the check (see the module's docstring)."""
    from IPython.display import display

    from . import check as check_task

    task_id = task_id.strip()
    blanks = find_blanks(cell)
    if blanks:
        if _verifying():
            raise AssertionError(f"task {task_id}: the solution still has blanks on lines {blanks}")
        lines = ", ".join(map(str, blanks))
        if len(blanks) == 1:
            how = _("Replace the ___ with your answer (line {lines}), then run the cell again.")
            plain = _("Task {task}: fill in the blank (___) on line {lines} first.")
        else:
            how = _("Replace each ___ with your answer (lines {lines}), then run the cell again.")
            plain = _("Task {task}: fill in the blanks (___) on lines {lines} first.")
        display(_Display(_box("#9a6700", _("Task {task}: fill in the blanks first").format(task=task_id),
                              how.format(lines=lines)), plain.format(task=task_id, lines=lines)))
        return
    if _verifying():
        before = check_task(task_id, lab=lab, record=False)
        if before.passed:
            raise AssertionError(f"check {task_id} passed BEFORE its task ran, so it cannot fail: {before.message}")
        print(f"[verify] {task_id} before the task: {before.message}")
    error = _run(cell, shell, task_id)
    verdict = check_task(task_id, lab=lab)
    display(verdict)
    if _verifying():
        if error is not None:
            raise AssertionError(f"task {task_id}: the solution raised {error!r}") from error
        if not verdict.passed:
            raise AssertionError(f"check {task_id} failed after its solution ran: {verdict.message}")


def _run(cell: str, shell, task_id: str) -> BaseException | None:
    """Run ``cell`` in the notebook's namespace as a cell would; show an error briefly and return it."""
    import ast

    from IPython.display import display

    try:
        tree = ast.parse(shell.transform_cell(cell), filename=f"<task {task_id}>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"<task {task_id}>", "exec"), shell.user_ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"<task {task_id}>", "eval"), shell.user_ns)
            if value is not None:
                display(value)
    except Exception as err:  # the student's code: show it briefly, keep the kernel going, still check
        title, body = describe_error(err)
        full = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        display(_Display(_box("#b42318", title, body, full), f"{title}\n{body}"))
        return err
    return None


def register_magic(shell=None) -> bool:
    """Register ``%%task`` in the running IPython (``start()`` does this); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False

    def task(line: str, cell: str) -> None:
        run_task_cell(line, cell, shell)

    shell.register_magic_function(task, magic_kind="cell", magic_name="task")
    return True
