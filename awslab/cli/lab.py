"""The lab's commands: awslab build, status, cli-log, teardown and topology."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["cmd_build", "cmd_cli_log", "cmd_status", "cmd_teardown", "cmd_topology", "make_lab"]

NO_RESOURCES = "resources: none tagged awslab:lab={lab} are alive in this cloud."
OTHER_LABS = "Labs with resources here: {labs}. Name one with --lab, e.g. awslab status --lab {first}."
NO_LABS = "No lab has resources in this cloud yet: build one with `awslab build`."
CLOCK_HIDDEN = "simulated clock: not readable from here ({problem})"
RESTART_BUILD = ("The embedded cloud restarted since lab '{lab}' was built, so its resources are gone; this build "
                 "creates them again.")
NO_TERMINAL = ("awslab: refusing to delete lab '{lab}' without confirmation: there is no terminal to ask in. Add "
               "--yes to delete without asking.")


def make_lab(args: argparse.Namespace, start_cloud: bool = True):
    from .. import config
    from ..lab import Lab

    if args.region is not None:
        config.check_region(args.region, "--region")
    return Lab(name=args.lab, backend=args.backend, region=args.region, endpoint_url=args.endpoint_url,
               allow_real_aws=args.allow_real_aws, start_cloud=start_cloud)


def cmd_build(args: argparse.Namespace) -> int:
    lab = make_lab(args)
    if lab.cloud is not None and lab.cloud.started:
        print(f"awslab: {lab.cloud}", flush=True)
    if lab.cloud_restart() is not None:
        print(f"awslab: {RESTART_BUILD.format(lab=lab.name)}", flush=True)
    print(f"awslab: building {'every layer' if not args.until else 'up to ' + args.until} for {lab!r}", flush=True)
    stack = lab.build(until=args.until)
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


# -- status -----------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    lab = make_lab(args, start_cloud=False)  # checks the options before anything else
    if lab.backend == "embedded":
        from urllib.parse import urlsplit

        from ..cloud import cloud_status

        cloud = cloud_status(urlsplit(lab.endpoint_url).port, timeout=5.0)  # patient: a busy cloud is still running
        print(cloud)
        if not cloud.running:
            return 1
        _print_simulator(cloud.endpoint_url)
    print(f"lab: {lab.name}  backend: {lab.backend}  region: {lab.region}  endpoint: {lab.endpoint_url or 'real AWS'}")
    restart = lab.cloud_restart()
    if restart is not None:
        print(restart.summary())
    from ..layers.inventory import lab_inventory, lab_names

    inventory = lab_inventory(lab)
    for line in inventory.lines():
        print(line)
    if not inventory.resources:
        print(NO_RESOURCES.format(lab=lab.name))
        others = [name for name in lab_names(lab) if name != lab.name]
        print(OTHER_LABS.format(labs=", ".join(others), first=others[0]) if others else NO_LABS)
    for dns in _alb_dns_names(lab, inventory):
        print(f"load balancer DNS name: {dns}")
    return 0


def _print_simulator(url: str) -> None:
    """The simulated clock and the ALBs' local addresses, from the control API."""
    from ..cloud.client import ControlClient
    from ..errors import AwslabError

    client = ControlClient(url, timeout=5)
    try:
        clock, dataplane = client.call("GET", "clock"), client.call("GET", "dataplane")
    except AwslabError as e:
        print(CLOCK_HIDDEN.format(problem=e.problem))
        return
    if isinstance(clock, dict) and "iso" in clock:
        print(f"simulated clock: {clock['iso']} ({clock.get('mode')}, speed {clock.get('speed')}x"
              f"{', paused' if clock.get('paused') else ''})")
    for lb in (dataplane or {}).get("load_balancers", []) if isinstance(dataplane, dict) else []:
        for lport, local in sorted(lb.get("listeners", {}).items()):
            print(f"load balancer {lb['name']}: http://{lb.get('dns_name')}:{lport} is served at {local} (curl it)")


def _alb_dns_names(lab, inventory) -> list[str]:
    names = [r.name for r in inventory.resources if r.kind == "load balancer"]
    if not names:
        return []
    return [lb["DNSName"] for lb in lab.client("elbv2").describe_load_balancers(Names=names)["LoadBalancers"]]


# -- cli-log, teardown, topology --------------------------------------------------------------
def cmd_cli_log(args: argparse.Namespace) -> int:
    script = make_lab(args, start_cloud=False).cli_log().script()
    if args.output:
        Path(args.output).write_text(script)
        Path(args.output).chmod(0o755)
        print(f"wrote {args.output} ({script.count(chr(10))} lines); run it with: bash {args.output}")
    else:
        sys.stdout.write(script)
    return 0


def cmd_teardown(args: argparse.Namespace) -> int:
    lab = make_lab(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print(NO_TERMINAL.format(lab=lab.name), file=sys.stderr)
            return 2
        if input(f"Delete everything tagged awslab:lab={lab.name} on {lab.endpoint_url or 'REAL AWS'}? [y/N] ").strip().lower() != "y":
            print("nothing deleted")
            return 1
    restart = lab.cloud_restart()  # before teardown: it forgets what the lab built
    report = lab.teardown()
    print(report.summary())
    if restart is not None:
        print(restart.summary(teardown=True))
    return 0 if report.clean else 1


def cmd_topology(args: argparse.Namespace) -> int:
    from ..errors import ValidationError
    from ..topology import topology

    if Path(args.output).suffix.lower() not in (".svg", ".png", ".dot"):
        raise ValidationError("--output", args.output, "the file must end in .svg, .png or .dot", "Name it e.g. topology.svg.")
    topo = topology(make_lab(args), scope=args.scope, layers=["traffic", "control"] + (args.layers or []))
    print(f"wrote {topo.save(args.output)}: {topo!r}" + (f"; could not read {', '.join(topo.snapshot.errors)}" if topo.snapshot.errors else ""))
    return 0

