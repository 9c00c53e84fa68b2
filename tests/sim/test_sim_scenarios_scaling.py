"""Issue 4's scenarios in virtual time: load -> CPU -> alarm -> policy -> capacity, against AWS's timelines.

Expected windows come from the alarms' own settings (aws-semantics §5-§7):
AlarmHigh needs 3 one-minute points (detailed monitoring) or 3 five-minute
points (basic), AlarmLow 15; simple scaling waits for the activity and then
its cooldown; a scheduled action runs within seconds (at most 2 minutes late).
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from awslab.sim import load
from awslab.sim.policies.target_tracking import HIGH_DATAPOINTS, LOW_DATAPOINTS

REGION = "ap-northeast-2"
CPU_POLICY = {"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}


def stack(w, name, monitoring=True, desired=2, min_size=2, max_size=10, warmup=60):
    """LT (detailed or basic monitoring) + TG + ALB + listener + ASG named ``name``; returns the TG ARN.
    ``warmup`` is the group's DefaultInstanceWarmup (None: not set)."""
    if not w.subnets:
        w.network()
    w.ec2.create_launch_template(LaunchTemplateName=f"{name}-tmpl", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "Monitoring": {"Enabled": monitoring}})
    tg = w.target_group(name=f"{name}-tg", behind_alb=False)  # its own ALB below
    lb = w.elbv2.create_load_balancer(Name=f"{name}-alb", Subnets=list(w.subnets.values()))["LoadBalancers"][0]
    w.elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    w.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=min_size, MaxSize=max_size, DesiredCapacity=desired,
        LaunchTemplate={"LaunchTemplateName": f"{name}-tmpl"}, VPCZoneIdentifier=",".join(w.subnets.values()),
        TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=60,
        **({} if warmup is None else {"DefaultInstanceWarmup": warmup}))
    w.run_until(lambda: sum(th.state == "healthy" for th in w.sim.elb.targets_of(tg)) == desired, limit=300)
    return tg


def cw():
    return boto3.client("cloudwatch", region_name=REGION)


def alarm_times(w, alarm_name, state):
    return [e.time for e in w.sim.timeline.query(event="alarm_state_changed", resource=alarm_name)
            if e.details.get("state") == state]


def executions(w, group):
    return [e for e in w.sim.timeline.query(event="policy_executed", resource=group)]


def needed_at(target, rps, capacity=50.0, base=2.0):
    """Instances that hold CPU (base + 100 * rps / (n * capacity)) at or under ``target``."""
    return math.ceil(100 * rps / (capacity * (target - base)))


