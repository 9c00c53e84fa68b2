"""What a lab stands on: the chain of earlier labs' tasks, caught up in order; results a later lab retired on
purpose are not built again."""
from __future__ import annotations

from awslab.checks.registry import not_yet, ok, task
from awslab.course import prepare
from awslab.course.prepare import catch_up, step, task_chain

_CLOUD: dict = {}


@task("97.1", "A server (a test task)")
def _server(lab):
    if _CLOUD.get("server"):
        return ok("there")
    raise not_yet("no server", "launch one")


@task("97.2", "A registration (a test task)")
def _registered(lab):
    if _CLOUD.get("registered"):
        return ok("registered")
    raise not_yet("not registered", "register it")


@step("97.1", retired=lambda lab: _CLOUD.get("group"))
def _launch(lab, resources):
    _CLOUD["server"] = True
    return {"server": "i-1"}


@step("97.2", retired=lambda lab: _CLOUD.get("group"))
def _register(lab, resources):
    _CLOUD["registered"] = True
    return {"registered": resources["server"]}


def test_a_lab_stands_on_the_chain_of_labs_before_it():
    assert task_chain("05.3") == ["05.3"]
    assert task_chain("06.4") == ["05.3", "06.4"], "lab 06 stands on lab 05's tasks"
    assert task_chain("02.3") == ["02.3"]


def test_a_skipped_task_is_done_for_the_student(monkeypatch):
    monkeypatch.setattr(prepare, "task_chain", lambda upto: [upto])
    _CLOUD.clear()
    done = catch_up(object(), "97.2", chain=True)
    assert done.done_for_you == ["97.1", "97.2"] and done.resources == {"server": "i-1", "registered": "i-1"}


def test_a_result_a_later_lab_retired_is_not_built_again():
    _CLOUD.clear()
    _CLOUD["group"] = True  # the Auto Scaling group took over: the hand-launched server was retired on purpose
    done = catch_up(object(), "97.2")
    assert done.done_for_you == [] and done.done_by_you == ["97.1", "97.2"]
    assert "server" not in _CLOUD, "nothing was launched back"
