"""The commands of the simulated shell (:mod:`.shell`), each reading the instance's real state.

Each command is ``async def name(shell, args) -> exit status``. Whatever reads
the AWS APIs or the simulator runs in a worker thread, so the data plane's
event loop keeps carrying traffic meanwhile.
"""
from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING, Awaitable, Callable

import asyncssh

from ...webapp import UNIT
from .. import from_instance
from . import hop

if TYPE_CHECKING:  # pragma: no cover
    from .shell import Shell

__all__ = ["COMMANDS", "known", "ec2_hostname"]

Command = Callable[["Shell", list], Awaitable[int]]
COMMANDS: dict[str, Command] = {}


def command(fn: Command) -> Command:
    COMMANDS[fn.__name__.replace("_", "-")] = fn
    return fn


def known() -> str:
    return ", ".join([*COMMANDS, "exit"])


def ec2_hostname(private_ip: str, dp) -> str:
    """EC2's IP-based host name (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-naming.html)."""
    region = getattr(getattr(dp, "sim", None), "region", None) or _region()
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{private_ip.replace('.', '-')}.{domain}"


def _region() -> str:
    from ... import config

    return config.region()


async def _in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


@command
async def hostname(shell: "Shell", args: list) -> int:
    """hostname: the instance's EC2 host name"""
    shell.write(shell.hostname)
    return 0


@command
async def curl(shell: "Shell", args: list) -> int:
    """curl [-s] [-i] [-m SECONDS] URL: an HTTP request made from this instance"""
    url, include, timeout, rest = None, False, 10.0, list(args)
    while rest:
        a = rest.pop(0)
        if a in ("-s", "-S", "-sS", "-f", "-L", "--silent"):
            continue
        if a in ("-i", "--include"):
            include = True
        elif a in ("-m", "--max-time") and rest:
            value = rest.pop(0)
            if not value.replace(".", "", 1).isdigit():
                shell.error(f"curl: (2) -m wants a number of seconds, not {value[:20]!r}")
                return 2
            timeout = max(0.1, min(float(value), 60.0))
        elif a.startswith("-"):
            shell.error(f"curl: option {a[:20]}: is unknown to awslab's simulated curl (it knows -s, -i, -m)")
            return 2
        else:
            url = a
    if url is None:
        shell.error("curl: no URL specified!")
        return 2
    try:  # bounded here too: a request queued behind busy worker threads must not hang the session
        reply = await asyncio.wait_for(_in_thread(from_instance.request_from_instance, shell.dp,
                                                  shell.endpoint.instance_id, url, "GET", {}, timeout), timeout + 5)
    except from_instance.RequestRefused as e:
        shell.error(f"curl: (7) {e}")
        return 7
    except asyncio.TimeoutError:
        shell.error(f"curl: (28) Operation timed out after {int(timeout * 1000)} milliseconds with 0 bytes received")
        return 28
    host = url.split("://")[-1].split("/")[0]
    if reply.error == "timeout":
        shell.error(f"curl: (28) Failed to connect to {host} after {int(reply.seconds * 1000)} ms: Timeout was reached")
        return 28
    if reply.status is None:
        shell.error(f"curl: (7) Failed to connect to {host}: {reply.reason}")
        return 7
    if include:
        head = [f"HTTP/1.1 {reply.status} {reply.reason}"] + [f"{k}: {v}" for k, v in reply.headers.items()]
        shell.process.stdout.write("\n".join(head) + "\n\n")
    shell.process.stdout.write(reply.body)
    return 0


def _service_state(dp, instance_id: str) -> tuple[str, dict | None]:
    """The web app's state as systemd would name it, and the simulator's fault (read under the state lock)."""
    from ...cloud import control

    with control.STATE_LOCK:
        rec = dp.sim.ec2.get(instance_id)
        fault = dp.sim.ec2.fault_of(instance_id)
        up = dp.sim.ec2.is_app_up(instance_id)
        app_up = bool(rec and rec.app_up)
    if fault and fault.get("kind") == "crash":
        return "failed (Result: exit-code; status=70, a drilled crash: RestartPreventExitStatus=70)", fault
    if up:
        hosted = dp.host.hosted.get(instance_id)
        if hosted and any(a.is_serving() for a in hosted.apps.values()):
            return "active (running)", fault
        return "activating (start)", fault
    return ("activating (start): the instance is still booting" if not app_up else "inactive (dead)"), fault


