"""moto's own test suite against plain moto_server and against awslab's cloud: the compatibility gate (issue 11 §5).

Run: ``python bench/bench_moto_suite.py [--sdist PATH] [--workers 2] [--no-write] [-k EXPR]``. It takes about
ten minutes per server on a quiet two-core machine, so it is a command, not a CI test.

moto's source distribution ships its tests, and they run against a server when ``TEST_SERVER_MODE=true``
(every test starts with ``POST /moto-api/reset``). This command:

1. finds moto's sdist for the pinned version: ``--sdist`` (the .tar.gz or an unpacked folder), else
   ``$AWSLAB_MOTO_SDIST``, else a copy already unpacked under ``$AWSLAB_HOME/cache``, else ``pip download``
   (which answers from pip's cache when it has the file). Nothing of it is ever written into the repository;
2. runs the files of the services the lab uses (:data:`FILES`) once against plain ``moto_server`` and once
   against ``python -m awslab cloud``, with the same test ids; each pytest worker gets a server of its own,
   because every test resets the server it talks to;
3. compares outcome by outcome. A test that passes on plain moto and fails on the cloud is either a
   deliberate divergence, closer to AWS (:data:`RULES` name the AWS behaviour and :data:`REASONS` its AWS page), or a
   regression, which this project fixes;
4. prints the table and replaces the results section of docs/compatibility.md.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "compatibility.md"
START, END = "<!-- bench_moto_suite:start -->", "<!-- bench_moto_suite:end -->"
MOTO_VERSION = "5.2.5"  # awslab.cloud.moto_ext.PINNED_MOTO_VERSION; read without importing awslab
#: moto's test files for the services and EC2 areas the lab uses (paths inside the sdist).
FILES = ["tests/test_elbv2", "tests/test_autoscaling", "tests/test_cloudwatch"] + [
    f"tests/test_ec2/test_{area}.py" for area in (
        "vpcs", "subnets", "security_groups", "instances", "launch_templates", "key_pairs", "route_tables",
        "nat_gateway")]
TEST_TIMEOUT_S = 120
HEALTH_TIMEOUT_S = 90.0

#: Why a test may pass on plain moto and fail on awslab's cloud: awslab does what AWS does.
#: key -> (what AWS does, the AWS page that says so)
REASONS: dict[str, tuple[str, str]] = {
    "ec2-lifecycle": (
        "An instance takes time in `pending`, `stopping` and `shutting-down` before `running`, `stopped` and "
        "`terminated`; moto's tests read the end state straight after the call",
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html"),
    "register-pending": (
        "RegisterTargets refuses an instance that is not `running` (moto's tests register instances straight after "
        "RunInstances, while they are `pending`, or after StopInstances)",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html"),
    "alarm-insufficient": (
        "A new alarm starts in `INSUFFICIENT_DATA` and is evaluated on its period, not at once",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation"),
    "asg-async": (
        "Auto Scaling launches and terminates instances asynchronously, as scaling activities that complete after "
        "the API call returns; instances are `Pending` before `InService`",
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html"),
    "instance-status-running": (
        "DescribeInstanceStatus lists only `running` instances unless IncludeAllInstances is true",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceStatus.html"),
    "grace-default": (
        "HealthCheckGracePeriod defaults to 0 through the API (300 is the console's default, which moto uses)",
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html"),
    "delete-in-use": (
        "DeleteAutoScalingGroup refuses a group that still has instances unless ForceDelete is true",
        "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteAutoScalingGroup.html"),
    "delete-in-progress": (
        "A deleted Auto Scaling group stays listed, Status `Delete in progress`, until its instances are terminated "
        "(moto's tests expect it gone straight after DeleteAutoScalingGroup with ForceDelete)",
        "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AutoScalingGroup.html"),
    "subnet-in-use": (
        "DeleteSubnet refuses a subnet while an instance in it is not yet `terminated` (DependencyViolation); moto's "
        "tests delete it straight after TerminateInstances, while the instance is `shutting-down`",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html"),
    "alb-cross-zone": (
        "An Application Load Balancer's `load_balancing.cross_zone.enabled` is `true`: cross-zone load balancing is "
        "always on for ALBs (moto says `false`)",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html"),
    "health-check-real": (
        "Health checks are real HTTP requests to each instance's web app, which is the course's app (200 on `/`): "
        "the instances don't run the Apache the test's UserData installs, so its Matcher 403 (Apache's default "
        "page) finds `Target.ResponseCodeMismatch` ([200]), as AWS would for that app, and the test waits for "
        "`healthy` until it times out",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html"),
    "sim-clock": (
        "The cloud's clock is simulated and runs ahead of the wall clock (20x by default), and a datapoint put "
        "without a Timestamp is stamped with the time CloudWatch received it, the cloud's now; moto's tests query a "
        "window around the client's wall clock",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html"),
    "exact-dimensions": (
        "GetMetricStatistics matches a metric's dimensions exactly: each combination is a separate metric, and "
        "asking with a subset finds only the datapoints put with exactly that subset (moto sums the superset's)",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html"),
}

#: Auto Scaling tests whose failure on the cloud was read and is the asynchronous launch/terminate of AWS (they count
#: or register instances straight after the call). Another Auto Scaling failure is a regression until read.
_ASG_ASYNC_READ = "|".join([
    "test_attach_load_balancer", "test_create_autoscaling_group_within_elb", "test_detach_one_instance_decrement",
    "test_standby_[a-z_]+", "test_terminate_instance_in_auto_scaling_group_(no_)?decrement",
    "test_set_desired_capacity_down", "test_terminate_instance_via_ec2_in_autoscaling_group",
    "test_set_desired_capacity_without_protection", "test_update_autoscaling_group_max_size_desired_capacity_change",
    "test_autoscaling_group_update", "test_autoscaling_group_with_elb", "test_detach_one_instance",
    "test_attach_one_instance", "test_attach_detach_target_groups", "test_detach_all_target_groups",
    "test_failed_delete_preserves_target_group_attachments"])

#: (reason, test id pattern, failure message pattern): a difference is deliberate only when both match, i.e. the
#: failure was read and is the named AWS behaviour. Anything else is a regression to fix.
RULES: list[tuple[str, str, str]] = [
    ("register-pending", r"test_elbv2/", r"InvalidTarget.*not in a running state"),
    ("instance-status-running", r"describe_instance_status", r"in \[\]$|assert 0 == |assert \d+ == \d+$"),
    ("ec2-lifecycle", r"test_ec2/|test_elbv2/", r"'(pending|stopping|shutting-down)'|"
                                               r"IncorrectInstanceState|not in a valid state"),
    ("alarm-insufficient", r"test_cloudwatch/|test_autoscaling/", r"INSUFFICIENT_DATA"),
    ("ec2-lifecycle", r"test_autoscaling/test_elbv2.py::test_delete_group_with_deleted_target_groups",
     r"^assert False$"),  # its instances are shutting-down, not yet terminated, when it reads them
    ("grace-default", r"test_autoscaling/", r"assert 0 == 300$"),
    ("delete-in-use", r"test_autoscaling/", r"ResourceInUse.*DeleteAutoScalingGroup"),
    ("asg-async", rf"test_autoscaling/.*::({_ASG_ASYNC_READ})\b", r"AssertionError|^assert "),
    # the ALARM one is found; the OK one is INSUFFICIENT_DATA, so describe_alarms(StateValue="OK") is empty
    ("alarm-insufficient", r"test_cloudwatch_alarms.py::test_alarm_state$", r"^assert 0 == 1$"),
    # its instances are still pending when it filters on instance-state-name=running
    ("ec2-lifecycle", r"test_instances.py::test_get_instances_filtering_by_state$", r"in \[\]$"),
    ("delete-in-progress", r"test_autoscaling/test_elbv2.py::test_delete_group_with_deleted_target_groups",
     r"assert \[\{'AutoScalin.*\] == \[\]$"),
    ("subnet-in-use", r"test_ec2/", r"DependencyViolation.*DeleteSubnet operation"),
    ("alb-cross-zone", r"test_elbv2/", r"'load_balancing.cross_zone.enabled', 'Value': 'false'\} in "),
    # read through DescribeTargetHealth while it waited: unhealthy, Target.ResponseCodeMismatch, codes [200]
    ("health-check-real", r"test_elbv2_target_health.py::test_register_targets$", r"Timeout \(>[\d.]+s\)"),
    ("sim-clock", r"test_cloudwatch/.*::test_get_metric_data_(for_multiple_metrics_w_same_dimensions|within_timeframe|"
                  r"with_simple_expression)$", r"^assert \[\] == \["),
    ("exact-dimensions", r"test_cloudwatch.py::test_get_metric_statistics_dimensions$", r"^assert 3\.0 == 9$"),
]


def reason_for(test_id: str, message: str) -> str | None:
    """The :data:`REASONS` key that explains this failure on the cloud, or None (a regression)."""
    for key, id_pattern, message_pattern in RULES:
        if re.search(id_pattern, test_id) and re.search(message_pattern, message):
            return key
    return None


# -- the sdist -------------------------------------------------------------------------------------------------
def home() -> Path:
    path = Path(os.environ.get("AWSLAB_HOME") or Path.home() / ".awslab")
    path.mkdir(parents=True, exist_ok=True)
    return path


class SdistMissing(RuntimeError):
    pass


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack only the tests (and pytest's settings) of the sdist: the installed moto is the one under test."""
    root = into / f"moto-{MOTO_VERSION}"
    if (root / "tests").is_dir():
        return root
    with tarfile.open(archive) as tar:
        wanted = [m for m in tar.getmembers() if m.name.split("/")[1:2] in (["tests"], ["setup.cfg"], ["pyproject.toml"])]
        tar.extractall(into, members=wanted, filter="data")
    return root