def test_surge_target_tracking_scales_out_proportionally_then_in_after_15_low_minutes(world):
    w = world
    stack(w, "web")
    policy = w.autoscaling.put_scaling_policy(AutoScalingGroupName="web", PolicyName="cpu70",
                                              PolicyType="TargetTrackingScaling",
                                              TargetTrackingConfiguration={**CPU_POLICY, "TargetValue": 70.0})
    high, low = (a["AlarmName"] for a in policy["Alarms"])
    assert high.startswith("TargetTracking-web-AlarmHigh-") and low.startswith("TargetTracking-web-AlarmLow-")
    surge = load.users(100, 1000, at_s=600)
    w.advance(60 - w.now % 60)  # start on a minute, so the surge fills whole one-minute points
    w.sim.cloudwatch.set_load(lambda t: surge(t) if t < 3600 else surge(0))
    t_load = w.now
    w.advance(3600 + 20 * 60)

    # scale-out: AlarmHigh once 3 one-minute points have arrived (+ up to 1 min to the next evaluation)
    delay = w.sim.cloudwatch.delivery_delay_s
    t_high = alarm_times(w, high, "ALARM")[0]
    assert t_load + 600 + HIGH_DATAPOINTS * 60 + delay <= t_high <= t_load + 600 + (HIGH_DATAPOINTS + 1) * 60 + delay
    outs = [e for e in executions(w, "web") if e.details["desired"] > e.details["previous"]]
    assert outs[0].time == t_high and outs[0].details["previous"] == 2
    peak = max(e.details["desired"] for e in outs)
    assert peak == needed_at(70.0, surge(600))  # the proportional capacity, 6 t3.micro for ~198 req/s
    assert outs[-1].time - t_high <= 10 * 60
    acts = w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert any(re.match(rf"At \S+Z a monitor alarm {high} in state ALARM triggered policy cpu70 changing the "
                        r"desired capacity from 2 to \d\.  At \S+Z an instance was started", a["Cause"]) for a in acts)

    # scale-in: only after 15 low one-minute points once the load dropped back at t_load + 3600
    ins = [e for e in executions(w, "web") if e.details["desired"] < e.details["previous"]]
    assert len(ins) >= 1
    t_low = alarm_times(w, low, "ALARM")[0]
    assert t_load + 3600 + LOW_DATAPOINTS * 60 + delay <= t_low <= t_load + 3600 + (LOW_DATAPOINTS + 2) * 60 + delay
    assert ins[0].time == t_low and ins[0].details["desired"] >= 2

    hist = cw().describe_alarm_history(AlarmName=high, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    to_alarm = [h for h in hist if h["HistorySummary"].endswith("to ALARM")]
    assert "Threshold Crossed: 3 out of the last 3 datapoints [" in to_alarm[-1]["HistoryData"]
    assert "were greater than the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition)." \
        in to_alarm[-1]["HistoryData"]


@pytest.mark.parametrize("second", [0, 30])
def test_the_seeds_surge_is_served_by_new_capacity_within_awss_four_to_seven_minutes(world, second):
    """The seed's stack (detailed monitoring, 2 t3.micro, DefaultInstanceWarmup 120, target tracking at 70 %) and
    its 100 -> 1000 users, starting at second ``second`` of a minute: AlarmHigh once three breaching one-minute
    points have arrived, then launch, InService and one passing health check. aws-semantics.md §7 puts the whole
    at about 4-7 minutes on AWS."""
    w = world
    tg = stack(w, "seed", max_size=6, warmup=120)
    p = w.autoscaling.put_scaling_policy(AutoScalingGroupName="seed", PolicyName="cpu70",
                                         PolicyType="TargetTrackingScaling",
                                         TargetTrackingConfiguration={**CPU_POLICY, "TargetValue": 70.0})
    high = next(a["AlarmName"] for a in p["Alarms"] if "-AlarmHigh-" in a["AlarmName"])
    w.advance(300)
    w.advance(60 - w.now % 60 + second)
    t_step = w.now
    w.sim.cloudwatch.set_load(load.seed_surge(at_s=0.0))
    t_served = w.run_until(lambda: w.group("seed")["DesiredCapacity"] > 2 and sum(
        th.state == "healthy" for th in w.sim.elb.targets_of(tg)) >= w.group("seed")["DesiredCapacity"],
        limit=900, step=5)
    arrive = w.sim.cloudwatch.delivery_delay_s
    first_full = t_step + (60 - second) % 60  # the first whole minute of the surge
    t_high = alarm_times(w, high, "ALARM")[0]
    assert first_full + HIGH_DATAPOINTS * 60 + arrive <= t_high <= first_full + (HIGH_DATAPOINTS + 1) * 60 + arrive
    assert 4 * 60 <= t_served - t_step <= 7 * 60


def test_metrics_are_published_with_simulated_timestamps(world):
    w = world
    tg = stack(w, "web")
    w.autoscaling.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute",
                                            Metrics=["GroupDesiredCapacity", "GroupInServiceInstances"])
    start = w.sim.now_datetime()
    w.advance(5 * 60)
    quiet = cw().list_metrics(Namespace="AWS/ApplicationELB")["Metrics"]
    assert quiet == []  # ALB metrics only while requests flow
    w.sim.cloudwatch.set_load(load.steady(40))
    w.advance(10 * 60)
    end = w.sim.now_datetime()
    group = cw().get_metric_statistics(Namespace="AWS/AutoScaling", MetricName="GroupDesiredCapacity",
                                       Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web"}],
                                       StartTime=start, EndTime=end, Period=60, Statistics=["Maximum"])["Datapoints"]
    arrived = 15 - math.ceil(w.sim.cloudwatch.delivery_delay_s / 60)  # the newest minutes are still on their way
    assert len(group) >= arrived - 1 and {p["Maximum"] for p in group} == {2.0}
    newest = max(p["Timestamp"] for p in group)
    assert (end - newest).total_seconds() >= 60 + w.sim.cloudwatch.delivery_delay_s - 60
    names = {m["MetricName"] for m in cw().list_metrics(Namespace="AWS/ApplicationELB")["Metrics"]}
    assert {"RequestCount", "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount",
            "RequestCountPerTarget"} <= names and "HTTPCode_ELB_5XX_Count" not in names
    stats = cw().get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization",
                                       Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web"}],
                                       StartTime=end - timedelta(minutes=10), EndTime=end, Period=60,
                                       Statistics=["Average", "SampleCount"])["Datapoints"]
    assert len(stats) >= 8
    assert all(abs(p["Average"] - (2 + 100 * 20 / 50)) < 0.01 for p in stats)  # 40 req/s over 2 t3.micro
    assert {p["SampleCount"] for p in stats} == {2.0}
    assert all(end - timedelta(minutes=11) <= p["Timestamp"] <= end for p in stats)
    tg_dim = tg.split(":")[-1]
    data = cw().get_metric_data(StartTime=end - timedelta(minutes=10), EndTime=end, MetricDataQueries=[
        {"Id": "rc", "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCountPerTarget",
                                               "Dimensions": [{"Name": "TargetGroup", "Value": tg_dim}]},
                                    "Period": 60, "Stat": "Sum"}}])["MetricDataResults"][0]
    assert data["Values"] and all(abs(v - 40 * 60 / 2) < 1 for v in data["Values"])


