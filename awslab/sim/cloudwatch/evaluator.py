"""Every minute, evaluate every metric alarm over the datapoints that have arrived.

:func:`.alarms.evaluate` decides; this module feeds it and applies the result: it reads each
region's CloudWatch store, writes the state and history into moto (through the moto extension's
:func:`~awslab.cloud.moto_ext.cloudwatch.record_state`), and hands Auto Scaling actions to
``sim.policies``. Alarms are evaluated every minute for periods of 60 s and more
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).

The datapoints an alarm needs are kept in an index per watched metric, only as far back as the
longest alarm's evaluation range reaches; a store that is replaced is indexed again.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from .alarms import EVALUATION_RANGE_EXTRA, AlarmSpec, Sample, evaluate, is_autoscaling_action
from .store import datum_parts, epoch_of

__all__ = ["AlarmEvaluator", "moto_backends"]

#: The index always reaches back at least this far (seconds).
MIN_HORIZON_S = 3600.0

Key = tuple[str, str, frozenset]


def moto_backends(backends: Any) -> Iterable[Any]:
    """Every existing (account, region) backend of a moto BackendDict, without creating new ones."""
    for acct in list(dict.values(backends)):
        yield from list(dict.values(acct))


@dataclass
class _Index:
    """The recent datapoints of the metrics that alarms watch, in one store."""

    store: list
    keys: frozenset
    horizon_s: float
    read: int = 0  # datapoints of ``store`` already indexed
    series: dict = field(default_factory=dict)  # key -> deque[Sample], oldest first

    def add(self, data: Iterable[Any], since: float) -> None:
        for md in data:
            key = (md.namespace, md.name, frozenset((d.name, d.value) for d in md.dimensions))
            if key not in self.keys:
                continue
            parts = datum_parts(md)
            ts = epoch_of(md.timestamp)
            if parts is None or ts < since:
                continue
            total, count, low, high = parts
            self.series.setdefault(key, deque()).append(Sample.statistic_set(ts, total, count, low, high)
                                                        if count != 1 else Sample(ts, total))

    def trim(self, since: float) -> None:
        for q in self.series.values():
            while q and q[0].timestamp < since:
                q.popleft()


class AlarmEvaluator:
    """Evaluates the metric alarms of every CloudWatch backend (``sim.cloudwatch.evaluator``)."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self._indexes: dict[int, _Index] = {}

    def reset(self) -> None:
        self._indexes.clear()

    def evaluate_all(self, now: float, delivery_delay_s: float = 0.0) -> None:
        """Evaluate every metric alarm at ``now``; the newest ``delivery_delay_s`` worth of periods is still on
        its way, so the evaluation range reaches that much further back."""
        from moto.cloudwatch.models import cloudwatch_backends

        for backend in moto_backends(cloudwatch_backends):
            alarms = [a for a in list(backend.alarms.values()) if a.rule is None and a.metric_name]
            if not alarms:  # composite and metric-math alarms are not evaluated (yet)
                continue
            specs = [(a, AlarmSpec.from_moto(a)) for a in alarms]
            index = self._index_of(backend, specs, now, delivery_delay_s)
            for alarm, spec in specs:
                samples = index.series.get((spec.namespace, spec.metric_name, frozenset(spec.dimensions)), ())
                in_flight = math.ceil(delivery_delay_s / spec.period)
                self._apply(alarm, evaluate(spec, samples, now, alarm.state_value, in_flight), now)

    def _index_of(self, backend: Any, specs: list[tuple[Any, AlarmSpec]], now: float, delay: float) -> _Index:
        keys = frozenset((s.namespace, s.metric_name, frozenset(s.dimensions)) for _, s in specs)
        horizon = max([MIN_HORIZON_S] + [(s.evaluation_periods + EVALUATION_RANGE_EXTRA + 1) * s.period + delay
                                          for _, s in specs])
        store = backend.metric_data
        index = self._indexes.get(id(backend))
        stale = (index is None or index.store is not store or index.read > len(store)
                 or not keys <= index.keys or horizon > index.horizon_s)
        if stale:
            index = _Index(store, keys, horizon)
            self._indexes[id(backend)] = index
        since = now - index.horizon_s - 60
        index.add(store[index.read:], since)
        index.read = len(store)
        index.trim(since)
        return index

    def store_moved(self, store: list, by: int) -> None:
        """Retention rolled up old datapoints in front of what this index read (all older than any alarm
        looks back): the datapoints it has read moved ``by`` places."""
        for index in self._indexes.values():
            if index.store is store:
                index.read = max(0, index.read + by)

    # -- applying a result ---------------------------------------------------------
    def _apply(self, alarm: Any, ev: Any, now: float) -> None:
        from ...cloud.moto_ext.cloudwatch import record_state

        if ev.changed:
            when = datetime.fromtimestamp(now, timezone.utc).replace(tzinfo=None)
            record_state(alarm, ev.state, ev.reason, ev.reason_data, when)
            self.sim.timeline.record("cloudwatch", alarm.name, "alarm_state_changed", previous=ev.previous_state,
                                     state=ev.state, reason=ev.reason)
        self.run_actions(alarm, ev.actions, ev.state, ev)

    def on_state_set(self, backend: Any, alarm: Any) -> None:
        """SetAlarmState changed an alarm: AWS runs its actions for the new state."""
        actions = tuple(alarm.alarm_actions if alarm.state_value == "ALARM" else
                        alarm.ok_actions if alarm.state_value == "OK" else alarm.insufficient_data_actions)
        self.sim.timeline.record("cloudwatch", alarm.name, "alarm_state_changed", state=alarm.state_value,
                                 reason=alarm.state_reason, source="set-alarm-state")
        if alarm.actions_enabled:
            self.run_actions(alarm, actions, alarm.state_value, None)

    def run_actions(self, alarm: Any, actions: tuple[str, ...], state: str, ev: Any) -> None:
        from ...cloud.moto_ext.cloudwatch import record_action

        policies = getattr(self.sim, "policies", None)
        for arn in actions:
            if not is_autoscaling_action(arn):
                record_action(alarm, arn, True, "")
            elif policies is not None:
                ok, detail = policies.execute(arn, alarm, state, ev)
                if detail:  # only actions that did something (or failed) leave history
                    record_action(alarm, arn, ok, detail)