def locate_sdist(given: str | None) -> Path:
    """The folder holding moto's ``tests/`` for the pinned version (see the module docstring for the order)."""
    cache = home() / "cache" / "moto-sdist"
    given = given or os.environ.get("AWSLAB_MOTO_SDIST")
    if given:
        path = Path(given).expanduser()
        if path.is_dir() and (path / "tests").is_dir():
            return path
        if path.is_file():
            return _unpack(path, cache)
        raise SdistMissing(f"--sdist {path}: neither moto-{MOTO_VERSION}.tar.gz nor a folder with tests/ in it")
    archive = cache / f"moto-{MOTO_VERSION}.tar.gz"
    if not archive.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", f"moto=={MOTO_VERSION}",
               "-d", str(cache)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode or not archive.exists():
            raise SdistMissing(
                f"moto {MOTO_VERSION}'s source distribution is not here and pip could not get it "
                f"(pip said: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}). "
                f"Download it where PyPI is reachable with `pip download --no-deps --no-binary :all: "
                f"moto=={MOTO_VERSION} -d DIR`, then pass --sdist DIR/moto-{MOTO_VERSION}.tar.gz")
    return _unpack(archive, cache)


# -- the servers -----------------------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    kind: str  # "plain" or "cloud"
    port: int
    proc: subprocess.Popen
    home: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(kind: str, log_dir: Path) -> Server:
    port = free_port()
    server_home = tempfile.mkdtemp(prefix=f"awslab-suite-{kind}-")
    env = dict(os.environ, AWSLAB_HOME=server_home, AWSLAB_PORT=str(port))
    env.pop("TEST_SERVER_MODE", None)
    if kind == "plain":
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        probe = "/moto-api/data.json"
    else:
        cmd = [sys.executable, "-m", "awslab", "cloud", "--port", str(port)]
        probe = "/_awslab/health"
    log = open(log_dir / f"{kind}-{port}.log", "wb")
    proc = subprocess.Popen(["nice", "-n", "10", *cmd], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2):
                return Server(kind, port, proc, server_home)
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the {kind} server did not answer on port {port}; see {log.name}")


