"""Benchmark: live topology discovery and rendering on the embedded cloud. Target: each < 1 s.

Two accounts:

1. the full lab stack (``awslab.layers.stack.build_stack``: network, security, bastion, database,
   compute, load balancing, Auto Scaling, scaling, edge), discovered with ``scope="lab"``;
2. a synthetic account of 200+ resources (2 VPCs, 8 subnets, 2 ALBs, 4 target groups,
   2 ASGs, 100+ instances, alarms, policies, buckets), discovered with ``scope="account"``.

Discovery is timed as the first call of a fresh process (clients created, everything read
in full, as ``awslab topology -o`` runs) and repeated (the widget's case: it refreshes every
second). Rendering is timed for SVG (what the notebook and the widget show) and PNG.

Run: ``python bench/bench_topology.py [--no-write]``. It prints the figures and replaces its
section of docs/benchmarks.md (between ``<!-- bench_topology:start/end -->``).
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
        from awslab.layers.stack import build_stack

        build_stack(lab)
        return "awslab.layers.stack.build_stack (all layers)"
    except Exception as e:  # noqa: BLE001 - the benchmark still measures a full stack
        sys.path.insert(0, str(ROOT))
        from tests.topology.stack import build_stack as boto3_stack

        boto3_stack(lab, desired=4)
        return f"tests/topology/stack.py (awslab.layers.stack failed: {type(e).__name__}: {str(e)[:80]})"


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


def settle(lab) -> None:
    """Let the account reach its steady state before timing: the simulator runs at 20x real time by
    default, so ten real seconds are over three simulated minutes (instances boot, health checks
    pass, the ASGs finish launching); then wait until nothing is pending (bounded)."""
    time.sleep(10)
    ec2 = lab.client("ec2")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [s["InstanceState"]["Name"] for s in ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]]
        if "pending" not in states:
            break
        time.sleep(1)
    time.sleep(3)  # the data plane starts the instances' web servers


def idle_cpu(pid: int, seconds: float = 10.0) -> float | None:
    """The cloud process's CPU use (% of one core) while nobody calls it, from /proc (Linux); None elsewhere."""
    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    try:
        before = ticks()
        time.sleep(seconds)
        return 100.0 * (ticks() - before) / os.sysconf("SC_CLK_TCK") / seconds
    except (OSError, ValueError):
        return None


def timed(fn, n: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t)
    return out, result


FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
from awslab import Lab
from awslab.topology import discover
lab = Lab(name=sys.argv[1], endpoint_url=sys.argv[2])
t1 = time.perf_counter()
snap = discover(lab, sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({"setup_s": t1 - t0, "discover_s": t2 - t1, "resources": snap.count()}))
"""


def first_call(lab, scope: str, runs: int = 5) -> dict:
    """``discover()`` as the first call of a fresh Python process (clients created, every instance read in full).

    Imports and ``Lab()`` are timed apart (``setup_s``); ``discover_s`` is the discovery alone.
    """
    def once(home: str) -> dict:
        proc = subprocess.run([sys.executable, "-c", FIRST_CALL, lab.name, lab.endpoint_url, scope], env=dict(os.environ, AWSLAB_HOME=home),
                              check=True, capture_output=True, timeout=300, text=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])

    never_run = once(tempfile.mkdtemp(prefix="awslab-bench-fresh-home-"))  # no model cache yet: a machine's very first run
    out = [once(os.environ["AWSLAB_HOME"]) for _ in range(runs)]
    return {"discover_first_s": statistics.median(r["discover_s"] for r in out),
            "discover_first_max_s": max(r["discover_s"] for r in out),
            "discover_first_empty_cache_s": never_run["discover_s"],
            "first_setup_s": statistics.median(r["setup_s"] for r in out)}


def measure(lab, scope: str) -> dict:
    from awslab.topology import build_model, discover, render

    first = first_call(lab, scope)
    warm, snap = timed(lambda: discover(lab, scope), 5)
    model, graph = timed(lambda: build_model(snap, ("traffic", "control", "security_groups", "routes")), 5)
    svg, _ = timed(lambda: render(graph, "svg"), 5)
    png, _ = timed(lambda: render(graph, "png"), 5)
    return {"resources": snap.count(), "instances": len(snap.instances), "nodes": len(graph.nodes), "edges": len(graph.edges),
            "errors": sorted(snap.errors), **first, "discover_warm_median_s": statistics.median(warm),
            "discover_warm_max_s": max(warm), "model_median_s": statistics.median(model), "svg_median_s": statistics.median(svg),
            "svg_max_s": max(svg), "png_median_s": statistics.median(png), "png_max_s": max(png)}


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
        from awslab.cloud.client import ControlClient
        from awslab.topology.engine import engine_name, render_dot

        t = time.perf_counter()
        render_dot("digraph { a -> b }")
        engine_first = time.perf_counter() - t  # compiles (or loads the cached) WebAssembly Graphviz
        lab = Lab(name="bench", endpoint_url=url)
        builder = build_lab_stack(lab)
        settle(lab)
        stack = measure(lab, "lab")
        cli = cold_cli(url, home, "bench", Path(home) / "cli.svg")
        ControlClient(url, home=Path(home)).call("POST", "reset", {})
        lab2 = Lab(name="synthetic", endpoint_url=url)
        build_synthetic(lab2)
        settle(lab2)
        idle = idle_cpu(proc.pid)
        synthetic = measure(lab2, "account")
        return {"engine": engine_name(), "engine_first_s": engine_first, "builder": builder, "stack": stack,
                "cli_cold_s": cli, "synthetic": synthetic, "idle_cpu_pct": idle}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) when it finished (the machine is shared)")


START, END = "<!-- bench_topology:start -->", "<!-- bench_topology:end -->"


def section(r: dict) -> str:
    s, y = r["stack"], r["synthetic"]
    row = lambda name, m: (f"| {name} | {m['resources']} ({m['instances']} instances) | {m['discover_first_s']:.2f} "
                           f"(max {m['discover_first_max_s']:.2f}) | {m['discover_warm_median_s']:.3f} (max {m['discover_warm_max_s']:.3f}) "
                           f"| {m['model_median_s'] * 1000:.1f} ms | {m['svg_median_s']:.3f} (max {m['svg_max_s']:.3f}) "
                           f"| {m['png_median_s']:.3f} (max {m['png_max_s']:.3f}) |")
    ok = lambda m: all(m[k] < 1 for k in ("discover_first_s", "discover_warm_median_s", "svg_median_s", "png_median_s"))
    return "\n".join([
        START,
        f"## Live topology: discovery + rendering ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)\n",
        f"Machine: {machine()}. Renderer: {r['engine']}. `python bench/bench_topology.py`. Target: discovery < 1 s and rendering < 1 s.\n",
        "| account | resources found | discovery, first call in a fresh process, s (median of 5) | discovery repeated, s (median of 5) "
        "| model | SVG render, s (median of 5) | PNG render, s (median of 5) |",
        "|---|---|---|---|---|---|---|",
        row("full lab stack (scope=lab)", s),
        row("synthetic account (scope=account)", y),
        "",
        f"- Full stack built with {r['builder']}; graphs drawn with every layer (traffic, control, security groups, routes): "
        f"{s['nodes']} nodes / {s['edges']} edges and {y['nodes']} nodes / {y['edges']} edges.",
        f"- Target met (every median above < 1 s): full stack **{'yes' if ok(s) else 'no'}**, synthetic **{'yes' if ok(y) else 'no'}**.",
        "- *First call*: `discover()` as the first call of a new Python process, median of 5: it creates the eight boto3 "
        "clients (their service models from awslab's model cache, `awslab.sdk`) and reads every instance in full, in one "
        "DescribeInstances call. Imports and `Lab()` before it take "
        f"{s['first_setup_s']:.2f} s / {y['first_setup_s']:.2f} s and are not counted. The very first run on a machine "
        f"also fills the model cache: {s['discover_first_empty_cache_s']:.2f} s / {y['discover_first_empty_cache_s']:.2f} s.",
        "- Each account is timed in its steady state: after it is built, ten real seconds (over three simulated "
        "minutes at the simulator's default 20x) and until no instance is pending.",
        "- *Repeated* is the live widget's case: instances are listed with the light DescribeInstanceStatus and "
        "re-described only when new or changed.",
        f"- Rendering is timed warm (the WebAssembly Graphviz is loaded once per process: {r['engine_first_s']:.2f} s, compiled "
        f"once and cached in $AWSLAB_HOME/cache). PNG = Graphviz SVG + resvg, at most {2400} px wide. "
        f"`awslab topology -o FILE.svg` end to end in a fresh process: {r['cli_cold_s']:.1f} s.",
        f"- The cloud process with the synthetic account (140 instances, simulator at 20x, data plane on), while nobody "
        f"calls it: {r['idle_cpu_pct']:.1f} % of one core." if r.get("idle_cpu_pct") is not None else "- Idle CPU: not measured (no /proc).",
        f"- Services that could not be read: {', '.join(s['errors'] + y['errors']) or 'none'}.",
        END,
    ])


def write(text: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (between its markers), or append it."""
    old = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if START in old and END in old:
        new = old[:old.index(START)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    DOCS.write_text(new, encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--no-write", action="store_true", help="print only; don't write docs/benchmarks.md")
    args = p.parse_args()
    result = run()
    print(json.dumps(result, indent=1, default=str))
    text = section(result)
    print(text)
    if not args.no_write:
        write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
