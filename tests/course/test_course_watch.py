"""The course's measuring tape: a change is timed when the cloud recorded it; a group's activities read as AWS
wrote them."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import importlib

from awslab.course import watch

acts = importlib.import_module("awslab.course.activities")  # the module (the package exports its function by that name)

TG = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/awslab-tg/73e2d6bc24d8a067"


class FakeSim:
    """The cloud's clock moves 2 s per look (a poll every 0.1 s of wall time at 20x); the change is at 1002.5."""

    def __init__(self):
        self.t = 1000.0

    def now(self) -> float:
        self.t += 2.0
        return self.t

    def timeline(self, since=None, limit=5000, component=None, resource=None):
        return [{"time": 1000.5 + 2.0, "component": "elb", "resource": "i-1", "event": "target_health_changed",
                 "details": {"target_group_arn": TG, "state": "unhealthy", "previous": "healthy"}}]


def _lab(states):
    def describe_target_health(TargetGroupArn):
        state = states.pop(0) if len(states) > 1 else states[0]
        return {"TargetHealthDescriptions": [{"Target": {"Id": "i-1"}, "TargetHealth": {"State": state}}]}
    return SimpleNamespace(client=lambda name: SimpleNamespace(describe_target_health=describe_target_health))


def test_a_change_is_timed_when_the_cloud_recorded_it_not_when_a_poll_saw_it(monkeypatch):
    sim = FakeSim()
    monkeypatch.setattr(watch, "_simulator", lambda lab: sim)
    monkeypatch.setattr(watch.time, "sleep", lambda s: None)
    seen = watch.wait_for_target(_lab(["healthy", "healthy", "unhealthy"]), TG, "i-1", "unhealthy", timeout_s=5)
    assert seen.reached and seen.started == 1002.0
    assert seen.seconds == 0.5, "the recorded change (1002.5), not the poll that saw it (1006)"
    assert seen.changes[-1][0] == 0.5 and seen.changes[-1][1] == "unhealthy"


def _activity(desc, cause, start, end=None, status="Successful"):
    at = lambda s: datetime.fromtimestamp(s, tz=timezone.utc)  # noqa: E731
    return {"Description": desc, "Cause": cause, "StatusCode": status, "StartTime": at(start),
            **({"EndTime": at(end)} if end else {})}


def _asg_lab(pages):
    class Paginator:
        def paginate(self, AutoScalingGroupName):
            return iter(pages)
    asg = SimpleNamespace(get_paginator=lambda op: Paginator())
    return SimpleNamespace(client=lambda name: asg)


def test_activities_read_oldest_first_and_find_the_launch_of_an_instance():
    pages = [{"Activities": [_activity("Terminating EC2 instance: i-0b", "At ... EC2 health check ...", 300)]},
             {"Activities": [_activity("Launching a new EC2 instance: i-0a", "At ... difference ...", 100, 130),
                             _activity("Launching a new EC2 instance: i-0c", "At ... difference ...", 301, None,
                                       "PreInService")]}]
    log = acts.activities(_asg_lab(pages), "awslab-asg", since=100)
    assert [a.instance_id for a in log.rows] == ["i-0a", "i-0b", "i-0c"]
    assert log.launched("i-0a").end == 130 and log.launched("i-0b") is None
    assert [a.verb for a in log.rows] == ["Launching", "Terminating", "Launching"]
    assert "white-space:nowrap'>i-0a<" in log._repr_html_(), "an instance id never breaks across lines"
    seen = acts.wait_for_activity(_asg_lab(pages), "awslab-asg", "Launching", since=200, timeout_s=1)
    assert seen.reached and seen.activity.instance_id == "i-0c" and seen.seconds == 101
    gone = acts.wait_for_activity(_asg_lab(pages), "awslab-asg", "Terminating", since=250, instance_id="i-0b",
                                  timeout_s=1)
    assert gone.reached and gone.seconds == 50
