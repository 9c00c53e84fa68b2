"""Lab 11, observability: the seed's four data flows (requests, health checks, metrics, logs).

- a bucket for the ALB's access logs, with the policy Elastic Load Balancing requires in the lab's Region;
- access logs turned on (the load balancer's ``access_logs.s3.*`` attributes);
- the alarm AWS's metric statistics suggest for a target group: ``UnHealthyHostCount``, statistic Minimum (the
  smallest count any load balancer node reported), at least 1.

AWS: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html and
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
"""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from typing import Any

from ..dataplane.logdelivery import ELB_ACCOUNTS, LOG_DELIVERY_SERVICE, log_delivery_allowed, log_prefix
from ..i18n import N_, _
from .edge import check_lab_bucket, the_alb
from .probes import tags_of
from .registry import not_yet, ok, question, task

#: The key prefix the lab gives its load balancer's log files.
PREFIX = "alb"


def log_bucket(lab: Any) -> tuple[str, str]:
    """``(bucket, account)``: the lab's log bucket, ``<lab>-alb-logs-<account id>-<region>``."""
    account = lab.client("sts").get_caller_identity()["Account"]
    return f"{lab.name}-alb-logs-{account}-{lab.region}".lower(), account


def delivery_policy(lab: Any, bucket: str, account: str) -> dict:
    """The bucket policy AWS documents for the lab's Region (the builder of this lab's catch-up uses it too)."""
    elb = ELB_ACCOUNTS.get(lab.region)
    principal = {"AWS": f"arn:aws:iam::{elb}:root"} if elb else {"Service": LOG_DELIVERY_SERVICE}
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{log_prefix(PREFIX, account)}*"}]}


def _check_log_bucket(lab: Any) -> None:
    """The log bucket: the lab's, in the load balancer's Region, with the delivery policy AWS documents."""
    s3 = lab.client("s3")
    bucket, account = log_bucket(lab)
    check_lab_bucket(lab, s3, bucket)
    where = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if where != lab.region:
        raise not_yet(_("{bucket} is in {got}: the bucket must be in the load balancer's Region, {want}.").format(
            bucket=bucket, got=where, want=lab.region), f"aws s3 rb s3://{bucket} --force")
    want = json.dumps(delivery_policy(lab, bucket, account))
    fix = f"aws s3api put-bucket-policy --bucket {bucket} --policy '{want}'"
    try:
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError:
        raise not_yet(_("{bucket} has no bucket policy: Elastic Load Balancing could not write to it.").format(
            bucket=bucket), fix) from None
    arn = the_alb(lab)["LoadBalancerArn"]
    if not log_delivery_allowed(policy, bucket, PREFIX, account, lab.region, arn):
        who = (_("the Elastic Load Balancing account of {region}, {elb}").format(region=lab.region, elb=ELB_ACCOUNTS[lab.region])
               if lab.region in ELB_ACCOUNTS else LOG_DELIVERY_SERVICE)
        raise not_yet(_("{bucket}'s policy does not let {who} call s3:PutObject on arn:aws:s3:::{bucket}/{path}*. "
                        "(It is not your account that writes the logs.)").format(
            bucket=bucket, who=who, path=log_prefix(PREFIX, account)), fix)


def lb_attributes(lab: Any) -> dict[str, str]:
    """The load balancer's attributes as a dict (``access_logs.s3.enabled`` → ``"true"``)."""
    elb = lab.client("elbv2")
    attrs = elb.describe_load_balancer_attributes(LoadBalancerArn=the_alb(lab)["LoadBalancerArn"])["Attributes"]
    return {a["Key"]: a["Value"] for a in attrs}


@task("11.1", N_("Access logs on, to a bucket with the policy Elastic Load Balancing needs"))
def access_logs(lab: Any) -> Any:
    _check_log_bucket(lab)
    alb = the_alb(lab)
    bucket, account = log_bucket(lab)
    attrs = lb_attributes(lab)
    fix = (f"aws elbv2 modify-load-balancer-attributes --load-balancer-arn {alb['LoadBalancerArn']} --attributes "
           f"Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value={bucket} "
           f"Key=access_logs.s3.prefix,Value={PREFIX}")
    if attrs.get("access_logs.s3.enabled") != "true":
        raise not_yet(_("{alb} does not write access logs yet (access_logs.s3.enabled is {got}).").format(
            alb=alb["LoadBalancerName"], got=attrs.get("access_logs.s3.enabled", "false")), fix)
    got = (attrs.get("access_logs.s3.bucket"), attrs.get("access_logs.s3.prefix", ""))
    if got != (bucket, PREFIX):
        raise not_yet(_("{alb} writes its logs to s3://{got}/; the lab's are in s3://{want}/.").format(
            alb=alb["LoadBalancerName"], got="/".join(x for x in got if x), want=f"{bucket}/{PREFIX}"), fix)
    return ok(_("{alb} delivers its access logs to s3://{bucket}/{path} every 5 minutes, one file per node.").format(
        alb=alb["LoadBalancerName"], bucket=bucket, path=log_prefix(PREFIX, account)), [alb["LoadBalancerName"], bucket])


