"""CloudWatch part of the moto extension: alarm states, alarm history and target-tracking alarms.

moto stores alarms but never evaluates them, has no DescribeAlarmHistory, and
creates no alarms for a target-tracking policy. Patched here:

- ``Alarm.__init__``: a new alarm starts in ``INSUFFICIENT_DATA`` ("Unchecked:
  Initial alarm creation"), stamped in simulated time, as on AWS.
- ``CloudWatchBackend.put_metric_alarm``: updating an alarm keeps its state and
  history ("its state is left unchanged", PutMetricAlarm API reference) and
  records a ``ConfigurationUpdate`` history item.
- ``CloudWatchBackend.set_alarm_state``: records history and lets the
  simulator run the alarm's actions, as AWS does.
- ``CloudWatchBackend.get_metric_statistics``: dimensions match exactly, as on AWS.
- ``Dimension.__lt__``: a dimension set sorts by name and value, so GetMetricData matches it in any order, as AWS
  does (moto compared a value with a name, so [TargetGroup, LoadBalancer] found nothing put as
  [LoadBalancer, TargetGroup]).
- ``moto.cloudwatch.models.utcnow``: a datapoint put without a Timestamp is stamped in simulated time.
- ``Statistics.get_statistics_for_type`` and ``CloudWatchBackend.get_metric_data``: percentile statistics
  (``p50``, ``p99.9``) from the raw values and the statistic sets whose values are known (Minimum =
  Maximum), as AWS computes them; a period without such values has no datapoint (moto answered 500).
- ``CloudWatchResponse.describe_alarm_history``: the API moto lacks.
- ``AutoScalingBackend.put_scaling_policy/delete_policy/describe_policies`` and
  ``AutoScalingResponse.put_scaling_policy``: a ``TargetTrackingScaling``
  policy creates and owns its two alarms and returns them (``Alarms``), as
  https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html says.
  What the alarms look like is the simulator's decision: this module asks the hook
  ``sim.policies.target_tracking_alarms(group_name, group, policy_arn, config)``.

Dependencies point one way: the simulator imports this module (``record_state``, ``record_action``);
this module never imports the simulator, it only calls the hooks the simulator's subsystems
register on the installed simulator (``sim.cloudwatch.on_state_set``, ``sim.policies.target_tracking_alarms``).
Every patch falls back to moto's behaviour when no simulator is installed.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from moto.autoscaling.models import AutoScalingBackend
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudwatch import models as cw_models
from moto.cloudwatch.models import Alarm, CloudWatchBackend, MetricAggregatedDatum, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from . import active, sim_utcnow

__all__ = ["install", "record_state", "record_action", "sim_time", "history_of", "MetricValuesDatum", "percentile_of"]

_ORIG: dict[str, Any] = {}
#: "CloudWatch preserves alarm history for 30 days"
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
HISTORY_RETENTION = timedelta(days=30)
#: ...and we keep at most this many items per alarm, however busy those 30 days were.
MAX_HISTORY = 1000


def sim_time() -> datetime:
    """Now, as moto stores times (naive UTC): simulated when a simulator runs."""
    sim = active()
    if sim is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    return datetime.fromtimestamp(sim.now, timezone.utc).replace(tzinfo=None)


def history_of(alarm: Alarm) -> list[dict[str, Any]]:
    if not hasattr(alarm, "awslab_history"):
        alarm.awslab_history = []
    return alarm.awslab_history


def _add_history(alarm: Alarm, kind: str, summary: str, data: dict[str, Any], when: datetime) -> None:
    items = history_of(alarm)
    items.append({"AlarmName": alarm.name, "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
                  "Timestamp": when, "HistoryItemType": kind, "HistorySummary": summary,
                  "HistoryData": json.dumps(data)})
    items[:] = [i for i in items if i["Timestamp"] >= when - HISTORY_RETENTION][-MAX_HISTORY:]


def record_state(alarm: Alarm, state: str, reason: str, reason_data: str, when: datetime | None = None) -> bool:
    """Set ``alarm``'s state like CloudWatch does; a change adds a StateUpdate history item.

    Returns True if the state changed.
    """
    when = when or sim_time()
    old = (alarm.state_value, alarm.state_reason)
    changed = state != alarm.state_value
    alarm.state_reason, alarm.state_reason_data, alarm.state_value = reason, reason_data, state
    if not changed:
        return False
    alarm.state_updated_timestamp = when
    alarm.state_transitioned_timestamp = when
    try:
        new_data = json.loads(reason_data) if reason_data else {}
    except ValueError:
        new_data = {}
    _add_history(alarm, "StateUpdate", f"Alarm updated from {old[0]} to {state}", {
        "version": "1.0", "oldState": {"stateValue": old[0], "stateReason": old[1]},
        "newState": {"stateValue": state, "stateReason": reason, "stateReasonData": new_data}}, when)
    return True


def record_action(alarm: Alarm, arn: str, ok: bool = True, detail: str = "", when: datetime | None = None) -> None:
    """An Action history item: ``Successfully executed action <arn>`` (or ``Failed to execute``)."""
    verb = "Successfully executed" if ok else "Failed to execute"
    _add_history(alarm, "Action", f"{verb} action {arn}",
                 {"actionState": "Succeeded" if ok else "Failed", "notificationResource": arn,
                  "stateUpdateTimestamp": (when or sim_time()).isoformat(), "detail": detail},
                 when or sim_time())


def install() -> None:
    if _ORIG:
        return
    _ORIG.update(alarm_init=Alarm.__init__, put_metric_alarm=CloudWatchBackend.put_metric_alarm,
                 set_alarm_state=CloudWatchBackend.set_alarm_state,
                 get_metric_statistics=CloudWatchBackend.get_metric_statistics,
                 put_scaling_policy=AutoScalingBackend.put_scaling_policy,
                 delete_policy=AutoScalingBackend.delete_policy,
                 describe_policies=AutoScalingBackend.describe_policies,
                 put_scaling_policy_response=AutoScalingResponse.put_scaling_policy,
                 dimension_lt=cw_models.Dimension.__lt__,
                 statistics_for_type=cw_models.Statistics.get_statistics_for_type,
                 get_metric_data=CloudWatchBackend.get_metric_data)
    cw_models.Statistics.get_statistics_for_type = _statistics_for_type
    CloudWatchBackend.get_metric_data = _get_metric_data
    cw_models.Dimension.__lt__ = _dimension_lt
    # PutMetricData without a Timestamp: AWS stamps the time it receives the datapoint, here simulated time
    cw_models.utcnow = sim_utcnow
    Alarm.__init__ = _alarm_init
    CloudWatchBackend.put_metric_alarm = _put_metric_alarm
    CloudWatchBackend.set_alarm_state = _set_alarm_state
    CloudWatchBackend.get_metric_statistics = _get_metric_statistics
    CloudWatchResponse.describe_alarm_history = _describe_alarm_history
    AutoScalingBackend.put_scaling_policy = _put_scaling_policy
    AutoScalingBackend.delete_policy = _delete_policy
    AutoScalingBackend.describe_policies = _describe_policies
    AutoScalingResponse.put_scaling_policy = _put_scaling_policy_response


# -- CloudWatch -----------------------------------------------------------------

def _alarm_init(self: Alarm, *args: Any, **kwargs: Any) -> None:
    _ORIG["alarm_init"](self, *args, **kwargs)
    if active() is None:
        return
    now = sim_time()
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html:
    # INSUFFICIENT_DATA - "The alarm has just started ..."
    self.state_value = "INSUFFICIENT_DATA"
    self.state_updated_timestamp = self.configuration_updated_timestamp = now
    self.state_transitioned_timestamp = now
    self.awslab_history = []


def _put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Alarm:
    old = self.alarms.get(name)
    alarm = _ORIG["put_metric_alarm"](self, name, *args, **kwargs)
    if active() is None:
        return alarm
    if old is not None and old is not alarm:
        for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                     "state_transitioned_timestamp", "awslab_history"):
            if hasattr(old, attr):
                setattr(alarm, attr, getattr(old, attr))
    verb = "updated" if old is not None else "created"
    _add_history(alarm, "ConfigurationUpdate", f'Alarm "{name}" {verb}',
                 {"version": "1.0", "type": "Update" if old else "Create"}, sim_time())
    return alarm


def _set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str,
                     state_value: str) -> None:
    sim = active()
    if sim is None:
        return _ORIG["set_alarm_state"](self, alarm_name, reason, reason_data, state_value)
    before = self.alarms[alarm_name].state_value if alarm_name in self.alarms else None
    _ORIG["set_alarm_state"](self, alarm_name, reason, reason_data, state_value)  # validates
    alarm = self.alarms[alarm_name]
    alarm.state_value = before  # let record_state see the transition
    changed = record_state(alarm, state_value, reason, reason_data or "{}")
    hook = getattr(getattr(sim, "cloudwatch", None), "on_state_set", None)
    if changed and hook is not None:
        hook(self, alarm)


def _dimension_lt(self: Any, other: Any) -> bool:
    """Order dimensions by (name, value): moto sorts two dimension lists to compare them as sets."""
    return (self.name or "", self.value or "") < (other.name or "", other.value or "")


class MetricValuesDatum(MetricAggregatedDatum):
    """``PutMetricData`` ``Values``/``Counts`` kept as one datum, each value with its count (moto would store one
    datum per count). Its Sum, SampleCount, Minimum and Maximum serve every other statistic as moto computes it."""

    def __init__(self, namespace: str, name: str, values: list[tuple[float, float]], dimensions: list[dict[str, str]],
                 timestamp: datetime, unit: Any = None):
        super().__init__(namespace, name, min(v for v, _n in values), max(v for v, _n in values),
                         sum(n for _v, n in values), sum(v * n for v, n in values), dimensions, timestamp, unit)
        self.values_counts = tuple(values)


#: A percentile statistic: p0.0 to p100, up to two decimals (GetMetricData's ``Stat``, ``ExtendedStatistic``).
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,2})?|100(?:\.0{1,2})?)$")


def percentile_of(data: list, percent: float) -> float | None:
    """The ``percent`` percentile (nearest rank) of a period's datapoints, or None when CloudWatch has none.

    "CloudWatch needs raw data points to calculate percentiles"; of a statistic set it can only when
    "the Min and Max are equal, and Sum is equal to Min multiplied by SampleCount"
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Percentiles).
    """
    counted: list[tuple[float, float]] = []
    for md in data:
        value = getattr(md, "value", None)
        if value is not None:
            counted.append((float(value), 1.0))
        elif isinstance(md, MetricValuesDatum):
            counted.extend(md.values_counts)
        elif md.min == md.max and abs(md.sum - md.min * md.sample_count) <= 1e-9 * max(1.0, abs(md.sum)):
            counted.append((float(md.min), float(md.sample_count)))
        else:
            return None  # a summarised set hides its values
    total = sum(n for _v, n in counted)
    if total <= 0:
        return None
    want, seen = percent / 100.0 * total, 0.0
    for value, n in sorted(counted):
        seen += n
        if seen >= want - 1e-9:
            return value
    return max(v for v, _n in counted)


def _statistics_for_type(self: Any, stat: str) -> Any:
    match = _PERCENTILE.match(stat or "")
    if match is None:
        return _ORIG["statistics_for_type"](self, stat)
    return percentile_of(self.metric_data, float(match.group(1)))


def _get_metric_data(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """A period with no percentile (no values CloudWatch could rank) has no datapoint, as on AWS."""
    results = _ORIG["get_metric_data"](self, *args, **kwargs)
    for r in results:
        if any(v is None for v in r["values"]):
            pairs = [(t, v) for t, v in zip(r["timestamps"], r["values"]) if v is not None]
            r["timestamps"], r["values"] = [t for t, _v in pairs], [v for _t, v in pairs]
    return results


def _get_metric_statistics(self: CloudWatchBackend, namespace: str, metric_name: str, start_time: Any,
                           end_time: Any, period: int, stats: list[str], dimensions: list[dict[str, str]],
                           unit: str | None = None) -> Any:
    """GetMetricStatistics matches the dimension set exactly, as AWS does (moto matches a subset):
    RequestCountPerTarget for [TargetGroup] must not add the [LoadBalancer, TargetGroup] series."""
    args = (self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit)
    if active() is None or not dimensions:
        return _ORIG["get_metric_statistics"](*args)
    want = sorted((d["Name"], d.get("Value")) for d in dimensions)
    everything = self.get_all_metrics
    self.get_all_metrics = lambda: [md for md in everything() if md.name != metric_name or md.namespace != namespace
                                    or sorted((d.name, d.value) for d in md.dimensions) == want]
    try:
        return _ORIG["get_metric_statistics"](*args)
    finally:
        del self.get_all_metrics


def _describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    """DescribeAlarmHistory over the items the simulator recorded (newest first by default)."""
    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    types = self._get_param("AlarmTypes") or ["MetricAlarm", "CompositeAlarm"]
    start, end = self._get_param("StartDate"), self._get_param("EndDate")
    limit = int(self._get_param("MaxRecords") or 100)
    offset = int(self._get_param("NextToken") or 0)
    items = [i for a in self.cloudwatch_backend.alarms.values() if not name or a.name == name
             for i in history_of(a)]
    oldest = sim_time() - HISTORY_RETENTION
    items = [i for i in items if (not kind or i["HistoryItemType"] == kind) and i["AlarmType"] in types
             and i["Timestamp"] >= oldest
             and (start is None or i["Timestamp"] >= _naive(start))
             and (end is None or i["Timestamp"] <= _naive(end))]
    items.sort(key=lambda i: i["Timestamp"])  # stable: same-second items keep the order they happened
    if self._get_param("ScanBy") != "TimestampAscending":
        items.reverse()
    page = items[offset:offset + limit]
    result: dict[str, Any] = {"AlarmHistoryItems": page}
    if offset + limit < len(items):
        result["NextToken"] = str(offset + limit)
    return ActionResult(result)


def _naive(dt: Any) -> datetime:
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt.replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


# -- Auto Scaling: target tracking owns its alarms -------------------------------

def _cw_backend(asg_backend: AutoScalingBackend) -> CloudWatchBackend:
    return cloudwatch_backends[asg_backend.account_id][asg_backend.region_name]


def _put_scaling_policy(self: AutoScalingBackend, name: str, policy_type: str, *args: Any, **kwargs: Any):
    old = self.policies.get(name)
    policy = _ORIG["put_scaling_policy"](self, name, policy_type, *args, **kwargs)
    sim = active()
    if sim is None:
        return policy
    cw = _cw_backend(self)
    if old is not None and old.auto_scaling_group_name == policy.auto_scaling_group_name:
        for a in getattr(old, "awslab_owned_alarms", []):  # a replaced TT policy's alarms go with it
            cw.alarms.pop(a, None)
    policy.awslab_owned_alarms = []
    # Hook: the simulator's policies subsystem (``sim.policies``) decides the alarms' shape; this
    # module only stores them, so the moto patch never imports the simulator.
    hook = getattr(getattr(sim, "policies", None), "target_tracking_alarms", None)
    if policy_type == "TargetTrackingScaling" and hook is not None:
        config = kwargs.get("target_tracking_config") or (args[6] if len(args) > 6 else {})
        group = self.autoscaling_groups.get(policy.auto_scaling_group_name)
        for d in hook(policy.auto_scaling_group_name, group, policy.arn, dict(config)):
            cw.put_metric_alarm(
                name=d["AlarmName"], namespace=d["Namespace"], metric_name=d["MetricName"],
                comparison_operator=d["ComparisonOperator"], evaluation_periods=d["EvaluationPeriods"],
                period=d["Period"], threshold=d["Threshold"], statistic=d["Statistic"],
                description=d["AlarmDescription"], dimensions=d["Dimensions"], alarm_actions=d["AlarmActions"],
                datapoints_to_alarm=d["DatapointsToAlarm"])
            policy.awslab_owned_alarms.append(d["AlarmName"])
    _refresh_alarms(self, policy)
    return policy


def _refresh_alarms(backend: AutoScalingBackend, policy: Any) -> None:
    """``Alarms`` of a policy: every alarm whose actions name the policy's ARN."""
    cw = _cw_backend(backend)
    policy.alarms = [{"AlarmName": a.name, "AlarmARN": a.alarm_arn} for a in cw.alarms.values()
                     if policy.arn in (a.alarm_actions or [])]


def _delete_policy(self: AutoScalingBackend, name: str) -> None:
    policy = self.policies.get(name)
    _ORIG["delete_policy"](self, name)
    if active() is not None and policy is not None:
        cw = _cw_backend(self)
        for a in getattr(policy, "awslab_owned_alarms", []):
            cw.alarms.pop(a, None)


def _describe_policies(self: AutoScalingBackend, *args: Any, **kwargs: Any):
    policies = _ORIG["describe_policies"](self, *args, **kwargs)
    if active() is not None:
        for p in policies:
            _refresh_alarms(self, p)
    return policies


def _put_scaling_policy_response(self: AutoScalingResponse) -> ActionResult:
    result = _ORIG["put_scaling_policy_response"](self)
    policy = self.autoscaling_backend.policies.get(self._get_param("PolicyName"))
    body = dict(result.result) if isinstance(result.result, dict) else {}
    if policy is not None:  # moto answers "PolicyArn"; the API's member is "PolicyARN"
        body.pop("PolicyArn", None)
        body["PolicyARN"] = policy.arn
    if active() is not None and policy is not None and getattr(policy, "alarms", None):
        body["Alarms"] = policy.alarms
    return ActionResult(body)
