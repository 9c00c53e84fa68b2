"""Benchmark: 24 simulated hours of a 10-instance Auto Scaling group behind a target group,
with a fault injected every 10 simulated minutes, in virtual mode. Target: < 10 s wall time.

Run: ``python bench/bench_sim.py [--hours 24] [--no-write]``. It prints the figure and appends a
section to docs/benchmarks.md (machine, date, result).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REGION = "ap-northeast-2"
KINDS = ("crash", "unhealthy", "hang", "stop", "terminate", "cpu_burn", "slow")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def build(clients) -> tuple[str, str]:
    ec2, elbv2, asg = clients
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ac")]
    tg = elbv2.create_target_group(Name="bench-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                   HealthCheckIntervalSeconds=30, HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2,
                                   UnhealthyThresholdCount=3)["TargetGroups"][0]["TargetGroupArn"]
    ec2.create_launch_template(LaunchTemplateName="bench-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(AutoScalingGroupName="bench", MinSize=10, MaxSize=10, DesiredCapacity=10,
                                  LaunchTemplate={"LaunchTemplateName": "bench-lt"}, VPCZoneIdentifier=",".join(subnets),
                                  TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=60)
    return tg, "bench"


def run(hours: float) -> dict:
    import boto3
    from moto import mock_aws

    from awslab.cloud import moto_ext
    from awslab.sim import Simulator

    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ[k] = v
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        sim = Simulator(mode="virtual", seed=42, start_epoch=1_796_000_000).install()
        clients = tuple(boto3.client(s, region_name=REGION) for s in ("ec2", "elbv2", "autoscaling"))
        tg, group = build(clients)
        rng = sim.rng("bench")
        faults: Counter = Counter()
        t0, c0 = time.perf_counter(), time.process_time()
        steps = int(hours * 6)
        for _ in range(steps):
            members = [i for i in sim.autoscaling.group(group).instances if i.lifecycle_state == "InService"]
            if members:
                victim, kind = rng.choice(members).instance_id, rng.choice(KINDS)
                faults[kind] += 1
                if kind == "stop":
                    clients[0].stop_instances(InstanceIds=[victim])
                elif kind == "terminate":
                    clients[0].terminate_instances(InstanceIds=[victim])
                elif kind == "slow":
                    sim.ec2.inject_fault(victim, "slow", delay_ms=8000)
                else:
                    sim.ec2.inject_fault(victim, kind, percent=100) if kind == "cpu_burn" else sim.ec2.inject_fault(victim, kind)
            sim.advance(600)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        view = sim.autoscaling.group(group)
        result = {
            "wall_s": wall, "cpu_s": cpu, "simulated_h": hours, "faults": dict(faults), "events": len(sim.timeline),
            "launches": len(sim.timeline.query(event="lifecycle_changed")) and sum(
                1 for e in sim.timeline.query(event="lifecycle_changed") if e.details["lifecycle_state"] == "Pending"),
            "in_service_at_end": sum(1 for i in view.instances if i.lifecycle_state == "InService"),
            "healthy_targets_at_end": sum(1 for th in sim.elb.targets_of(tg) if th.state == "healthy"),
        }
        moto_ext.uninstall()
    return result


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), 0)
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    load = os.getloadavg()[0]
    return f"load average {load:.1f} while measuring; nproc {nproc}, {cpu}, {mem_kb / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--no-write", action="store_true", help="don't append to docs/benchmarks.md")
    args = ap.parse_args()
    r = run(args.hours)
    verdict = "PASS" if r["wall_s"] < 10 * args.hours / 24 else "FAIL"
    line = (f"{args.hours:g} simulated h, 10-instance ASG, fault every 10 simulated min: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU "
            f"({verdict}: target < 10 s); {sum(r['faults'].values())} faults {r['faults']}, {r['launches']} launches, "
            f"{r['events']} timeline events; at the end {r['in_service_at_end']} InService, {r['healthy_targets_at_end']} healthy targets")
    print(line)
    if not args.no_write:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        section = (f"\n## Simulator core: virtual-time throughput ({stamp})\n\n"
                   f"`python bench/bench_sim.py` (bench/bench_sim.py). Machine: {machine()}.\n\n- {line}\n")
        DOCS.parent.mkdir(exist_ok=True)
        with DOCS.open("a") as f:
            f.write(section)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
