"""The lab's commands: awslab build, status, cli-log, teardown and topology."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import N_, _

__all__ = ["cmd_build", "cmd_cli_log", "cmd_export", "cmd_status", "cmd_teardown", "cmd_topology", "make_lab"]

NO_RESOURCES = N_("resources: none tagged awslab:lab={lab} are alive in this cloud.")
OTHER_LABS = N_("Labs with resources here: {labs}. Name one with --lab, e.g. awslab status --lab {first}.")
NO_LABS = N_("No lab has resources in this cloud yet: build one with `awslab build`.")
CLOCK_HIDDEN = N_("simulated clock: not readable from here ({problem})")
RESTART_BUILD = N_("The embedded cloud restarted since lab '{lab}' was built, so its resources are gone; this build "
                   "creates them again.")
NO_TERMINAL = N_("awslab: refusing to delete lab '{lab}' without confirmation: there is no terminal to ask in. Add "
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
        print("awslab: " + _(RESTART_BUILD).format(lab=lab.name), flush=True)
    building = (_("awslab: building every layer for {lab}") if not args.until else
                _("awslab: building up to {layer} for {lab}"))
    print(building.format(layer=args.until, lab=repr(lab)), flush=True)
    from .guard import confirm_build, print_reminder

    if lab.backend == "aws":
        print_reminder()
    if not confirm_build(lab, args):
        return 2
    stack = lab.build(until=args.until, confirm=True)
    for name, result in stack.layers():
        print(f"  {name:<14} {_one_line(result)}")
    print(_("{n} resources created by this run (0 means everything was already there).").format(n=len(stack.created)))
    print(_("The AWS CLI commands behind it: {command}").format(
        command="awslab cli-log" + (f" --lab {lab.name}" if lab.name != "awslab" else "")))
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
    print(_("lab: {lab}  backend: {backend}  region: {region}  endpoint: {endpoint}").format(
        lab=lab.name, backend=lab.backend, region=lab.region, endpoint=lab.endpoint_url or _("real AWS")))
    restart = lab.cloud_restart()
    if restart is not None:
        print(restart.summary())
    if lab.backend == "aws":
        from .guard import print_reminder

        print_reminder()
    from ..layers.inventory import lab_inventory, lab_names

    inventory = lab_inventory(lab)
    for line in inventory.lines():
        print(line)
    if not inventory.resources:
        print(_(NO_RESOURCES).format(lab=lab.name))
        others = [name for name in lab_names(lab) if name != lab.name]
        print(_(OTHER_LABS).format(labs=", ".join(others), first=others[0]) if others else _(NO_LABS))
    for dns in _alb_dns_names(lab, inventory):
        print(_("load balancer DNS name: {dns}").format(dns=dns))
    return 0


def _print_simulator(url: str) -> None:
    """The simulated clock and the ALBs' local addresses, from the control API."""
    from ..cloud.client import ControlClient
    from ..errors import AwslabError

    client = ControlClient(url, timeout=5)
    try:
        clock, dataplane = client.call("GET", "clock"), client.call("GET", "dataplane")
    except AwslabError as e:
        print(_(CLOCK_HIDDEN).format(problem=e.problem))
        return
    if isinstance(clock, dict) and "iso" in clock:
        text = (_("simulated clock: {iso} ({mode}, speed {speed}x, paused)") if clock.get("paused") else
                _("simulated clock: {iso} ({mode}, speed {speed}x)"))
        print(text.format(iso=clock["iso"], mode=clock.get("mode"), speed=clock.get("speed")))
    for lb in (dataplane or {}).get("load_balancers", []) if isinstance(dataplane, dict) else []:
        for lport, local in sorted(lb.get("listeners", {}).items()):
            print(_("load balancer {name}: {url} is served at {local} (curl it)").format(
                name=lb["name"], url=f"http://{lb.get('dns_name')}:{lport}", local=local))
    _print_dns(client)
    _print_cloudfront(client)


def _print_cloudfront(client) -> None:
    """Each distribution's edge address, from the control API (a cloud without edges prints nothing)."""
    from ..errors import AwslabError

    try:
        found = client.call("GET", "cloudfront")
    except AwslabError:
        return
    for d in (found or {}).get("distributions", []) if isinstance(found, dict) else []:
        text = (_("CloudFront {id}: http://{domain}/ is served at {local} ({hits} hits, {misses} misses)")
                if d.get("enabled") else _("CloudFront {id}: disabled, serves only 403 at {local}"))
        print(text.format(id=d["id"], domain=d.get("domain_name"), local=d.get("local"), hits=d.get("hits", 0),
                          misses=d.get("misses", 0)))


def _print_dns(client) -> None:
    """The Route 53 name server's address, from the control API (a cloud without it prints nothing)."""
    from ..errors import AwslabError

    try:
        server = client.call("GET", "dns")
    except AwslabError:
        return
    if isinstance(server, dict) and server.get("port"):
        print(_("Route 53 DNS: {host} port {port}, UDP and TCP (dig @{host} -p {port} www.example.com)").format(
            host=server.get("host", "127.0.0.1"), port=server["port"]))


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
        print(_("wrote {file} ({n} lines); run it with: bash {file}").format(file=args.output, n=script.count(chr(10))))
    else:
        sys.stdout.write(script)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if getattr(args, "fis", None):
        written = make_lab(args).export_fis(args.fis)
        print(_("wrote {n} files into {dir}: the drills as AWS FIS experiment templates; read {dir}/fis-commands.sh "
                "before you run any (they break real resources on purpose).").format(n=len(written), dir=args.fis))
        return 0
    exported = make_lab(args).export()
    if args.output:
        exported.write(args.output)
        print(_("wrote {file}: {n} resources; check it with: cfn-lint {file}").format(
            file=args.output, n=sum(exported.resource_types.values())))
    else:
        sys.stdout.write(exported.yaml())
    return 0


def cmd_teardown(args: argparse.Namespace) -> int:
    lab = make_lab(args)
    if not args.yes:
        if not sys.stdin.isatty():
            print(_(NO_TERMINAL).format(lab=lab.name), file=sys.stderr)
            return 2
        question = _("Delete everything tagged awslab:lab={lab} on {endpoint}? [y/N] ").format(
            lab=lab.name, endpoint=lab.endpoint_url or _("REAL AWS"))
        if input(question).strip().lower() != "y":
            print(_("nothing deleted"))
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
        raise ValidationError("--output", args.output, _("the file must end in .svg, .png or .dot"),
                              _("Name it e.g. topology.svg."))
    topo = topology(make_lab(args), scope=args.scope, layers=["traffic", "control"] + (args.layers or []))
    wrote = (_("wrote {file}: {topology}; could not read {errors}") if topo.snapshot.errors else
             _("wrote {file}: {topology}"))
    print(wrote.format(file=topo.save(args.output), topology=repr(topo), errors=", ".join(topo.snapshot.errors)))
    return 0

