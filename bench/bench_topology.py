"""Benchmark: live topology discovery and rendering on the embedded cloud. Target: each < 1 s.

Two accounts:

1. the full lab stack (``awslab.build.stack.build_stack``: network, security, bastion, database,
   compute, load balancing, Auto Scaling, scaling, edge), discovered with ``scope="lab"``;
2. a synthetic account of 200+ resources (2 VPCs, 8 subnets, 2 ALBs, 4 target groups,
   2 ASGs, 100+ instances, alarms, policies, buckets), discovered with ``scope="account"``.

Discovery is timed warm (the widget's case: clients exist, it refreshes every second) and
cold (a fresh process, as ``awslab topology -o`` runs). Rendering is timed for SVG (what the
notebook and the widget show) and PNG.

Run: ``python bench/bench_topology.py [--no-write]``. It prints the figures and appends a
section to docs/benchmarks.md (machine, date, results).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
REGION = "ap-northeast-2"


def start_cloud(home: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_HOME=home)
    proc = subprocess.Popen([sys.executable, "-m", "awslab", "cloud", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_awslab/health", timeout=0.5)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the embedded cloud did not start")


def build_lab_stack(lab) -> str:
    """The colleagues' full stack builder; the boto3 stand-in from the tests if it fails."""
    try:
        from awslab.build.stack import build_stack

        build_stack(lab)
        return "awslab.build.stack.build_stack (all layers)"
    except Exception as e:  # noqa: BLE001 - the benchmark still measures a full stack
        sys.path.insert(0, str(ROOT))
        from tests.topology.stack import build_stack as boto3_stack

        boto3_stack(lab, desired=4)
        return f"tests/topology/stack.py (awslab.build.stack failed: {type(e).__name__}: {str(e)[:80]})"


def build_synthetic(lab) -> None:
    """200+ resources across two VPCs, made straight through boto3."""
    ec2, elb, asg, cw, s3 = (lab.client(s) for s in ("ec2", "elbv2", "autoscaling", "cloudwatch", "s3"))
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for v in range(2):
        vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16")["Vpc"]["VpcId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.{i}.0/24", AvailabilityZone=f"{REGION}{'abcd'[i % 4]}")["Subnet"]["SubnetId"]
                   for i in range(4)]
        for s in subnets[:2]:
            ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
        sgs = [ec2.create_security_group(GroupName=f"sg{v}-{i}", Description="bench", VpcId=vpc)["GroupId"] for i in range(5)]
        lb = elb.create_load_balancer(Name=f"bench-alb-{v}", Subnets=subnets[:2], SecurityGroups=sgs[:1])["LoadBalancers"][0]["LoadBalancerArn"]
        tgs = [elb.create_target_group(Name=f"bench-tg-{v}-{i}", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
               for i in range(2)]
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs[0]}])
        ec2.create_launch_template(LaunchTemplateName=f"bench-lt-{v}", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
        asg.create_auto_scaling_group(AutoScalingGroupName=f"bench-asg-{v}", MinSize=1, MaxSize=20, DesiredCapacity=10,
                                      LaunchTemplate={"LaunchTemplateName": f"bench-lt-{v}"}, VPCZoneIdentifier=",".join(subnets[2:]),
                                      TargetGroupARNs=[tgs[0]])
        asg.put_scaling_policy(AutoScalingGroupName=f"bench-asg-{v}", PolicyName="out", PolicyType="SimpleScaling",
                               AdjustmentType="ChangeInCapacity", ScalingAdjustment=2)
        for i in range(5):
            cw.put_metric_alarm(AlarmName=f"bench-{v}-{i}", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average",
                                Period=60, EvaluationPeriods=3, Threshold=70, ComparisonOperator="GreaterThanThreshold")
        ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=60, MaxCount=60, SubnetId=subnets[2], SecurityGroupIds=sgs[1:2])
    for i in range(6):
        s3.create_bucket(Bucket=f"bench-{i}-{uuid.uuid4().hex[:6]}", CreateBucketConfiguration={"LocationConstraint": REGION})


def timed(fn, n: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t)
    return out, result


def measure(lab, scope: str) -> dict:
    from awslab.topology import build_model, discover, render

    t = time.perf_counter()
    snap = discover(lab, scope)  # the first call in this process: clients are created here
    first = time.perf_counter() - t
    warm, snap = timed(lambda: discover(lab, scope), 5)
    model, graph = timed(lambda: build_model(snap, ("traffic", "control", "security_groups", "routes")), 5)
    svg, _ = timed(lambda: render(graph, "svg"), 5)
    png, _ = timed(lambda: render(graph, "png"), 3)
    return {"resources": snap.count(), "instances": len(snap.instances), "nodes": len(graph.nodes), "edges": len(graph.edges),
            "errors": sorted(snap.errors), "discover_first_s": first, "discover_warm_median_s": statistics.median(warm),
            "discover_warm_max_s": max(warm), "model_median_s": statistics.median(model), "svg_median_s": statistics.median(svg),
            "svg_max_s": max(svg), "png_median_s": statistics.median(png)}