def log_files(lab: Any) -> list[str]:
    """The keys of the load balancer's access log files (``….log.gz``) under the lab's prefix, oldest first."""
    s3, (bucket, account) = lab.client("s3"), log_bucket(lab)
    found, token = [], None
    for _page in range(100):  # bounded: 100 pages of 1,000 keys
        page = s3.list_objects_v2(Bucket=bucket, Prefix=f"{log_prefix(PREFIX, account)}elasticloadbalancing/",
                                  **({"ContinuationToken": token} if token else {}))
        found += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".log.gz")]
        token = page.get("NextContinuationToken")
        if not token:
            break
    return sorted(found)


def window_end(key: str) -> float:
    """When the 5-minute window a log file holds ended (epoch seconds), from its name: ``…_20140215T2340Z_…``."""
    stamp = key.rsplit("/", 1)[-1].split("_")[4]
    return datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc).timestamp()


def log_lines(lab: Any, keys: list[str]) -> list[str]:
    """Every line of the given gzip log files (one request per line)."""
    s3, bucket = lab.client("s3"), log_bucket(lab)[0]
    lines: list[str] = []
    for key in keys:
        lines += gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode().splitlines()
    return lines


@task("11.2", N_("Requests in the access log: the load balancer's log files in your bucket"))
def requests_logged(lab: Any) -> Any:
    alb, (bucket, account) = the_alb(lab), log_bucket(lab)
    where = f"s3://{bucket}/{log_prefix(PREFIX, account)}elasticloadbalancing/{lab.region}/"
    keys = log_files(lab)
    lines = [line for line in log_lines(lab, keys) if line.strip()]
    if not lines:
        raise not_yet(_("There is no access log file with a request in {where} yet. Each load balancer node delivers "
                        "one when the 5-minute window that holds your requests has ended.").format(where=where),
                      _("Send requests to http://{dns}/ and list the prefix again, every 30 s, until a file whose "
                        "window ends after your last request is there.").format(dns=alb["DNSName"]))
    return ok(_("{n} access log file(s) in {where}, with {lines} request line(s).").format(
        n=len(keys), where=where, lines=len(lines)), keys[-2:])


def alarm_name(lab: Any) -> str:
    return f"{lab.name}-unhealthy-hosts"


def _dimensions(lab: Any) -> dict[str, str]:
    """The metric's dimensions for the lab's target group behind its load balancer (ARN suffixes)."""
    elb = lab.client("elbv2")
    tg = elb.describe_target_groups(Names=[f"{lab.name}-tg"])["TargetGroups"][0]["TargetGroupArn"]
    return {"TargetGroup": tg.split(":")[-1], "LoadBalancer": the_alb(lab)["LoadBalancerArn"].split(":loadbalancer/")[-1]}


def the_alarm(lab: Any) -> dict:
    found = lab.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name(lab)])["MetricAlarms"]
    if not found:
        raise not_yet(_("There is no alarm named {name} yet.").format(name=alarm_name(lab)),
                      _("Do task 11.3: cloudwatch.put_metric_alarm(AlarmName=..., ...)."))
    return found[0]


def _breaches_at_one(alarm: dict) -> bool:
    """True for 'Minimum >= 1' (or its equivalent '> 0'): one unhealthy host seen by every node."""
    op, threshold = alarm.get("ComparisonOperator"), float(alarm.get("Threshold", -1))
    return (op == "GreaterThanOrEqualToThreshold" and threshold == 1) or (op == "GreaterThanThreshold" and threshold == 0)