@command
async def systemctl(shell: "Shell", args: list) -> int:
    """systemctl status|restart awslab-webapp: the web app's service"""
    if len(args) != 2 or args[0] not in ("status", "restart", "is-active"):
        shell.error(f"usage: systemctl status|restart|is-active {UNIT}")
        return 2
    unit = args[1].removesuffix(".service")
    if unit != UNIT:
        shell.error(f"Unit {unit[:60]}.service could not be found.")
        return 4
    if args[0] == "restart":
        return await _restart(shell)
    state, fault = await _in_thread(_service_state, shell.dp, shell.endpoint.instance_id)
    if args[0] == "is-active":
        shell.write(state.split()[0])
        return 0 if state.startswith("active") else 3
    lines = [f"● {UNIT}.service - awslab web app (/, /health, /products)",
             f"     Loaded: loaded (/etc/systemd/system/{UNIT}.service; enabled; preset: disabled)",
             f"     Active: {state}"]
    if fault and fault.get("kind") != "crash":
        lines.append(f"       Note: /opt/awslab/fault holds '{fault['kind']}' (a fault injected by awslab's simulator)")
    shell.write("\n".join(lines))
    return 0 if state.startswith("active") else 3


async def _restart(shell: "Shell") -> int:
    """Restart: a crashed app comes back (RestartPreventExitStatus only stops *automatic* restarts); a fault in
    the fault file survives a restart, as it would on the instance. Open connections are cut."""
    dp, iid = shell.dp, shell.endpoint.instance_id

    def clear_crash() -> None:
        from ...cloud import control

        with control.STATE_LOCK:
            if (dp.sim.ec2.fault_of(iid) or {}).get("kind") == "crash":
                dp.sim.ec2.clear_fault(iid)
            dp.sim.timeline.record("dataplane", iid, "app_restarted", via="systemctl restart over SSH")

    await _in_thread(clear_crash)
    await dp.host.stop(iid)  # the next sync (within 0.1 s) starts it again
    dp._wake.set()
    return 0


@command
async def journalctl(shell: "Shell", args: list) -> int:
    """journalctl -u awslab-webapp [-n N]: the web app's last requests"""
    n, unit, rest = 10, None, list(args)
    while rest:
        a = rest.pop(0)
        if a == "-u" and rest:
            unit = rest.pop(0).removesuffix(".service")
        elif a == "-n" and rest and rest[0].isdigit():
            n = min(int(rest.pop(0)), 200)
        elif a in ("--no-pager", "-e"):
            continue
    if unit != UNIT:
        shell.error(f"usage: journalctl -u {UNIT} [-n N] (the simulated shell keeps only the web app's journal)")
        return 2
    journal = shell.dp.host.journals.get(shell.endpoint.instance_id)
    lines = list(journal)[-n:] if journal is not None else []
    shell.write("\n".join(lines) if lines else "-- No entries --")
    return 0


@command
async def ip(shell: "Shell", args: list) -> int:
    """ip addr: the instance's network interface"""
    if not args or args[0] not in ("addr", "a", "address"):
        shell.error("usage: ip addr (the simulated shell knows only this one)")
        return 2
    snap = shell.dp.snapshot
    inst = snap.instances.get(shell.endpoint.instance_id, {}) if snap is not None else {}
    subnet = snap.network.subnets.get(inst.get("SubnetId"), {}) if snap is not None else {}
    net = ipaddress.ip_network(subnet.get("CidrBlock", f"{shell.endpoint.private_ip}/32"), strict=False)
    mac = next((e.get("MacAddress") for e in inst.get("NetworkInterfaces", []) if e.get("MacAddress")), None)
    shell.write("\n".join([
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000",
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        "    inet 127.0.0.1/8 scope host lo",
        "2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000",
        f"    link/ether {mac or '(not reported by EC2)'} brd ff:ff:ff:ff:ff:ff",
        f"    inet {shell.endpoint.private_ip}/{net.prefixlen} brd {net.broadcast_address} scope global dynamic ens5",
        f"# awslab: on this machine the interface is {shell.endpoint.host} (port 22 on {shell.endpoint.port}).",
        "# A public IP is never on the interface: the internet gateway translates it to the private address."]))
    return 0