def _hwm_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status")
    lines = status.read_text().splitlines() if status.exists() else []
    return next((int(ln.split()[1]) / 1024 for ln in lines if ln.startswith("VmHWM:")), 0.0)


def stop_server(server: Server) -> float:
    """Stop it; return its peak resident memory (VmHWM, MiB; the largest of it and its children)."""
    pid = server.proc.pid
    children = [int(c) for path in Path(f"/proc/{pid}/task").glob("*/children") for c in path.read_text().split()]
    hwm = max([_hwm_mib(pid), *(_hwm_mib(c) for c in children)])
    server.proc.terminate()
    try:
        server.proc.wait(20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
    shutil.rmtree(server.home, ignore_errors=True)
    return hwm


# -- the run ---------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    outcome: str  # passed | failed | skipped
    message: str = ""


@dataclass
class Run:
    kind: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0
    peak_mib: float = 0.0


def run_suite(kind: str, root: Path, workers: int, files: list[str], keyword: str | None, log_dir: Path) -> Run:
    servers: list[Server] = []
    run = Run(kind)
    results = log_dir / f"{kind}-results.jsonl"
    results.unlink(missing_ok=True)
    try:
        servers += [start_server(kind, log_dir) for _ in range(max(workers, 1))]
        env = dict(os.environ, TEST_SERVER_MODE="true", TEST_SERVER_MODE_ENDPOINT=servers[0].url,
                   AWSLAB_SUITE_ENDPOINTS=",".join(s.url for s in servers), AWSLAB_SUITE_RESULTS=str(results),
                   PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]),
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        cmd = ["nice", "-n", "10", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
               "bench_moto_suite", "--color=no", f"--timeout={TEST_TIMEOUT_S}", "-o", "addopts=", *files]
        if workers > 1:
            cmd += ["-n", str(workers), "--dist", "loadfile"]
        if keyword:
            cmd += ["-k", keyword]
        t0 = time.monotonic()
        with open(log_dir / f"{kind}-pytest.log", "wb") as out:
            subprocess.run(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        run.seconds = time.monotonic() - t0
    finally:
        run.peak_mib = max([stop_server(s) for s in servers], default=0.0)
    run.outcomes = load_run(kind, results).outcomes
    return run


def load_run(kind: str, results: Path) -> Run:
    """The outcomes a run wrote (one JSON object per test)."""
    run = Run(kind)
    for line in results.read_text().splitlines() if results.exists() else []:
        row = json.loads(line)
        run.outcomes[row["id"]] = Outcome(row["outcome"], row.get("message", ""))
    return run


# -- the pytest plugin (loaded into moto's test run with -p bench_moto_suite) ---------------------------------
def pytest_configure(config) -> None:
    """Each xdist worker talks to a server of its own (every test resets the server it uses)."""
    endpoints = [e for e in os.environ.get("AWSLAB_SUITE_ENDPOINTS", "").split(",") if e]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if endpoints:
        os.environ["TEST_SERVER_MODE_ENDPOINT"] = endpoints[int(worker[2:]) % len(endpoints)]


def pytest_runtest_logreport(report) -> None:
    """Record each test's outcome once (on the controller, which sees every worker's reports)."""
    path = os.environ.get("AWSLAB_SUITE_RESULTS")
    if not path or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    failed = report.failed
    if report.when == "call" or failed or (report.when == "setup" and report.skipped):
        outcome = "failed" if failed else "skipped" if report.skipped else "passed"
        message = ""
        if failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = (crash.message if crash else str(report.longrepr)).splitlines()[0][:300]
        with open(path, "a") as f:
            f.write(json.dumps({"id": report.nodeid, "outcome": outcome, "when": report.when, "message": message}) + "\n")


# -- comparison and report -------------------------------------------------------------------------------------
@dataclass
class Comparison:
    plain: Run
    cloud: Run

    def passing_on_plain(self) -> list[str]:
        return sorted(t for t, o in self.plain.outcomes.items() if o.outcome == "passed")

    def differences(self) -> list[str]:
        return [t for t in self.passing_on_plain() if self._cloud(t) != "passed"]

    def _cloud(self, test_id: str) -> str:
        out = self.cloud.outcomes.get(test_id)
        return out.outcome if out else "missing"

    def reason(self, test_id: str) -> str | None:
        out = self.cloud.outcomes.get(test_id)
        return reason_for(test_id, out.message) if out else None

    def deliberate(self) -> list[str]:
        return [t for t in self.differences() if self.reason(t)]

    def regressions(self) -> list[str]:
        return [t for t in self.differences() if not self.reason(t)]

    def only_cloud(self) -> list[str]:
        return sorted(t for t, o in self.cloud.outcomes.items()
                      if o.outcome == "passed" and self.plain.outcomes.get(t, Outcome("missing")).outcome != "passed")


def _area(test_id: str) -> str:
    path = test_id.split("::")[0]
    return path.removeprefix("tests/").removesuffix(".py")


def table(c: Comparison) -> str:
    rows: dict[str, Counter] = {}
    for test_id, out in c.plain.outcomes.items():
        area = rows.setdefault(_area(test_id), Counter())
        area["tests"] += 1
        area["plain"] += out.outcome == "passed"
        area["cloud"] += c._cloud(test_id) == "passed" and out.outcome == "passed"
    for test_id in c.deliberate():
        rows[_area(test_id)]["deliberate"] += 1
    for test_id in c.regressions():
        rows[_area(test_id)]["regressions"] += 1
    lines = ["| test file | tests | pass on plain moto | of those, pass on the cloud | deliberate divergences | regressions |",
             "|---|---|---|---|---|---|"]
    total = Counter()
    for area in sorted(rows):
        r = rows[area]
        total.update(r)
        lines.append(f"| {area} | {r['tests']} | {r['plain']} | {r['cloud']} | {r['deliberate']} | {r['regressions']} |")
    lines.append(f"| **all** | **{total['tests']}** | **{total['plain']}** | **{total['cloud']}** | "
                 f"**{total['deliberate']}** | **{total['regressions']}** |")
    return "\n".join(lines)


def details(c: Comparison) -> str:
    out = []
    by_reason: dict[str, list[str]] = {}
    for test_id in c.deliberate():
        by_reason.setdefault(c.reason(test_id), []).append(test_id)
    if by_reason:
        out.append("Deliberate divergences (each closer to AWS; the reasons are explained above):\n")
        for key, tests in sorted(by_reason.items()):
            text, url = REASONS[key]
            out.append(f"- **{key}** ({len(tests)}): {text}. [AWS]({url})")
            out += [f"  - `{t}`: {c.cloud.outcomes[t].message[:160]}" for t in tests]
    out.append("")
    regressions = c.regressions()
    out.append(f"Regressions (pass on plain moto, fail on the cloud, not explained by AWS): **{len(regressions)}**"
               + ("" if regressions else "."))
    out += [f"- `{t}`: {c.cloud.outcomes[t].message if t in c.cloud.outcomes else 'not run'}" for t in regressions]
    extra = c.only_cloud()
    if extra:
        out.append(f"\nPass on the cloud but not on plain moto: {len(extra)}")
        out += [f"- `{t}` (plain moto: {c.plain.outcomes.get(t, Outcome('missing')).outcome})" for t in extra]
    return "\n".join(out)


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def section(c: Comparison, started_load: str, files: list[str]) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    plain_ok = len(c.passing_on_plain())
    return "\n".join([
        START, f"## Results ({stamp})", "",
        f"`python bench/bench_moto_suite.py`, moto {MOTO_VERSION}'s own tests ({', '.join(f'`{f}`' for f in files)}) "
        f"in server mode, 2 pytest workers with a server each. Machine: {os.cpu_count()} CPUs, load average "
        f"{started_load} (1/5/15 min) when it started and {load_average()} when it finished (the machine is shared).",
        f"Plain moto_server: {c.plain.seconds:.0f} s, peak RSS {c.plain.peak_mib:.0f} MiB per server; "
        f"awslab's cloud: {c.cloud.seconds:.0f} s, peak RSS {c.cloud.peak_mib:.0f} MiB per server.", "",
        f"**{plain_ok - len(c.differences())} of the {plain_ok} tests that pass on plain moto pass on the cloud**; "
        f"{len(c.deliberate())} of the others are deliberate divergences and {len(c.regressions())} are regressions.",
        "", table(c), "", details(c), END])


def write(text: str) -> None:
    current = DOC.read_text() if DOC.exists() else "# Compatibility with moto and AWS\n"
    if START in current and END in current:
        current = current[: current.index(START)] + text + current[current.index(END) + len(END):]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(current)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sdist", help=f"moto-{MOTO_VERSION}.tar.gz, or the folder it unpacks to")
    ap.add_argument("--workers", type=int, default=2, help="pytest workers, each with a server of its own (default 2)")
    ap.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression (then nothing is written)")
    ap.add_argument("--files", nargs="+", default=FILES, help="moto test files or folders (default: the lab's areas)")
    ap.add_argument("--only", choices=("plain", "cloud"), help="run one side only and print its outcomes")
    ap.add_argument("--reuse-plain", metavar="JSONL", help="plain moto's outcomes from an earlier run "
                    "(its plain-results.jsonl) instead of running plain moto again: moto's answers do not change")
    ap.add_argument("--reuse-cloud", metavar="JSONL", help="the cloud's outcomes from an earlier run (report only)")
    ap.add_argument("--no-write", action="store_true", help="print only; don't touch docs/compatibility.md")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers are stopped on the way out
    try:
        root = locate_sdist(args.sdist)
    except SdistMissing as e:
        print(f"bench_moto_suite: {e}", file=sys.stderr)
        return 2
    log_dir = home() / "moto-suite"
    log_dir.mkdir(parents=True, exist_ok=True)
    started_load = load_average()
    print(f"moto {MOTO_VERSION} tests from {root}; logs in {log_dir}", flush=True)
    runs = {}
    for kind, path in (("plain", args.reuse_plain), ("cloud", args.reuse_cloud)):
        if path:
            runs[kind] = load_run(kind, Path(path))
    for kind in (args.only,) if args.only else ("plain", "cloud"):
        if kind in runs:
            continue
        runs[kind] = run_suite(kind, root, args.workers, args.files, args.keyword, log_dir)
        counts = Counter(o.outcome for o in runs[kind].outcomes.values())
        print(f"{kind}: {dict(counts)} in {runs[kind].seconds:.0f} s", flush=True)
    if args.only:
        return 0
    if args.files != FILES:  # a subset: compare only the tests that were run
        runs["plain"].outcomes = {t: o for t, o in runs["plain"].outcomes.items()
                                  if any(t.startswith(f.rstrip("/")) for f in args.files)}
    comparison = Comparison(runs["plain"], runs["cloud"])
    text = section(comparison, started_load, args.files)
    print(text)
    if not (args.no_write or args.keyword or args.files != FILES):
        write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
