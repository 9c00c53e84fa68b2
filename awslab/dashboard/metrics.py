"""The dashboard's charts, as CloudWatch queries: one ``GetMetricData`` call per refresh.

GetMetricData is the standard API for reading many metrics at once (up to 500 queries a call,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html), so the same
queries read the embedded cloud, LocalStack or a real account. Every query's ``Id`` says what it is, so
:func:`awslab.dashboard.state.dashboard_state` can sort the answers without knowing the order they came in.

The metrics and their dimensions are AWS's:

- ``AWS/EC2 CPUUtilization`` per ``InstanceId`` and for the group (``AutoScalingGroupName``), Average
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html);
- ``AWS/ApplicationELB`` ``RequestCount`` and ``HTTPCode_ELB_5XX_Count`` per ``LoadBalancer``, Sum;
  ``HTTPCode_Target_5XX_Count`` (Sum) and ``TargetResponseTime`` (p50 and p99) per ``LoadBalancer`` and
  ``TargetGroup``
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

__all__ = ["PERIOD_S", "MetricSeries", "queries_for", "read_metric_data", "dimension_of_arn"]

#: One datapoint a minute: the finest period EC2 detailed monitoring and the ALB publish.
PERIOD_S = 60
#: GetMetricData takes at most 500 queries a call.
MAX_QUERIES = 500


@dataclass(frozen=True)
class MetricSeries:
    """One ``MetricDataResults`` item: the query's ``Id`` and its points in time order (epoch seconds)."""

    id: str
    times: tuple[float, ...]
    values: tuple[float, ...]


def dimension_of_arn(arn: str) -> str:
    """The ``LoadBalancer`` / ``TargetGroup`` dimension value of an ARN: the part after ``loadbalancer/``
    (``app/name/id``) or the ``targetgroup/name/id`` part, as CloudWatch names them."""
    if ":loadbalancer/" in arn:
        return arn.split(":loadbalancer/", 1)[1]
    return arn.split(":")[-1]


def _safe(text: str) -> str:
    """A query Id must start with a lower-case letter and hold only letters, digits and underscores."""
    return re.sub(r"[^0-9a-zA-Z_]", "_", text)


def _stat(qid: str, namespace: str, name: str, dims: list[tuple[str, str]], stat: str) -> dict[str, Any]:
    metric = {"Namespace": namespace, "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}
    return {"Id": qid, "MetricStat": {"Metric": metric, "Period": PERIOD_S, "Stat": stat}, "ReturnData": True}


def queries_for(group: str, instance_ids: Iterable[str], load_balancers: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The dashboard's ``MetricDataQueries``: ``load_balancers`` maps each of the group's target group ARNs to the
    ARNs of the load balancers in front of it (``describe-target-groups``' ``LoadBalancerArns``).

    Ids: ``cpu_group``, ``cpu_<instance id>``, and per load balancer ``<kind>_<n>``, ``n`` its index.
    """
    queries = [_stat("cpu_group", "AWS/EC2", "CPUUtilization", [("AutoScalingGroupName", group)], "Average")]
    queries += [_stat("cpu_" + _safe(iid), "AWS/EC2", "CPUUtilization", [("InstanceId", iid)], "Average")
                for iid in sorted(instance_ids)]
    lbs = sorted({lb for arns in load_balancers.values() for lb in arns})
    for n, lb in enumerate(lbs):
        lb_dim = ("LoadBalancer", dimension_of_arn(lb))
        queries.append(_stat(f"requests_{n}", "AWS/ApplicationELB", "RequestCount", [lb_dim], "Sum"))
        queries.append(_stat(f"elb5xx_{n}", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", [lb_dim], "Sum"))
        for m, tg in enumerate(sorted(t for t, arns in load_balancers.items() if lb in arns)):
            both = [lb_dim, ("TargetGroup", dimension_of_arn(tg))]
            queries.append(_stat(f"target5xx_{n}_{m}", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", both, "Sum"))
            queries.append(_stat(f"p50_{n}_{m}", "AWS/ApplicationELB", "TargetResponseTime", both, "p50"))
            queries.append(_stat(f"p99_{n}_{m}", "AWS/ApplicationELB", "TargetResponseTime", both, "p99"))
    return queries[:MAX_QUERIES]


def read_metric_data(cloudwatch: Any, queries: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict]:
    """Every ``MetricDataResults`` item for ``queries`` between ``start`` and ``end``, all pages (``NextToken``)."""
    if not queries:
        return []
    results: dict[str, dict] = {}
    kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end,
                              "ScanBy": "TimestampAscending"}
    for _page in range(100):  # bounded: a page holds up to 100,800 datapoints
        answer = cloudwatch.get_metric_data(**kwargs)
        for r in answer.get("MetricDataResults", []):
            have = results.setdefault(r["Id"], {"Id": r["Id"], "Timestamps": [], "Values": []})
            have["Timestamps"] += list(r.get("Timestamps", []))
            have["Values"] += list(r.get("Values", []))
        if not answer.get("NextToken"):
            break
        kwargs["NextToken"] = answer["NextToken"]
    return list(results.values())
