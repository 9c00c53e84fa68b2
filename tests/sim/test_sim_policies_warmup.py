"""Warm-up as AWS applies it (issue 11 §3): which setting wins, and the windows it opens, in virtual time.

AWS (PutScalingPolicy, EstimatedInstanceWarmup): a policy's own warm-up overrides the group's
DefaultInstanceWarmup; only when both are unset does it fall back to DefaultCooldown. While an instance
launched by a step or target-tracking policy warms up (from InService, for that many seconds) it counts
as part of the current capacity on scale-out, its metrics stay out of the group's aggregate, and scale-in
waits. Every expected window below is computed from the settings and the instances' InService times.
"""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest

from awslab.sim import load
from awslab.sim.policies.warmup import effective_warmup, launching_policy
from tests.sim.test_sim_scenarios_scaling import stack

REGION = "ap-northeast-2"
GROUP = [{"Name": "AutoScalingGroupName", "Value": "g"}]
CPU = {"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}
DEFAULT_COOLDOWN = 300  # the group's DefaultCooldown, left at AWS's default


@pytest.mark.parametrize("policy,group,cooldown,expected", [
    (None, None, 300, 300), (None, None, 200, 200), (0, None, 300, 0), (120, None, 300, 120), (600, None, 300, 600),
    (None, 120, 300, 120), (600, 120, 300, 600), (0, 600, 300, 0), (None, 0, 300, 0), (None, -1, 300, 300),
    ("600", None, 300, 600)])
def test_policy_warmup_overrides_the_groups_which_falls_back_to_default_cooldown(policy, group, cooldown, expected):
    assert effective_warmup(policy, group, cooldown) == expected


def test_the_launching_policy_is_read_from_the_activity_cause():
    cause = ("At 2026-11-30T01:00:00Z a monitor alarm TargetTracking-g-AlarmHigh-1 in state ALARM triggered policy "
             "cpu 50 changing the desired capacity from 2 to 4.  At 2026-11-30T01:00:00Z an instance was started in "
             "response to a difference between desired and actual capacity, increasing the capacity from 2 to 4.")
    assert launching_policy(cause) == "cpu 50"
    assert launching_policy("At 2026-11-30T01:00:00Z an instance was started in response to a difference ...") is None


def _group(w, group_warmup):
    """The group, with its first two instances past any warm-up (theirs: DefaultInstanceWarmup, else DefaultCooldown)."""
    w.sim.cloudwatch.delivery_delay_s = 60
    stack(w, "g", max_size=20, warmup=group_warmup)
    w.advance(effective_warmup(None, group_warmup, DEFAULT_COOLDOWN))
    return boto3.client("cloudwatch", region_name=REGION)


def _executions(w):
    return [(e.time, e.details["previous"], e.details["desired"])
            for e in w.sim.timeline.query(event="policy_executed", resource="g")]


def _in_service_times(w, since):
    return sorted(e.time for e in w.sim.timeline.query(event="lifecycle_changed", since=since)
                  if e.details.get("group_name") == "g" and e.details["lifecycle_state"] == "InService")


def _step_policy(w, cw, warmup, adjustment=1, name="out", threshold=60.0, op="GreaterThanThreshold"):
    kw = {} if warmup is None else {"EstimatedInstanceWarmup": warmup}
    step = {"MetricIntervalLowerBound": 0} if adjustment > 0 else {"MetricIntervalUpperBound": 0}
    arn = w.autoscaling.put_scaling_policy(AutoScalingGroupName="g", PolicyName=name, PolicyType="StepScaling",
                                           AdjustmentType="ChangeInCapacity",
                                           StepAdjustments=[{**step, "ScalingAdjustment": adjustment}], **kw)["PolicyARN"]
    cw.put_metric_alarm(AlarmName=f"cpu-{name}", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Dimensions=GROUP, Period=60, EvaluationPeriods=1, Threshold=threshold,
                        ComparisonOperator=op, AlarmActions=[arn])
    return arn


WARMUPS = [  # (policy's EstimatedInstanceWarmup, group's DefaultInstanceWarmup, the warm-up AWS applies)
    (None, None, DEFAULT_COOLDOWN), (0, None, 0), (120, None, 120), (600, None, 600),
    (None, 120, 120), (600, 120, 600), (0, 600, 0)]


@pytest.mark.parametrize("policy_warmup,group_warmup,window", WARMUPS)
def test_step_policy_steps_again_only_after_the_warmup(world, policy_warmup, group_warmup, window):
    """+1 while CPU > 60 %, under a load no capacity here can serve: the alarm stays in ALARM and repeats its
    action every minute, but the launched instance counts as capacity while it warms up, so the next step comes
    at the first minute at or after its InService time + the warm-up, not before."""
    w = world
    cw = _group(w, group_warmup)
    _step_policy(w, cw, policy_warmup)
    shown = w.autoscaling.describe_policies(AutoScalingGroupName="g")["ScalingPolicies"][0]
    assert shown.get("EstimatedInstanceWarmup") == policy_warmup
    w.advance(60 - w.now % 60)
    t_load = w.now
    w.sim.cloudwatch.set_load(load.steady(2000))
    w.advance(3 * 60 + window + 4 * 60)
    runs = _executions(w)
    assert runs[0][1:] == (2, 3)
    t_is = _in_service_times(w, runs[0][0])[0]
    assert runs[1][1:] == (3, 4)
    assert t_is + window <= runs[1][0] <= t_is + window + 60
    assert runs[0][0] <= t_load + 3 * 60  # one breaching minute, delivered a minute later


@pytest.mark.parametrize("policy_warmup,group_warmup,window", WARMUPS[:4])
def test_target_tracking_counts_warming_instances_and_leaves_them_out_of_the_aggregate(
        world, policy_warmup, group_warmup, window):
    """Target 50 % under a load no capacity here can serve: 2 -> 4 at once. The two new instances join the
    group's CPU aggregate only when warmed up (SampleCount stays 2 until then); the next scale-out waits for
    the first datapoint that includes one of them to arrive (its minute's end + the one-minute delivery)."""
    w = world
    cw = _group(w, group_warmup)
    kw = {} if policy_warmup is None else {"EstimatedInstanceWarmup": policy_warmup}
    w.autoscaling.put_scaling_policy(AutoScalingGroupName="g", PolicyName="cpu50", PolicyType="TargetTrackingScaling",
                                     TargetTrackingConfiguration={**CPU, "TargetValue": 50.0}, **kw)
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load(load.steady(2000))
    w.advance(5 * 60 + window + 5 * 60)
    runs = _executions(w)
    assert runs[0][1:] == (2, 4)
    t_warm = _in_service_times(w, runs[0][0])[0] + window  # the first new instance is warm
    joined = -(-t_warm // 60) * 60  # the first minute-end at which it is in the aggregate
    assert runs[1][2] > 4 and joined + 60 <= runs[1][0] <= joined + 60 + 60
    stats = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=GROUP,
                                     StartTime=datetime.fromtimestamp(runs[0][0], timezone.utc),
                                     EndTime=datetime.fromtimestamp(runs[1][0], timezone.utc), Period=60,
                                     Statistics=["SampleCount"])["Datapoints"]
    counts = {p["Timestamp"].timestamp() + 60: p["SampleCount"] for p in stats}  # minute end -> instances in it
    assert all(c == 2 for end, c in counts.items() if end < t_warm)  # warming: left out of the aggregate
    assert counts[joined] > 2  # the first minute that ends after the warm-up has it


@pytest.mark.parametrize("policy_warmup,window", [(None, DEFAULT_COOLDOWN), (120, 120), (600, 600)])
def test_scale_in_waits_until_the_warmup_ends(world, policy_warmup, window):
    """A +1 step under load, then the load stops: the -1 policy's alarm (CPU < 30 %) fires within two minutes,
    but Auto Scaling scales in only once the launched instance has warmed up."""
    w = world
    cw = _group(w, None)
    _step_policy(w, cw, policy_warmup)
    _step_policy(w, cw, None, adjustment=-1, name="in", threshold=30.0, op="LessThanThreshold")
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load(load.steady(2000))
    w.run_until(lambda: _executions(w), limit=600, step=10)
    t_is = w.run_until(lambda: len(_in_service_times(w, _executions(w)[0][0])) == 1, limit=300)
    w.sim.cloudwatch.set_load(None)  # nobody left: CPU idles at 2 %
    w.advance(window + 3 * 60)
    ins = [r for r in _executions(w) if r[2] < r[1]]
    alarm_low = [e.time for e in w.sim.timeline.query(event="alarm_state_changed", resource="cpu-in")
                 if e.details["state"] == "ALARM"][-1]
    assert alarm_low < t_is + window or window <= 120
    assert ins and t_is + window <= ins[0][0] <= max(t_is + window, alarm_low) + 60