_METADATA = {"-i": ("instance-id", "meta-data/instance-id"),
             "-z": ("placement", "meta-data/placement/availability-zone"),
             "-o": ("local-ipv4", "meta-data/local-ipv4"), "-v": ("public-ipv4", "meta-data/public-ipv4"),
             "-t": ("instance-type", "meta-data/instance-type"), "-a": ("ami-id", "meta-data/ami-id"),
             "-h": ("local-hostname", "meta-data/local-hostname")}


@command
async def ec2_metadata(shell: "Shell", args: list) -> int:
    """ec2-metadata [-i -z -o -v -t -a -h]: the instance metadata service (IMDSv2)"""
    flags = [a for a in args if a in _METADATA] or list(_METADATA)
    if any(a not in _METADATA for a in args):
        shell.error("usage: ec2-metadata [-i] [-z] [-o] [-v] [-t] [-a] [-h]")
        return 2
    base = "http://169.254.169.254/latest"
    ask = from_instance.request_from_instance
    token = await _in_thread(lambda: ask(shell.dp, shell.endpoint.instance_id, f"{base}/api/token", "PUT",
                                         {"x-aws-ec2-metadata-token-ttl-seconds": "21600"}, 2.0))
    headers = {"x-aws-ec2-metadata-token": token.body} if token.status == 200 else {}
    for flag in flags:
        label, path = _METADATA[flag]
        got = await _in_thread(ask, shell.dp, shell.endpoint.instance_id, f"{base}/{path}", "GET", headers, 2.0)
        shell.write(f"{label}: {got.body if got.status == 200 else 'not available'}")
    return 0


@command
async def ssh(shell: "Shell", args: list) -> int:
    """ssh [-A] [-p PORT] [user@]host [command]: SSH onward, with the agent you forwarded"""
    try:
        parsed = hop.parse_ssh_args(args)
    except ValueError as e:
        shell.error(str(e))
        return 255
    process = shell.process
    agent_path = process.get_extra_info("connection").get_agent_path()
    link = await hop.ssh_from(shell.host, shell.endpoint, parsed, agent_path)
    if link.conn is None:
        shell.error(link.error)
        return 255
    conn = link.conn
    try:
        if parsed.command is not None:
            result = await conn.run(parsed.command)
            shell.process.stdout.write(result.stdout or "")
            shell.process.stderr.write(result.stderr or "")
            return result.exit_status or 0
        return await _relay(shell, conn)
    finally:
        link.close(shell.host)
        if parsed.command is None:
            shell.error(f"Connection to {parsed.host} closed.")


async def _relay(shell: "Shell", conn) -> int:
    """An interactive login on the next host: the keys you type go there, what it prints comes back."""
    process = shell.process
    term = process.get_terminal_type()
    remote = await conn.create_process(term_type=term, term_size=process.get_terminal_size() if term else None)
    if term:
        process.channel.set_line_mode(False)
        process.channel.set_echo(False)

    async def pump_in() -> None:
        while True:
            try:
                data = await process.stdin.read(4096)
            except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not data:
                remote.stdin.write_eof()
                return
            remote.stdin.write(data)

    async def pump_out() -> None:
        while data := await remote.stdout.read(4096):
            process.stdout.write(data)

    feeder = asyncio.ensure_future(pump_in())
    try:
        await pump_out()
        await remote.wait_closed()
    finally:
        feeder.cancel()
        if term:
            process.channel.set_line_mode(True)
            process.channel.set_echo(True)
    return remote.exit_status or 0

