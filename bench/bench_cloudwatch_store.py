"""Benchmark: what CloudWatch's stores hold over a long simulation, in virtual time.

A 2-instance group behind an ALB with a steady load and a target-tracking policy (two alarms, so the
group's CPU is indexed for them), with group metrics enabled, run for ``--days`` simulated days. At each
checkpoint it counts the datapoints in moto's CloudWatch store, the datapoints the alarm evaluator keeps
indexed and the alarm-history items, and the Python heap the CloudWatch store holds (tracemalloc).
CloudWatch keeps 1-minute data 15 days, then 5-minute sets (63 days) and hourly sets (455 days), and alarm
history 30 days, so after day 15 the store should stop growing at the 1-minute rate.

Run: ``python bench/bench_cloudwatch_store.py [--days 20] [--no-write]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from _report import machine, write_section

REGION = "ap-northeast-2"


def _stack(clients) -> None:
    ec2, elbv2, asg = clients
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ac")]
    ec2.create_launch_template(LaunchTemplateName="store-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "Monitoring": {"Enabled": True}})
    tg = elbv2.create_target_group(Name="store-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=30)["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="store-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    asg.create_auto_scaling_group(AutoScalingGroupName="store-asg", MinSize=2, MaxSize=4, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "store-lt"},
                                  VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg], HealthCheckType="ELB",
                                  HealthCheckGracePeriod=300, DefaultInstanceWarmup=120)
    asg.enable_metrics_collection(AutoScalingGroupName="store-asg", Granularity="1Minute")
    asg.put_scaling_policy(AutoScalingGroupName="store-asg", PolicyName="cpu70", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"TargetValue": 70.0, "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}})


def _heap_of(store: list) -> int:
    """Bytes held by the datapoints (the objects, their dimensions and timestamps), by sys.getsizeof."""
    total = sys.getsizeof(store)
    for md in store:
        total += sys.getsizeof(md) + sys.getsizeof(md.__dict__) + sys.getsizeof(md.timestamp)
        total += sum(sys.getsizeof(d) + sys.getsizeof(d.__dict__) for d in md.dimensions)
    return total


def _indexed(sim) -> int:
    """Datapoints the alarm evaluator keeps indexed (before issue 11 the publisher indexed every datapoint)."""
    evaluator = getattr(sim.cloudwatch, "evaluator", None)
    if evaluator is not None:
        return sum(len(q) for ix in evaluator._indexes.values() for q in ix.series.values())
    return sum(len(v) for cached in getattr(sim.cloudwatch, "_indexes", {}).values() for v in cached[2].values())


def run(days: int, checkpoints: list[int]) -> list[dict]:
    import boto3
    from moto import mock_aws
    from moto.cloudwatch.models import cloudwatch_backends

    from awslab.cloud import moto_ext
    from awslab.sim import Simulator, load

    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ[k] = v
    os.environ.pop("AWS_ENDPOINT_URL", None)
    rows = []
    with mock_aws():
        sim = Simulator(mode="virtual", seed=3, start_epoch=1_796_000_000).install()
        _stack(tuple(boto3.client(s, region_name=REGION) for s in ("ec2", "elbv2", "autoscaling")))
        sim.cloudwatch.set_load(load.steady(40))
        backend = cloudwatch_backends["123456789012"][REGION]
        t0, c0 = time.perf_counter(), time.process_time()
        for day in range(1, days + 1):
            sim.advance(86400)
            if day in checkpoints:
                rows.append({"day": day, "store": len(backend.metric_data),
                             "store_mib": _heap_of(backend.metric_data) / 2**20, "indexed": _indexed(sim),
                             "history": sum(len(getattr(a, "awslab_history", [])) for a in backend.alarms.values()),
                             "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - t0})
                print(rows[-1], flush=True)
        moto_ext.uninstall()
    return rows


def report(rows: list[dict]) -> str:
    lines = ["| simulated day | datapoints in the store | their heap | indexed for alarms | alarm-history items "
             "| CPU so far |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['day']} | {r['store']:,} | {r['store_mib']:.1f} MiB | {r['indexed']:,} | {r['history']} | "
                     f"{r['cpu_s']:.0f} s |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/benchmarks.md")
    args = ap.parse_args()
    checkpoints = sorted({1, 5, 10, 14, 15, 16, 18, args.days} & set(range(1, args.days + 1)))
    text = report(run(args.days, checkpoints))
    print(text)
    if not args.no_write:
        write_section("bench_cloudwatch_store", "CloudWatch stores over a long simulation",
                      f"`python bench/bench_cloudwatch_store.py` (virtual time). Machine: {machine()}.\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
