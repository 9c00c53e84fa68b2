"""A surge's story from AWS's own records, where no simulator keeps a timeline (LocalStack, a real account).

- **CloudWatch** (``GetMetricData``): the ALB's ``RequestCount`` and ``HTTPCode_ELB_5XX_Count`` (Sum) and
  ``TargetResponseTime`` (Average, seconds) per minute, the way the console's Monitoring tab shows them
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html). The ALB
  publishes them only for minutes with requests, a minute or so late.
- **The alarms** (``DescribeAlarmHistory``, StateUpdate items): when each of the group's alarms changed state, and why.
- **Auto Scaling** (``DescribeScalingActivities``): each launch and termination, with AWS's cause.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from ..i18n import N_, _
from ..lab import Lab
from .az_outage import _activities_story
from .story import Story, StoryLine, short_name

__all__ = ["cloudwatch_story", "METRICS"]

#: (query id, metric name, statistic) read from namespace AWS/ApplicationELB.
METRICS = (("requests", "RequestCount", "Sum"), ("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum"),
           ("latency", "TargetResponseTime", "Average"))

MINUTE = N_("RequestCount {requests:g}, HTTPCode_ELB_5XX_Count {elb5xx:g}, TargetResponseTime {latency}")


def _dimension(load_balancer_arn: str) -> str:
    """The ``LoadBalancer`` dimension: the ARN's last part, ``app/<name>/<id>``."""
    return load_balancer_arn.split(":loadbalancer/", 1)[-1]


def _metric_minutes(lab: Lab, load_balancer_arn: str, t0: float, t1: float) -> dict[datetime, dict[str, float]]:
    """{minute: {query id: value}} for the ALB, from ``t0``'s minute to ``t1``."""
    dims = [{"Name": "LoadBalancer", "Value": _dimension(load_balancer_arn)}]
    queries = [{"Id": qid, "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": name,
                                                     "Dimensions": dims}, "Period": 60, "Stat": stat}}
               for qid, name, stat in METRICS]
    start = datetime.fromtimestamp(math.floor(t0 / 60) * 60, timezone.utc)
    end = datetime.fromtimestamp(math.ceil(t1 / 60) * 60 + 60, timezone.utc)
    minutes: dict[datetime, dict[str, float]] = {}
    cw, token = lab.client("cloudwatch"), None
    for _page in range(20):  # bounded: 3 metrics x 30 minutes fit in one page; a token means more
        kw = {"NextToken": token} if token else {}
        got = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending",
                                 **kw)
        for result in got["MetricDataResults"]:
            for when, value in zip(result["Timestamps"], result["Values"]):
                minutes.setdefault(when, {})[result["Id"]] = value
        token = got.get("NextToken")
        if not token:
            break
    return minutes


def _metric_lines(lab: Lab, load_balancer_arn: str, t0: float, t1: float) -> list[StoryLine]:
    lines = []
    name = short_name(load_balancer_arn)
    for when, values in sorted(_metric_minutes(lab, load_balancer_arn, t0, t1).items()):
        latency = values.get("latency")
        text = _(MINUTE).format(requests=values.get("requests", 0.0), elb5xx=values.get("elb5xx", 0.0),
                                latency="-" if latency is None else "{:.3f} s".format(latency))
        lines.append(StoryLine(when.timestamp() - t0, when.isoformat(), "CloudWatch", name, text,
                               event="metric_minute"))
    return lines


def _alarm_lines(lab: Lab, alarm_names: list[str], t0: float) -> list[StoryLine]:
    """Each alarm's state changes since ``t0`` (DescribeAlarmHistory). moto 5.2.5 has no DescribeAlarmHistory (it
    raises NotImplementedError in-process; a moto_server answers HTTP 500), so where the call cannot be answered the
    alarms' current states since ``t0`` (DescribeAlarms) stand in."""
    cw, since = lab.client("cloudwatch"), datetime.fromtimestamp(t0, timezone.utc)
    lines = []
    try:
        for name in alarm_names:
            items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate", StartDate=since,
                                              ScanBy="TimestampAscending", MaxRecords=100)["AlarmHistoryItems"]
            lines += [StoryLine(i["Timestamp"].timestamp() - t0, i["Timestamp"].isoformat(), "CloudWatch",
                                short_name(name), i["HistorySummary"], event="alarm_state_changed") for i in items]
        return lines
    except NotImplementedError:
        pass
    except ClientError as e:
        if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) < 500:
            raise
    for i in range(0, len(alarm_names), 100):
        for a in cw.describe_alarms(AlarmNames=alarm_names[i:i + 100])["MetricAlarms"]:
            when = a.get("StateUpdatedTimestamp")
            if when is not None and when.timestamp() >= t0:
                lines.append(StoryLine(when.timestamp() - t0, when.isoformat(), "CloudWatch",
                                       short_name(a["AlarmName"]),
                                       _("alarm {moved}").format(moved=a["StateValue"]), a.get("StateReason", ""),
                                       "alarm_state_changed"))
    return lines


def cloudwatch_story(lab: Lab, load_balancer_arn: str, group: str, target_group_arns: set[str],
                     alarm_names: list[str], t0: float) -> Story:
    """The surge since ``t0`` (epoch seconds): the ALB's minutes, the alarms, the group's activities, in time order."""
    lines = _metric_lines(lab, load_balancer_arn, t0, datetime.now(timezone.utc).timestamp())
    lines += _alarm_lines(lab, alarm_names, t0)
    lines += _activities_story(lab, group, t0, set(), target_group_arns)
    return Story(sorted(lines, key=lambda line: line.offset_s))
