"""Benchmark the instance refresh: simulated and wall seconds of a refresh of 4 instances, in virtual time.

Run: ``python bench/bench_instance_refresh.py [--desired 4] [--no-write]``.

In one process (moto's in-memory backends and a virtual-clock simulator, as the simulator's tests use them): a group
of ``desired`` healthy instances behind an ALB (target group interval 10 s, thresholds 2/2, grace period 60 s,
DefaultInstanceWarmup 30 s), then an instance refresh to a new launch template version

1. with a good release, MinHealthyPercentage 90 (one at a time) and 50 (half at a time);
2. with a bad release (settings the app cannot read), MinHealthyPercentage 50 and AutoRollback.

The clock moves 5 s at a time until the refresh ends. The figures: simulated seconds from StartTime to EndTime (from
DescribeInstanceRefreshes), wall seconds of that run, the fewest healthy targets seen. Results replace this
benchmark's section of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, write_section  # noqa: E402

REGION = "ap-northeast-2"
DONE = ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed")
GOOD, BAD = '{"release": "2.0.0"}', '{"release": "2.0.1",}'


def _world():
    import boto3

    from awslab.sim import Simulator

    sim = Simulator(mode="virtual", seed=7, start_epoch=1_796_000_000.0).install()
    c = {n: boto3.client(n, region_name=REGION) for n in ("ec2", "elbv2", "autoscaling")}
    return sim, c


def _stack(c, desired: int) -> str:
    from awslab.webapp import user_data

    ec2, elb, asg = c["ec2"], c["elbv2"], c["autoscaling"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{10 + i}.0/24", AvailabilityZone=REGION + az)[
        "Subnet"]["SubnetId"] for i, az in enumerate("ac")]
    script = base64.b64encode(user_data(80).encode()).decode()
    ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "UserData": script})
    tg = elb.create_target_group(Name="web-tg", Protocol="HTTP", Port=80, VpcId=vpc, HealthCheckPath="/health",
                                 HealthCheckIntervalSeconds=10, HealthyThresholdCount=2,
                                 UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    lb = elb.create_load_balancer(Name="web-alb", Subnets=subnets, Type="application")["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    asg.create_auto_scaling_group(AutoScalingGroupName="web-asg", MinSize=1, MaxSize=10, DesiredCapacity=desired,
                                  LaunchTemplate={"LaunchTemplateName": "web-lt", "Version": "1"},
                                  VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg], HealthCheckType="ELB",
                                  HealthCheckGracePeriod=60, DefaultInstanceWarmup=30)
    return tg


def _healthy(c, tg: str) -> int:
    found = c["elbv2"].describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return sum(d["TargetHealth"]["State"] == "healthy" for d in found)


def run(desired: int, settings: str, **prefs) -> dict:
    """One refresh on a fresh world; its figures."""
    from moto import mock_aws

    from awslab.cloud import moto_ext
    from awslab.webapp import user_data, with_app_config

    with mock_aws():
        sim, c = _world()
        try:
            tg = _stack(c, desired)
            while _healthy(c, tg) < desired:
                sim.advance(5)
            script = base64.b64encode(with_app_config(user_data(80), settings).encode()).decode()
            v = c["ec2"].create_launch_template_version(LaunchTemplateName="web-lt", SourceVersion="1",
                                                        LaunchTemplateData={"UserData": script})
            version = str(v["LaunchTemplateVersion"]["VersionNumber"])
            t0 = time.perf_counter()
            c["autoscaling"].start_instance_refresh(AutoScalingGroupName="web-asg", Preferences=prefs,
                                                    DesiredConfiguration={"LaunchTemplate": {
                                                        "LaunchTemplateName": "web-lt", "Version": version}})
            fewest = desired
            while (r := c["autoscaling"].describe_instance_refreshes(
                    AutoScalingGroupName="web-asg")["InstanceRefreshes"][0])["Status"] not in DONE:
                sim.advance(5)
                fewest = min(fewest, _healthy(c, tg))
            wall = time.perf_counter() - t0
            return {"status": r["Status"], "sim_s": (r["EndTime"] - r["StartTime"]).total_seconds(), "wall_s": wall,
                    "fewest_healthy": fewest}
        finally:
            moto_ext.uninstall()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python bench/bench_instance_refresh.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--desired", type=int, default=4)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    for k, v in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ[k] = v
    os.environ.pop("AWS_ENDPOINT_URL", None)
    cases = [("good release, MinHealthyPercentage 90", GOOD, {"MinHealthyPercentage": 90}),
             ("good release, MinHealthyPercentage 50", GOOD, {"MinHealthyPercentage": 50}),
             ("bad release, MinHealthyPercentage 50, AutoRollback", BAD,
              {"MinHealthyPercentage": 50, "AutoRollback": True})]
    rows = ["| refresh of {} instances | ends | simulated s | wall s | fewest healthy targets |".format(args.desired),
            "|---|---|---|---|---|"]
    for label, settings, prefs in cases:
        got = run(args.desired, settings, **prefs)
        rows.append(f"| {label} | {got['status']} | {got['sim_s']:.0f} | {got['wall_s']:.2f} | "
                    f"{got['fewest_healthy']} of {args.desired} |")
        print(rows[-1], flush=True)
    body = "\n".join([f"`python bench/bench_instance_refresh.py --desired {args.desired}`; {machine()}.", "",
                      "Virtual time, one process, the clock moved 5 s at a time; target group interval 10 s, "
                      "thresholds 2/2, grace period 60 s, DefaultInstanceWarmup 30 s.", ""] + rows)
    if not args.no_write:
        write_section("instance-refresh", "Instance refresh (issue 13 §2)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