@task("11.3", N_("An alarm on UnHealthyHostCount, statistic Minimum, at least 1"))
def unhealthy_alarm(lab: Any) -> Any:
    alarm = the_alarm(lab)
    name, want = alarm["AlarmName"], _dimensions(lab)
    if (alarm.get("Namespace"), alarm.get("MetricName")) != ("AWS/ApplicationELB", "UnHealthyHostCount"):
        raise not_yet(_("{name} watches {ns} {metric}; it should watch AWS/ApplicationELB UnHealthyHostCount.").format(
            name=name, ns=alarm.get("Namespace"), metric=alarm.get("MetricName")),
            _("Put the alarm again with Namespace='AWS/ApplicationELB', MetricName='UnHealthyHostCount'."))
    got = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    if got != want:
        raise not_yet(_("{name} has the dimensions {got}; the lab's target group behind its load balancer is {want}. "
                        "A metric is one exact combination of dimensions.").format(name=name, got=got, want=want),
                      _("Put the alarm again with Dimensions TargetGroup={tg} and LoadBalancer={lb}.").format(
                          tg=want["TargetGroup"], lb=want["LoadBalancer"]))
    if alarm.get("Statistic") != "Minimum":
        raise not_yet(_("{name} uses the statistic {got}. Minimum is the smallest count any load balancer node reported: "
                        "at least 1 means every node sees an unhealthy target, not one node's passing view.").format(
            name=name, got=alarm.get("Statistic") or alarm.get("ExtendedStatistic")),
            _("Put the alarm again with Statistic='Minimum'."))
    if not _breaches_at_one(alarm):
        raise not_yet(_("{name} fires when the value is {op} {threshold}; the lab wants 'at least 1' "
                        "(GreaterThanOrEqualToThreshold 1).").format(name=name, op=alarm.get("ComparisonOperator"),
                                                                      threshold=alarm.get("Threshold")),
                      _("Put the alarm again with ComparisonOperator='GreaterThanOrEqualToThreshold', Threshold=1."))
    if int(alarm.get("Period", 0)) != 60:
        raise not_yet(_("{name} has a period of {got} s; the load balancer publishes this metric every 60 s.").format(
            name=name, got=alarm.get("Period")), _("Put the alarm again with Period=60."))
    tags = lab.client("cloudwatch").list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags", [])
    if tags_of({"Tags": tags}).get("awslab:lab") != lab.name:
        raise not_yet(_("{name} has no tag awslab:lab={lab}, so the lab's teardown would not find it.").format(
            name=name, lab=lab.name),
            f"aws cloudwatch tag-resource --resource-arn {alarm['AlarmArn']} --tags Key=awslab:lab,Value={lab.name}")
    m, n = int(alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]), int(alarm["EvaluationPeriods"])
    return ok(_("{name}: Minimum of UnHealthyHostCount ≥ 1 for {m} of {n} one-minute periods; now {state}.").format(
        name=name, m=m, n=n, state=alarm.get("StateValue")), [alarm["AlarmArn"]])


question("11.q1", N_("In an access log line, which field tells you which server answered the request?"),
         [N_("client:port"), N_("target:port"), N_("elb"), N_("trace_id")],
         answer=1,
         why=N_("target:port is the target the load balancer chose (its private IP and port; '-' when none was chosen). "
                "describe-instances with that private IP names the instance. client:port is who sent the request, elb the "
                "load balancer, trace_id the X-Amzn-Trace-Id it added."),
         hints={0: N_("That is the sender, the user's address as the load balancer saw it."),
                3: N_("The trace id follows the request through your servers' logs, but does not say which one answered.")})

question("11.q2", N_("The targets were checked dozens of times while the log file was written. Why are there no health "
                     "checks in it?"),
         [N_("The log file was too small to hold them."),
          N_("Access logs record the requests clients send; the load balancer's own health checks are not logged."),
          N_("Health checks only run when nobody sends requests."),
          N_("They are logged in a separate file in the same bucket.")],
         answer=1,
         why=N_("AWS: 'Elastic Load Balancing does not log health check requests.' The health-check flow shows in "
                "describe-target-health and in the HealthyHostCount and UnHealthyHostCount metrics, not in the access log."),
         hints={3: N_("Health check logs are a separate feature with a bucket of their own; access logs never include them.")})

question("11.q3", N_("Your alarm uses the Minimum of UnHealthyHostCount. What does 'Minimum ≥ 1' say?"),
         [N_("At least one target was unhealthy at some moment in the minute, as seen by at least one node."),
          N_("Every load balancer node saw at least one unhealthy target during the minute."),
          N_("The target group had at least one healthy target."),
          N_("One of the alarms of the group is in ALARM.")],
         answer=1,
         why=N_("AWS: 'The Minimum and Maximum statistics reflect the minimum and maximum reported by the individual load "
                "balancer nodes.' Maximum ≥ 1 fires when any one node's view is unhealthy; Minimum ≥ 1 only when all of "
                "them agree, so one node's momentary view does not wake anyone up."),
         hints={0: N_("That is Maximum: one node is enough for it.")})