def test_basic_monitoring_is_slower_than_detailed_by_the_period_factor(world):
    w = world
    stack(w, "fast", monitoring=True)
    stack(w, "slow", monitoring=False)
    periods = {}
    for g in ("fast", "slow"):
        p = w.autoscaling.put_scaling_policy(AutoScalingGroupName=g, PolicyName=f"cpu70-{g}",
                                             PolicyType="TargetTrackingScaling",
                                             TargetTrackingConfiguration={**CPU_POLICY, "TargetValue": 70.0})
        alarm = cw().describe_alarms(AlarmNames=[p["Alarms"][0]["AlarmName"]])["MetricAlarms"][0]
        periods[g] = (alarm["AlarmName"], alarm["Period"])
    assert (periods["fast"][1], periods["slow"][1]) == (60, 300)
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load(load.step(30, 160, at_s=300))
    t_step = w.now + 300
    w.advance(25 * 60)
    arrive = w.sim.cloudwatch.delivery_delay_s
    delay = {g: alarm_times(w, periods[g][0], "ALARM")[0] - t_step for g in periods}
    # 3 points of 60 s vs 3 points of 300 s (each + up to one period of alignment), once delivered
    assert 3 * 60 + arrive <= delay["fast"] <= 4 * 60 + arrive
    assert 3 * 300 - 300 + arrive <= delay["slow"] <= 4 * 300 + 60 + arrive
    assert delay["slow"] >= 3 * delay["fast"]
    # per-instance CPU: a point a minute with detailed monitoring, every 5 minutes with basic
    end = w.sim.now_datetime()
    for g, spacing in (("fast", 60), ("slow", 300)):
        iid = w.group(g)["Instances"][0]["InstanceId"]
        pts = cw().get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization",
                                         Dimensions=[{"Name": "InstanceId", "Value": iid}], StartTime=end - timedelta(minutes=20),
                                         EndTime=end, Period=60, Statistics=["Average"])["Datapoints"]
        stamps = sorted(p["Timestamp"] for p in pts)
        assert len(stamps) >= 3 and {(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])} == {spacing}


def test_step_scaling_picks_the_step_for_the_breach(world):
    """Threshold 60 %, steps +1 [0,10), +2 [10,20), +3 [20,inf) relative to it. Three groups get
    CPU 65 -> +1, exactly 70 -> +2 (above the threshold the lower bound is inclusive), 95 -> +3."""
    w = world
    loads, expected = {}, {}
    for name, per_instance_rps, step in (("s65", 31.5, 1), ("s70", 34.0, 2), ("s95", 46.5, 3)):
        tg = stack(w, name)
        arn = w.autoscaling.put_scaling_policy(
            AutoScalingGroupName=name, PolicyName=f"steps-{name}", PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity", EstimatedInstanceWarmup=60, StepAdjustments=[
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 10, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 2},
                {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 3}])["PolicyARN"]
        cw().put_metric_alarm(AlarmName=f"cpu-60-{name}", Namespace="AWS/EC2", MetricName="CPUUtilization",
                              Statistic="Average", Dimensions=[{"Name": "AutoScalingGroupName", "Value": name}],
                              Period=60, EvaluationPeriods=1, Threshold=60.0,
                              ComparisonOperator="GreaterThanThreshold", AlarmActions=[arn])
        loads[tg] = load.steady(2 * per_instance_rps)
        expected[name] = 2 + step
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load(loads)
    w.advance(61 + w.sim.cloudwatch.delivery_delay_s)  # one breaching minute, delivered
    firsts = {name: executions(w, name)[0].details for name in expected}
    assert {n: (d["previous"], d["desired"]) for n, d in firsts.items()} == {n: (2, e) for n, e in expected.items()}


