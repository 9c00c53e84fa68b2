"""Progress while waiting: the line's text, the notebook widget's state, the terminal bar only on a terminal."""
from __future__ import annotations

import io

import pytest

from awslab import progress as p
from awslab.progress import Progress, ProgressLine, TerminalDisplay, WidgetDisplay


def test_the_line_says_what_it_waits_for_and_how_far_along_in_simulated_seconds():
    line = ProgressLine("i-0abc to be healthy in awslab-tg", 40, 95, simulated=True)
    assert line.text() == "waiting for i-0abc to be healthy in awslab-tg · 40 s of at most 95 s (simulated)"
    assert line.fraction == pytest.approx(40 / 95)
    assert ProgressLine("x", 120, 95).text() == "waiting for x · 120 s, past the 95 s expected"
    assert ProgressLine("x", 120, 95).fraction == 1.0
    open_ended = ProgressLine("x", 30, None, simulated=True, wall_fraction=0.25)
    assert open_ended.text() == "waiting for x · 30 s so far (simulated)" and open_ended.fraction == 0.25
    assert ProgressLine("x", 41.6, 95, True, done=True).text() == "x: done after 42 s (simulated)"
    assert ProgressLine("x", 300, 95, done=False).text() == "stopped waiting for x after 300 s"
    assert ProgressLine("x", 5, 0).fraction == 0.0  # no division by zero


def test_the_widget_shows_the_latest_line_and_the_end():
    shown = WidgetDisplay(show_now=False)
    shown.show(ProgressLine("i-0abc to be healthy in awslab-tg", 40, 95, simulated=True))
    assert shown.bar.value == pytest.approx(40 / 95) and shown.bar.bar_style == "info"
    assert shown.label.value.endswith("40 s of at most 95 s (simulated)")
    shown.show(ProgressLine("i-0abc to be healthy in awslab-tg", 100, 95, simulated=True))
    assert shown.bar.value == 1.0 and shown.bar.bar_style == "warning"
    shown.show(ProgressLine("i-0abc to be healthy in awslab-tg", 102, 95, simulated=True, done=True))
    assert shown.bar.bar_style == "success" and "done after 102 s" in shown.label.value


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_the_terminal_bar_is_drawn_only_on_a_terminal_and_only_when_the_cli_asks(monkeypatch):
    monkeypatch.delenv("AWSLAB_PROGRESS", raising=False)
    monkeypatch.setattr(p.sys, "stderr", _Stream(tty=True))
    monkeypatch.setattr(p, "_terminal_enabled", False)  # as a script starts (a CLI run earlier in this process set it)
    assert p.choose_display() is None  # a plain script (or a test): nothing unless asked
    monkeypatch.setattr(p, "_terminal_enabled", True)
    assert p.choose_display() is TerminalDisplay  # the CLI, on a terminal
    monkeypatch.setattr(p.sys, "stderr", _Stream(tty=False))
    assert p.choose_display() is None  # the CLI, into a log file: nothing
    monkeypatch.setenv("AWSLAB_PROGRESS", "off")
    assert p.choose_display() is None


def test_the_terminal_bar_redraws_one_line_in_place_and_ends_it():
    out = _Stream(tty=True)
    bar = TerminalDisplay(out)
    bar.show(ProgressLine("x", 10, 40, simulated=True))
    bar.show(ProgressLine("x", 20, 40, simulated=True))
    bar.close()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and "\n" not in text[:-1]
    assert "[############............] waiting for x · 20 s of at most 40 s (simulated)" in text


def test_a_short_wait_shows_nothing_and_a_long_one_shows_its_end():
    drawn = []

    class Record:
        def show(self, line):
            drawn.append(line.text())

        def close(self):
            drawn.append("closed")

    quick = Progress("x", 10, True, display=Record)
    quick.update(5)
    quick.finish(True)
    assert drawn == []  # under SHOW_AFTER_S of wall time: quiet
    slow = Progress("y", 10, True, display=Record, show_after_s=0.0)
    slow.update(5)
    with slow:
        pass
    assert drawn == ["waiting for y · 5 s of at most 10 s (simulated)", "y: done after 5 s (simulated)", "closed"]


def test_poll_until_reports_its_wait(monkeypatch):
    from awslab.drills import polling

    seen = []

    class Record:
        def show(self, line):
            seen.append(line)

        def close(self):
            pass

    monkeypatch.setattr(polling, "progress", lambda what, limit, simulated: Progress(what, limit, simulated, Record, 0.0))
    monkeypatch.setattr(p, "REDRAW_EVERY_S", 0.0)
    values = iter([1, 2, 3])
    value, done = polling.poll_until(lambda: next(values), lambda v: v == 3, 5.0, None, False, 1.0, every_s=0.01,
                                     what="three", expect_s=10.0)
    assert (value, done) == (3, True)
    assert seen[-1].done is True and seen[-1].what == "three" and not seen[-1].simulated and seen[-1].limit_s == 10.0
