"""Record the API answers the dashboard's pure-state tests replay (run by hand against an embedded cloud).

    AWSLAB_SIM_MODE=virtual awslab cloud start
    python -m tests.dashboard.record http://127.0.0.1:4566   # writes tests/dashboard/recorded/*.json

A stack of two t3.micro behind an ALB (tests/topology/stack.py) under steady load, the load raised past
the CPU alarm's threshold, then the instance-failure drill: one frame at each step.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from awslab.dashboard.collect import collect
from awslab.drills import fail_instance, simulator

from .stack import healthy_stack

OUT = Path(__file__).with_name("recorded")


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def main(url: str) -> None:
    lab, st = healthy_stack(url, "dash")
    sim = simulator(lab)
    frames = []

    def frame(label: str, drill=None) -> None:
        answers = collect(lab, sim.now(), drill)
        frames.append({"label": label, "now": answers.now, "group": answers.group,
                       "target_health": answers.target_health, "alarms": answers.alarms,
                       "alarm_history": answers.alarm_history, "metric_data": answers.metric_data,
                       "story": [[line.offset_s, line.actor, line.resource, line.text] for line in answers.story]})

    sim.set_load("steady", st.tg_arn, rps=50)
    sim.advance(600)
    frame("steady 50 rps")
    sim.set_load("steady", st.tg_arn, rps=90)
    sim.advance(600)
    frame("90 rps: over the alarm's threshold")
    sim.set_load("steady", st.tg_arn, rps=50)
    drill = fail_instance(lab, kind="crash")
    sim.advance(120)
    frame("crash: the victim's target is unhealthy", drill)
    sim.advance(600)
    frame("replaced", drill)
    sim.clear_load()
    OUT.mkdir(exist_ok=True)
    (OUT / "instance_failure.json").write_text(json.dumps(frames, default=_plain, indent=1))
    lab.teardown()


if __name__ == "__main__":
    main(sys.argv[1])