def test_simple_scaling_ignores_a_second_alarm_inside_its_cooldown(world):
    w = world
    stack(w, "web")
    arn = w.autoscaling.put_scaling_policy(AutoScalingGroupName="web", PolicyName="add1", PolicyType="SimpleScaling",
                                           AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)["PolicyARN"]
    c = cw()
    c.put_metric_alarm(AlarmName="manual", Namespace="Lab", MetricName="Nothing", Statistic="Average", Period=60,
                       EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                       AlarmActions=[arn], TreatMissingData="ignore")
    c.set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="drill")
    assert w.group("web")["DesiredCapacity"] == 3
    w.run_until(lambda: all(i["LifecycleState"] == "InService" for i in w.group("web")["Instances"]), limit=300)
    t_done = w.now
    c.set_alarm_state(AlarmName="manual", StateValue="OK", StateReason="drill")
    w.advance(30)
    c.set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="drill again")
    w.advance(200)
    assert w.group("web")["DesiredCapacity"] == 3  # inside the 300 s cooldown: nothing
    w.advance(400)  # the alarm stayed in ALARM: after the cooldown it acts again (once a minute repeat)
    assert w.group("web")["DesiredCapacity"] >= 4
    second = executions(w, "web")[1]
    assert second.time >= t_done - 5 + 300
    history = c.describe_alarm_history(AlarmName="manual")["AlarmHistoryItems"]
    assert any(h["HistoryItemType"] == "Action" and arn in h["HistorySummary"] for h in history)


