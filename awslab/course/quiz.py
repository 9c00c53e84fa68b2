"""Questions no API can check (which alarm fires first? why is scale-in slower?), with feedback at once.

``ask("08.q1")`` shows the question with its choices as buttons; a wrong
choice says what it misses, the right one says why it is right. Outside a
notebook, or to answer in code, pass the choice: ``ask("08.q1", answer=2)``
(choices count from 1, as they are shown).
"""
from __future__ import annotations

import html
import os

from ..i18n import _
from .tasks import VERIFY_ENV

__all__ = ["ask", "Answer"]


class Answer:
    """The feedback for one answer to a question."""

    def __init__(self, question, choice: int):
        self.question, self.choice = question, choice
        self.correct = choice == question.answer

    def text(self) -> str:
        q = self.question
        if self.correct:
            return _("Right.") + " " + _(q.why)
        hint = q.hints.get(self.choice)
        return _("Not quite.") + " " + (_(hint) if hint else _("Think again about what the lab showed, and try another answer."))

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.correct else "#b42318"
        return f"<div style='border-left:4px solid {colour};padding:4px 10px'>{html.escape(self.text())}</div>"

    def __repr__(self) -> str:
        return ("✓ " if self.correct else "✗ ") + self.text()


def _record(qid: str, correct: bool) -> None:
    from . import current_lab
    from .store import ProgressStore

    lab = current_lab(create=False)
    ProgressStore().record(qid, correct, getattr(lab, "name", ""), getattr(lab, "backend", ""))


def ask(question_id: str, answer: int | None = None):
    """Show question ``question_id``; with ``answer`` (1-based), grade that answer at once."""
    from ..checks.registry import get_question
    from ..errors import ValidationError

    q = get_question(question_id)
    if answer is not None:
        if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= len(q.choices):
            raise ValidationError("answer", answer, _("the choices are numbered 1 to {n}").format(n=len(q.choices)),
                                  _("Pass the number of the choice, e.g. answer=2."))
        result = Answer(q, answer - 1)
        _record(q.id, result.correct)
        if os.environ.get(VERIFY_ENV) == "1" and not result.correct:
            raise AssertionError(f"question {q.id}: answer {answer} is marked wrong")
        return result
    return _widget(q)


def _widget(q):
    import ipywidgets as w
    from IPython.display import HTML

    prompt = w.HTML(f"<b>{html.escape(q.id)}</b> {html.escape(_(q.prompt))}")
    buttons = []
    feedback = w.Output()

    def choose(i):
        def on_click(_button):
            result = Answer(q, i)
            _record(q.id, result.correct)
            for j, b in enumerate(buttons):
                b.button_style = ("success" if result.correct else "danger") if j == i else ""
            feedback.clear_output()
            with feedback:
                from IPython.display import display

                display(HTML(result._repr_html_()))
        return on_click

    for i, choice in enumerate(q.choices):
        b = w.Button(description=f"{i + 1}. {_(choice)}", layout=w.Layout(width="auto", max_width="100%", height="auto"),
                     tooltip=_(choice))
        b.add_class(CHOICE_CLASS)
        b.on_click(choose(i))
        buttons.append(b)
    return w.VBox([w.HTML(CHOICE_STYLE), prompt, *buttons, feedback])


#: A choice is a sentence: let it wrap (a button's text is one line, cut with "…", by default).
CHOICE_CLASS = "awslab-choice"
CHOICE_STYLE = (f"<style>.{CHOICE_CLASS} {{white-space: normal !important; text-align: left; line-height: 1.4; "
                "padding: 4px 10px; overflow: visible;}</style>")
