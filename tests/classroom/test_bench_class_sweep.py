"""bench/bench_class.py's class-size sweep: its rule (every drill passes within 2x the time alone), without a Hub.

The runs are stand-ins (:func:`run_drill` replaced); what is under test is which N the sweep runs, where it
stops and what it reports.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_class_under_test", BENCH / "bench_class.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_class_under_test", None)


def _fake_runs(times: dict[int, list[float]], failed: set[tuple[int, int]] = frozenset()):
    """A run_drill whose N students take ``times[N]`` seconds; (N, k) in ``failed``: student k's drill fails."""
    ran = []

    def run_drill(students, lab, deadline_s, spawner="isolated"):
        ran.append((students, deadline_s))
        results = {f"student{k}": {"ok": (students, k) not in failed, "seconds": t, "cpu": 0.2, "rss": 800.0,
                                   "error": "a check failed" if (students, k) in failed else ""}
                   for k, t in enumerate(times[students], 1)}
        return {"students": students, "spawn_s": 5.0, "results": results, "error": "", "left": [], "load": 1.0}

    return run_drill, ran


def test_the_sweep_starts_alone_and_stops_at_the_first_class_slower_than_twice_alone(bench, monkeypatch):
    run_drill, ran = _fake_runs({1: [60.0], 2: [70.0, 75.0], 4: [100.0, 110.0, 121.0, 90.0], 6: [1.0] * 6})
    monkeypatch.setattr(bench, "run_drill", run_drill)
    sweep = bench.sweep([4, 2, 6], "12", 900)
    assert [n for n, _ in ran] == [1, 2, 4], "1 is added first, and nothing runs after the first failure"
    assert ran[0][1] == 900 and ran[1][1] == 4 * 60 + 60, "later runs are bounded by the time alone"
    assert sweep["alone"] == 60.0 and sweep["largest"] == 2 and sweep["counts"] == [1, 2, 4, 6]
    text = bench.report_drill(sweep)
    assert "Largest N with every drill within 2x its time alone: 2" in text and "N=4 failed" in text
    assert "--students-list 1,2,4,6 --spawner isolated`" in text
    assert "| 4 | 4/4 | 105.2 / 121.0 | 2.02x |" in text


def test_a_drill_that_fails_fails_its_class_size_even_when_fast(bench, monkeypatch):
    run_drill, ran = _fake_runs({1: [60.0], 2: [61.0, 62.0], 4: [1.0] * 4}, failed={(2, 2)})
    monkeypatch.setattr(bench, "run_drill", run_drill)
    sweep = bench.sweep([1, 2, 4], "12", 900)
    assert [n for n, _ in ran] == [1, 2] and sweep["largest"] == 1
    assert "N=2, student2: a check failed" in bench.report_drill(sweep)


def test_a_drill_that_fails_alone_gives_no_class_size(bench, monkeypatch):
    run_drill, ran = _fake_runs({1: [60.0], 2: [60.0, 60.0]}, failed={(1, 1)})
    monkeypatch.setattr(bench, "run_drill", run_drill)
    sweep = bench.sweep([1, 2], "12", 900)
    assert [n for n, _ in ran] == [1] and sweep["largest"] == 0 and sweep["alone"] is None
    assert "the drill failed alone" in bench.report_drill(sweep)