def test_scheduled_actions_fire_on_time_and_set_min_max_desired(world):
    w = world
    stack(w, "web", desired=2, min_size=1, max_size=4)
    start = datetime.fromtimestamp((w.now // 60 + 10) * 60, timezone.utc)
    w.autoscaling.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="morning",
                                                    StartTime=start, MinSize=3, MaxSize=8, DesiredCapacity=5)
    local = (start + timedelta(minutes=10)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Seoul"))
    w.autoscaling.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="seoul",
                                                    Recurrence=f"{local.minute} {local.hour} * * *",
                                                    TimeZone="Asia/Seoul", DesiredCapacity=7)
    w.advance(25 * 60)
    runs = {e.details["action"]: e.time for e in w.sim.timeline.query(event="scheduled_action_executed")}
    assert start.timestamp() <= runs["morning"] <= start.timestamp() + 120
    assert start.timestamp() + 600 <= runs["seoul"] <= start.timestamp() + 600 + 120
    g = w.group("web")
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (3, 8, 7)
    names = [a["ScheduledActionName"] for a in w.autoscaling.describe_scheduled_actions()["ScheduledUpdateGroupActions"]]
    assert names == ["seoul"]  # the one-time action is gone after it ran
    causes = [a["Cause"] for a in w.autoscaling.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
    assert any("a scheduled action update of AutoScalingGroup constraints to min: 3, max: 8, desired: 5 "
               "changing the desired capacity from 2 to 5." in c for c in causes)


def test_insufficient_data_means_no_scaling(world):
    """ALB metrics exist only while requests flow: with no traffic a RequestCountPerTarget policy's
    alarms stay INSUFFICIENT_DATA and the group never scales."""
    w = world
    tg = stack(w, "web", monitoring=False)
    lb_arn = w.elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"][0]
    label = f"{lb_arn.split(':loadbalancer/')[-1]}/{tg.split(':')[-1]}"
    p = w.autoscaling.put_scaling_policy(AutoScalingGroupName="web", PolicyName="rpt", PolicyType="TargetTrackingScaling",
                                         TargetTrackingConfiguration={"TargetValue": 100.0, "PredefinedMetricSpecification": {
                                             "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
    assert {a["Period"] for a in cw().describe_alarms(AlarmNames=[a["AlarmName"] for a in p["Alarms"]])
            ["MetricAlarms"]} == {60}  # ALB metrics are 1-minute whatever the instances' monitoring
    w.advance(30 * 60)
    states = {a["AlarmName"]: a["StateValue"] for a in
              cw().describe_alarms(AlarmNames=[a["AlarmName"] for a in p["Alarms"]])["MetricAlarms"]}
    assert set(states.values()) == {"INSUFFICIENT_DATA"} and len(states) == 2
    assert executions(w, "web") == [] and w.group("web")["DesiredCapacity"] == 2


def test_scale_in_needs_every_policy_and_disable_scale_in_is_honoured(world):
    """Group "two": CPU 70 % and ALBRequestCountPerTarget 320/min. CPU is low but requests per target sit
    between 90 % of 320 and 320, so that policy does not agree: no scale-in until it is deleted.
    Group "keep": CPU 70 % with DisableScaleIn: only AlarmHigh exists and it never scales in."""
    w = world
    tg_two = stack(w, "two", desired=4, min_size=1)
    tg_keep = stack(w, "keep", desired=4, min_size=1)
    lb_arn = w.elbv2.describe_target_groups(TargetGroupArns=[tg_two])["TargetGroups"][0]["LoadBalancerArns"][0]
    label = f"{lb_arn.split(':loadbalancer/')[-1]}/{tg_two.split(':')[-1]}"
    w.autoscaling.put_scaling_policy(AutoScalingGroupName="two", PolicyName="two-cpu", PolicyType="TargetTrackingScaling",
                                     TargetTrackingConfiguration={**CPU_POLICY, "TargetValue": 70.0})
    w.autoscaling.put_scaling_policy(AutoScalingGroupName="two", PolicyName="two-rpt", PolicyType="TargetTrackingScaling",
                                     TargetTrackingConfiguration={"TargetValue": 320.0, "PredefinedMetricSpecification": {
                                         "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
    keep = w.autoscaling.put_scaling_policy(AutoScalingGroupName="keep", PolicyName="keep-cpu",
                                            PolicyType="TargetTrackingScaling",
                                            TargetTrackingConfiguration={**CPU_POLICY, "TargetValue": 70.0,
                                                                         "DisableScaleIn": True})
    assert ["-AlarmHigh-" in a["AlarmName"] for a in keep["Alarms"]] == [True]
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load({tg_two: load.steady(20), tg_keep: load.steady(20)})  # 300 req/min per target
    w.advance(20 * 60)
    assert w.group("two")["DesiredCapacity"] == 4 and w.group("keep")["DesiredCapacity"] == 4
    w.autoscaling.delete_policy(AutoScalingGroupName="two", PolicyName="two-rpt")
    w.advance(2 * 60)  # the CPU AlarmLow is still in ALARM and repeats its action every minute
    assert w.group("two")["DesiredCapacity"] < 4 and w.group("keep")["DesiredCapacity"] == 4


def test_requests_reported_by_the_data_plane_replace_the_load_shape(world):
    """Realtime mode: the data plane reports what it carried, slice by slice; those slices' figures come from it."""
    w = world
    tg = stack(w, "web")
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load(load.steady(1000))  # would saturate; reported traffic wins for this TG
    iid = w.group("web")["Instances"][0]["InstanceId"]
    for k in range(6):  # a steady stream: 100 requests in each 10-second slice, one 502 in each of the first five
        for status in [200] * 99 + [502 if k < 5 else 200]:
            w.sim.cloudwatch.record_requests(tg, iid, latency_s=0.1, status=status, elb_generated=status == 502)
        w.advance(10)
    end = w.sim.now_datetime()
    w.advance(w.sim.cloudwatch.delivery_delay_s)  # the minute's datapoints arrive

    def one(metric, stat="Sum"):
        dims = [{"Name": "TargetGroup", "Value": tg.split(":")[-1]}]
        if metric != "RequestCountPerTarget":
            lb = w.elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"][0]
            dims = [{"Name": "LoadBalancer", "Value": lb.split(":loadbalancer/")[-1]}] + (
                dims if metric not in ("HTTPCode_ELB_5XX_Count",) else [])
        pts = cw().get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dims,
                                         StartTime=end - timedelta(minutes=1), EndTime=end, Period=60,
                                         Statistics=[stat])["Datapoints"]
        return pts[0][stat] if pts else None

    assert one("RequestCount") == 600 and one("HTTPCode_ELB_5XX_Count") == 5
    assert abs(one("TargetResponseTime", "Average") - 0.1) < 1e-9
    assert one("RequestCountPerTarget") == 600  # one target took it all


def test_enable_metrics_collection_without_a_list_enables_every_group_metric(world):
    """AWS: "If you specify Granularity and don't specify any metrics, all metrics are enabled" (moto enabled none)."""
    w = world
    stack(w, "all")
    w.autoscaling.enable_metrics_collection(AutoScalingGroupName="all", Granularity="1Minute")
    enabled = {m["Metric"] for m in w.group("all")["EnabledMetrics"]}
    assert {"GroupInServiceInstances", "GroupDesiredCapacity", "GroupTotalCapacity"} <= enabled
    start = w.sim.now_datetime()
    w.advance(5 * 60)
    points = cw().get_metric_statistics(Namespace="AWS/AutoScaling", MetricName="GroupInServiceInstances",
                                        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "all"}],
                                        StartTime=start, EndTime=w.sim.now_datetime(), Period=60,
                                        Statistics=["Maximum"])["Datapoints"]
    assert points and max(p["Maximum"] for p in points) == 2.0


def test_policies_triggered_at_the_same_time_give_the_largest_capacity_not_their_sum(world):
    """AWS: "If the scale-out criteria for both policies are met at the same time, Amazon EC2 Auto Scaling gives
    precedence to" the policy with the largest capacity (as-scale-based-on-demand.html). A step policy (+2 at 80 %
    and up) and a simple one (+1 at 60 %) whose 1-of-1 alarms breach in the same minute: 2 -> 4, not 5."""
    w = world
    tg = stack(w, "both")
    step = w.autoscaling.put_scaling_policy(
        AutoScalingGroupName="both", PolicyName="step", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
        StepAdjustments=[{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                         {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}])["PolicyARN"]
    simple = w.autoscaling.put_scaling_policy(AutoScalingGroupName="both", PolicyName="simple", PolicyType="SimpleScaling",
                                              AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)["PolicyARN"]
    for name, threshold, arn in (("cpu-step", 60.0, step), ("cpu-simple", 60.0, simple)):
        cw().put_metric_alarm(AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                              Dimensions=[{"Name": "AutoScalingGroupName", "Value": "both"}], Period=60,
                              EvaluationPeriods=1, Threshold=threshold, ComparisonOperator="GreaterThanThreshold",
                              AlarmActions=[arn])
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load({tg: load.steady(400)})  # 100 % CPU on both
    w.advance(61 + w.sim.cloudwatch.delivery_delay_s)
    assert alarm_times(w, "cpu-step", "ALARM") == alarm_times(w, "cpu-simple", "ALARM")
    assert w.group("both")["DesiredCapacity"] == 4
    assert [(e.details["previous"], e.details["desired"]) for e in executions(w, "both")] == [(2, 4)]


@pytest.mark.parametrize("order", ["simple first", "step first"])
def test_the_largest_capacity_wins_whichever_policy_runs_first(world, order):
    """Same instant, either order: the second policy sees the group as it was before the first (its launches are
    not yet warming instances of the second's step), so the step's +2 is never lost behind the simple's +1."""
    w = world
    tg = stack(w, "order")
    step = w.autoscaling.put_scaling_policy(
        AutoScalingGroupName="order", PolicyName="step", PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
        StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}])["PolicyARN"]
    simple = w.autoscaling.put_scaling_policy(AutoScalingGroupName="order", PolicyName="simple",
                                              PolicyType="SimpleScaling", AdjustmentType="ChangeInCapacity",
                                              ScalingAdjustment=1)["PolicyARN"]
    pairs = [("simple-cpu", simple), ("step-cpu", step)]  # CloudWatch evaluates them in the order they were put
    for name, arn in (pairs if order == "simple first" else pairs[::-1]):
        cw().put_metric_alarm(AlarmName=name, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                              Dimensions=[{"Name": "AutoScalingGroupName", "Value": "order"}], Period=60,
                              EvaluationPeriods=1, Threshold=60.0, ComparisonOperator="GreaterThanThreshold",
                              AlarmActions=[arn])
    w.advance(60 - w.now % 60)
    w.sim.cloudwatch.set_load({tg: load.steady(400)})
    w.advance(61 + w.sim.cloudwatch.delivery_delay_s)
    assert w.group("order")["DesiredCapacity"] == 4
