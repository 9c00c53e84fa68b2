"""Benchmark: the seed's surge under target tracking, in virtual time: how long from the load step
until the new instances are InService and healthy, against aws-semantics.md §7 (4-7 min).

The stack is the seed's: t3.micro with detailed monitoring, an ASG of min 2 / desired 2 / max 6
(HealthCheckType ELB, grace 300 s, DefaultInstanceWarmup 120 s) behind a target group checked every
30 s (healthy threshold 2), a target-tracking policy at 70 % CPU, and the seed's 100 -> 1000 users
(5 s think time, over 60 s). The step starts at several seconds of a minute, since where it falls
in CloudWatch's one-minute periods moves every milestone.

Run: ``python bench/bench_surge.py [--delays 0,60,120] [--offsets 0,15,30,45] [--no-write]``.
It prints the table and replaces its section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import statistics

from _report import machine, write_section

REGION = "ap-northeast-2"
START_EPOCH = 1_796_000_000
#: aws-semantics.md §7: "Target-tracking scale-out after a load step (detailed monitoring): about 4-7 min".
AWS_RANGE_S = (240, 420)


def _stack(sim, clients) -> str:
    ec2, elbv2, asg = clients
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ac")]
    ec2.create_launch_template(LaunchTemplateName="seed-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "Monitoring": {"Enabled": True}})
    tg = elbv2.create_target_group(Name="seed-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=30, HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2,
                                   UnhealthyThresholdCount=3)["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="seed-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    asg.create_auto_scaling_group(AutoScalingGroupName="seed-asg", MinSize=2, MaxSize=6, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "seed-lt"}, VPCZoneIdentifier=",".join(subnets),
                                  TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=300,
                                  DefaultInstanceWarmup=120)
    asg.put_scaling_policy(AutoScalingGroupName="seed-asg", PolicyName="cpu70", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"TargetValue": 70.0, "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    return tg


def _first(sim, event: str, since: float, **match) -> float | None:
    for e in sim.timeline.query(event=event, since=since):
        if all(e.details.get(k) == v for k, v in match.items()):
            return e.time
    return None


def one_surge(delay_s: float, offset_s: float, seed: int = 7) -> dict:
    """Milestones (seconds after the load step) of one surge."""
    import boto3
    from moto import mock_aws

    from awslab.cloud import moto_ext
    from awslab.sim import Simulator, load

    with mock_aws():
        sim = Simulator(mode="virtual", seed=seed, start_epoch=START_EPOCH).install()
        sim.cloudwatch.delivery_delay_s = delay_s  # an attribute the code before issue 11 simply ignores
        clients = tuple(boto3.client(s, region_name=REGION) for s in ("ec2", "elbv2", "autoscaling"))
        tg = _stack(sim, clients)
        sim.advance(600)  # the first two instances healthy, the alarms settled
        sim.advance(60 - sim.now % 60 + offset_s)
        t0 = sim.now
        sim.cloudwatch.set_load(load.seed_surge(at_s=0.0))
        r = {"delay_s": delay_s, "offset_s": offset_s}
        while sim.now < t0 + 1800:
            sim.advance(5)
            view = sim.autoscaling.group("seed-asg")
            healthy = sum(th.state == "healthy" for th in sim.elb.targets_of(tg))
            if view.desired_capacity > 2 and healthy >= view.desired_capacity and "healthy" not in r:
                r["healthy"] = sim.now - t0
                r["desired"] = view.desired_capacity
                break
        for key, event, match in (("alarm", "alarm_state_changed", {"state": "ALARM"}),
                                  ("scaling", "policy_executed", {}),
                                  ("in_service", "lifecycle_changed", {"lifecycle_state": "InService"})):
            t = _first(sim, event, t0, **match)
            r[key] = None if t is None else t - t0
        moto_ext.uninstall()
    return r


def run(delays: list[float], offsets: list[float]) -> list[dict]:
    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ[k] = v
    os.environ.pop("AWS_ENDPOINT_URL", None)
    return [one_surge(d, o) for d in delays for o in offsets]


def _mmss(s: float | None) -> str:
    return "-" if s is None else f"{int(s // 60)}:{int(s % 60):02d}"


def report(rows: list[dict]) -> str:
    lines = ["| delivery delay | step at second | AlarmHigh ALARM | scale-out | first InService | all healthy "
             "| desired |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['delay_s']:g} s | {r['offset_s']:g} | {_mmss(r['alarm'])} | {_mmss(r['scaling'])} | "
                     f"{_mmss(r['in_service'])} | **{_mmss(r.get('healthy'))}** | {r.get('desired', '-')} |")
    summary = []
    for d in sorted({r["delay_s"] for r in rows}):
        times = [r["healthy"] for r in rows if r["delay_s"] == d and r.get("healthy") is not None]
        if times:
            inside = all(AWS_RANGE_S[0] <= t <= AWS_RANGE_S[1] for t in times)
            summary.append(f"- delivery delay {d:g} s: load step -> new capacity healthy in {_mmss(min(times))} to "
                           f"{_mmss(max(times))} (median {_mmss(statistics.median(times))}); "
                           f"{'inside' if inside else 'OUTSIDE'} AWS's 4:00-7:00 (aws-semantics.md §7).")
    return "\n".join(lines + [""] + summary)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delays", default="60", help="delivery delays to compare, seconds (default: 60, AWS's)")
    ap.add_argument("--offsets", default="0,15,30,45", help="seconds of the minute the step starts at")
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/benchmarks.md")
    args = ap.parse_args()
    rows = run([float(x) for x in args.delays.split(",")], [float(x) for x in args.offsets.split(",")])
    text = report(rows)
    print(text)
    if not args.no_write:
        write_section("bench_surge", "Surge under target tracking: load step to healthy capacity",
                      f"`python bench/bench_surge.py` (virtual time, so the figures do not depend on the machine's "
                      f"load). Machine: {machine()}.\n\n{text}")
    healthy = [r.get("healthy") for r in rows]
    return 0 if all(h is not None for h in healthy) else 1


if __name__ == "__main__":
    raise SystemExit(main())