def cold_cli(url: str, home: str, lab: str, out: Path) -> float:
    """``awslab topology -o`` in a fresh process: imports, clients, discovery and render together."""
    env = dict(os.environ, AWSLAB_HOME=home)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "awslab", "topology", "--lab", lab, "--endpoint-url", url, "-o", str(out)],
                   env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - t


def run() -> dict:
    home = tempfile.mkdtemp(prefix="awslab-bench-topology-")
    os.environ["AWSLAB_HOME"] = home
    proc, url = start_cloud(home)
    try:
        from awslab import Lab
        from awslab.topology.engine import engine_name, render_dot

        t = time.perf_counter()
        render_dot("digraph { a -> b }")
        engine_first = time.perf_counter() - t  # compiles (or loads the cached) WebAssembly Graphviz
        lab = Lab(name="bench", endpoint_url=url)
        builder = build_lab_stack(lab)
        stack = measure(lab, "lab")
        cli = cold_cli(url, home, "bench", Path(home) / "cli.svg")
        urllib.request.urlopen(urllib.request.Request(f"{url}/_awslab/reset", data=b"{}", method="POST"), timeout=60)
        lab2 = Lab(name="synthetic", endpoint_url=url)
        build_synthetic(lab2)
        synthetic = measure(lab2, "account")
        return {"engine": engine_name(), "engine_first_s": engine_first, "builder": builder, "stack": stack,
                "cli_cold_s": cli, "synthetic": synthetic}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average {load:.1f} when it ran (the machine is shared)")


def section(r: dict) -> str:
    s, y = r["stack"], r["synthetic"]
    row = lambda name, m: (f"| {name} | {m['resources']} ({m['instances']} instances) | {m['discover_warm_median_s']:.3f} "
                           f"(max {m['discover_warm_max_s']:.3f}) | {m['discover_first_s']:.2f} | {m['model_median_s'] * 1000:.1f} ms "
                           f"| {m['svg_median_s']:.3f} (max {m['svg_max_s']:.3f}) | {m['png_median_s']:.2f} |")
    ok = lambda m: m["discover_warm_median_s"] < 1 and m["svg_median_s"] < 1
    return "\n".join([
        f"\n## Live topology: discovery + rendering ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)\n",
        f"Machine: {machine()}. Renderer: {r['engine']}. `python bench/bench_topology.py`. Target: discovery < 1 s and rendering < 1 s.\n",
        "| account | resources found | discovery warm, s (median of 5) | discovery, first call in a process, s | model | SVG render, s (median of 5) | PNG render, s (median of 3) |",
        "|---|---|---|---|---|---|---|",
        row("full lab stack (scope=lab)", s),
        row("synthetic account (scope=account)", y),
        "",
        f"- Full stack built with {r['builder']}; graphs drawn with every layer (traffic, control, security groups, routes): "
        f"{s['nodes']} nodes / {s['edges']} edges and {y['nodes']} nodes / {y['edges']} edges.",
        f"- Target met (warm discovery and SVG each < 1 s): full stack **{'yes' if ok(s) else 'no'}**, synthetic **{'yes' if ok(y) else 'no'}**.",
        "- *Warm* is a repeated discovery on the same Lab, as the live widget refreshes: instances are listed with the light "
        "DescribeInstanceStatus and re-described only when new or changed (DescribeInstances costs kilobytes per instance). "
        "*First call* reads everything in full.",
        f"- The first call in a fresh process also creates the boto3 clients (nine services' models); the WebAssembly Graphviz "
        f"loads in {r['engine_first_s']:.2f} s (compiled once, then cached in $AWSLAB_HOME/cache). "
        f"`awslab topology -o FILE.svg` end to end in a fresh process: {r['cli_cold_s']:.1f} s.",
        f"- Services that could not be read: {', '.join(s['errors'] + y['errors']) or 'none'}.",
        "",
    ])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--no-write", action="store_true", help="print only; don't append to docs/benchmarks.md")
    args = p.parse_args()
    result = run()
    print(json.dumps(result, indent=1, default=str))
    text = section(result)
    print(text)
    if not args.no_write:
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        with DOCS.open("a", encoding="utf-8") as f:
            if DOCS.stat().st_size == 0:
                f.write("# Benchmarks\n")
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
