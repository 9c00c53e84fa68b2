"""Benchmark: the AZ outage drill on the seed's stack, in virtual time, simulated and wall seconds.

The builder's stack up to Auto Scaling (ALB over two AZs, a target group checked every 30 s with
UnhealthyThresholdCount 3, an ASG of 2 with ELB health checks and a 300 s grace period) on a fresh
embedded cloud in virtual time. ``az_outage(lab, remove_subnets=True)`` cuts AZ a off; the drill's
``wait_until`` moves the clock 15 s at a time. Measured:

- outage -> the AZ's target ``unhealthy`` (Target.Timeout), and -> a replacement InService in the other AZ;
- restore (``reset()``) -> rebalanced (one instance per AZ, every target healthy);

each in simulated seconds (the cloud's timeline, what AWS's timestamps show) and in wall seconds.

Run: ``python bench/bench_az_outage.py [--runs 2] [--no-write]``. It replaces its section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from _report import machine, write_section
from bench_topology import start_cloud


def one_outage(url: str, n: int) -> dict:
    """Build, wait healthy, cut AZ a off, wait for the replacement, restore, wait for the rebalance."""
    from awslab import Lab
    from awslab.drills import az_outage
    from awslab.drills.simulator import Simulator

    sim = Simulator(url)
    sim._call("POST", "clock", {"mode": "realtime"})  # the builder's waiters need the clock to move
    lab = Lab(name=f"bench{n}", endpoint_url=url)
    lab.build(until="autoscaling")
    sim._call("POST", "clock", {"mode": "virtual"})
    elb = lab.client("elbv2")
    tg = lab.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[lab.resource_name("asg")])["AutoScalingGroups"][0]["TargetGroupARNs"][0]
    for _ in range(40):
        states = [d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
        if states.count("healthy") >= 2:
            break
        sim.advance(30)
    w0 = time.monotonic()
    drill = az_outage(lab, remove_subnets=True)
    t0 = sim.now()
    drill.wait_until("unhealthy", fast_forward=True, step_s=15, timeout_s=120)
    unhealthy = drill.story().first("-> unhealthy")
    status = drill.wait_until("replaced", fast_forward=True, step_s=15, timeout_s=300)
    elsewhere = next(i for i, az in status.replacements.items() if az != drill.availability_zone)
    in_service = drill.story().first("lifecycle -> InService", resource=f"{elsewhere} ({status.replacements[elsewhere]})")
    w1 = time.monotonic()
    drill.reset()
    r0 = sim.now()
    drill.wait_until("rebalanced", fast_forward=True, step_s=15, timeout_s=300)
    acts = lab.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=drill.auto_scaling_group)["Activities"]
    last = max(a.get("EndTime") or a["StartTime"] for a in acts if a["StartTime"].timestamp() >= r0).timestamp()
    w2 = time.monotonic()
    lab.teardown()
    return {"unhealthy_s": unhealthy.offset_s, "replaced_s": in_service.offset_s, "replaced_wall_s": w1 - w0,
            "rebalanced_s": last - r0, "rebalanced_wall_s": w2 - w1, "start_offset": t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/benchmarks.md")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="awslab-bench-az-")
    proc, url = start_cloud(home)
    try:
        rows = [one_outage(url, n) for n in range(args.runs)]
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except Exception:  # a busy machine: don't let a slow stop hide the run's own error
            proc.kill()
    lines = ["| run | cut → unhealthy (sim s) | cut → replacement InService in the other AZ (sim s / wall s) | "
             "restore → rebalanced (sim s / wall s) |", "|---|---|---|---|"]
    lines += [f"| {k + 1} | {r['unhealthy_s']:.0f} | {r['replaced_s']:.0f} / {r['replaced_wall_s']:.1f} | "
              f"{r['rebalanced_s']:.0f} / {r['rebalanced_wall_s']:.1f} |" for k, r in enumerate(rows)]
    body = ("`az_outage(lab, remove_subnets=True)` on the builder's stack (target group: interval 30 s, "
            "UnhealthyThresholdCount 3, timeout 5 s; group: 2 instances, ELB health checks, grace 300 s), in virtual "
            "time, `wait_until(..., fast_forward=True, step_s=15)`. Windows from the settings: unhealthy in 60-95 s; the "
            "replacement after the grace period (counted from the victim's InService) and the next health sweep; the "
            "rebalance after the terminated instance's deregistration delay (300 s) and the next sweep.\n\n"
            + "\n".join(lines) + f"\n\nMachine: {machine()}.")
    print(body)
    if not args.no_write:
        write_section("az-outage", "AZ outage drill: outage → replacement in the other AZ, restore → rebalanced", body)


if __name__ == "__main__":
    main()
