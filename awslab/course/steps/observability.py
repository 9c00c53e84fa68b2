"""Lab 11's catch-up steps: access logs on (the bucket, its delivery policy), requests logged, the alarm.

No builder layer makes these (the course's lab 11 is where they are made), so the steps make them here, with the
names and settings lab 11's checks ask for, finding each first so that running a step again changes nothing.
"""
from __future__ import annotations

import json
from typing import Any

from ..prepare import step

__all__: list[str] = []


def _passed(lab: Any, task_id: str) -> bool:
    from ...checks.registry import run_check

    return run_check(task_id, lab).passed


@step("11.1")
def _access_logs(lab: Any, resources: dict) -> dict:
    from ...checks.edge import the_alb
    from ...checks.observability import PREFIX, delivery_policy, log_bucket

    bucket, account = log_bucket(lab)
    if not _passed(lab, "11.1"):
        s3 = lab.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except s3.exceptions.ClientError:
            where = {} if lab.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": lab.region}}
            s3.create_bucket(Bucket=bucket, **where)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": lab.tags(f"{lab.name}-alb-logs", "loadbalancing")})
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(delivery_policy(lab, bucket, account)))
        lab.client("elbv2").modify_load_balancer_attributes(
            LoadBalancerArn=the_alb(lab)["LoadBalancerArn"],
            Attributes=[{"Key": "access_logs.s3.enabled", "Value": "true"},
                        {"Key": "access_logs.s3.bucket", "Value": bucket},
                        {"Key": "access_logs.s3.prefix", "Value": PREFIX}])
    return {"log_bucket": bucket, "log_prefix": PREFIX}


@step("11.2")
def _requests_logged(lab: Any, resources: dict) -> dict:
    """Ten requests marked ``?lab11=<n>``, then wait (bounded, in the cloud's time) for the file that holds them."""
    from ...checks.edge import the_alb
    from ...checks.observability import log_files, window_end
    from ..watch import cloud_now, pause
    from ..web import curl

    if not _passed(lab, "11.2"):
        dns = the_alb(lab)["DNSName"]
        for n in range(10):
            curl(f"http://{dns}/?lab11={n}", lab=lab)
        last = cloud_now(lab)
        for _ in range(60):  # 60 x 30 s of AWS time at most: a 5-minute window and its delivery fit many times
            if any(window_end(k) >= last for k in log_files(lab)):
                break
            pause(30, lab)
    return {"log_keys": log_files(lab)}


@step("11.3")
def _alarm(lab: Any, resources: dict) -> dict:
    from ...checks.observability import _dimensions, alarm_name

    if not _passed(lab, "11.3"):
        name = alarm_name(lab)
        lab.client("cloudwatch").put_metric_alarm(
            AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="UnHealthyHostCount",
            Dimensions=[{"Name": k, "Value": v} for k, v in _dimensions(lab).items()], Statistic="Minimum", Period=60,
            EvaluationPeriods=2, DatapointsToAlarm=2, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching", Tags=lab.tags(name, "scaling"))
    return {"alarm_name": alarm_name(lab)}
