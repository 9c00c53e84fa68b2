"""The shell you get when you SSH to an instance: a small, honest **simulated shell**.

There is no Linux behind an instance of the embedded cloud: an instance is a
record in the simulator and a web app in the data plane. So this is not bash.
It knows a few commands, and each one reports the instance's *real* state in
the simulator and the data plane, the way the same command on the EC2
instance would:

==========================================  ==============================================================
``hostname``                                the instance's EC2 host name (``ip-10-0-11-5.<region>.compute.internal``)
``curl [-s] [-i] URL``                      a real HTTP request from this instance (``localhost``, another
                                            instance's private IP through the security groups, or IMDS)
``systemctl status|restart awslab-webapp``  the web app's service: running, starting, failed; restart it
``journalctl -u awslab-webapp [-n N]``      the web app's last requests
``ip addr``                                 the network interface: private address and subnet
``ec2-metadata [-i -z -o -v -t -a -h]``     the instance metadata service, with an IMDSv2 token
``ssh [-A] [user@]host [command]``          SSH onward from this instance (with the agent you forwarded)
``exit``                                    leave
==========================================  ==============================================================

Anything else gets a message saying what this shell is and which commands it
knows. An exec request (``ssh host hostname``) runs the same commands.
"""
from __future__ import annotations

import logging
import shlex
from typing import TYPE_CHECKING, Any

import asyncssh

from ...i18n import N_, _
from . import commands

if TYPE_CHECKING:  # pragma: no cover
    from .server import SSHEndpoint, SSHHost

__all__ = ["session", "Shell", "UNKNOWN", "WELCOME"]

log = logging.getLogger("awslab.dataplane.ssh")

WELCOME = N_("awslab's simulated shell on {instance_id} ({hostname}). It is not Linux: it knows a few commands, "
             "and each reports this instance's real state in the embedded cloud. Commands it knows: {commands}.")
UNKNOWN = N_("this is awslab's simulated shell: `{command}` is not one of its commands (there is no Linux behind "
             "an embedded-cloud instance). Commands it knows: {commands}.")
NO_PIPES = N_("awslab's simulated shell runs commands one after another (; and &&) but has no {token}: run each "
              "command on its own.")
#: Longest line the shell reads (a paste of garbage ends here, not in memory).
MAX_LINE = 4096


class Shell:
    """One session on one instance: reads lines (or one exec command) and runs :mod:`.commands`."""

    def __init__(self, host: "SSHHost", endpoint: "SSHEndpoint", process: asyncssh.SSHServerProcess):
        self.host, self.endpoint, self.process = host, endpoint, process
        self.dp = host.dp

    @property
    def hostname(self) -> str:
        return commands.ec2_hostname(self.endpoint.private_ip, self.dp)

    @property
    def prompt(self) -> str:
        return f"[{self.process.get_extra_info('username') or 'ec2-user'}@{self.hostname.split('.')[0]} ~]$ "

    def write(self, text: str) -> None:
        if text:
            self.process.stdout.write(text if text.endswith("\n") else text + "\n")

    def error(self, text: str) -> None:
        if text:
            self.process.stderr.write(text if text.endswith("\n") else text + "\n")

    async def run_line(self, line: str) -> int | None:
        """Run a command line (commands joined by ``;`` or ``&&``); its exit status (None: ``exit`` was typed)."""
        try:
            lexer = shlex.shlex(line[:MAX_LINE], posix=True, punctuation_chars=";&|<>")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError as e:
            self.error(f"-bash: syntax error: {e}")
            return 2
        status, argv, joiner = 0, [], ";"
        for token in [*tokens, ";"]:
            if token not in (";", "&&") and not set(token) <= set(";&|<>"):
                argv.append(token)
                continue
            if token not in (";", "&&"):
                self.error(_(NO_PIPES).format(token=token))
                return 2
            if argv and (joiner == ";" or status == 0):
                got = await self.run_command(argv)
                if got is None:
                    return None
                status = got
            argv, joiner = [], token
        return status

    async def run_command(self, argv: list[str]) -> int | None:
        name, args = argv[0], argv[1:]
        if name in ("exit", "logout"):
            return None
        handler = commands.COMMANDS.get(name)
        if handler is None:
            self.error(_(UNKNOWN).format(command=name[:60], commands=commands.known()))
            return 127
        return await handler(self, args)

    async def interactive(self) -> int:
        """The login shell: a welcome line, then prompt, read, run, until ``exit`` or the end of input."""
        self.write(_(WELCOME).format(instance_id=self.endpoint.instance_id, hostname=self.hostname,
                                     commands=commands.known()))
        status = 0
        while True:
            self.process.stdout.write(self.prompt)
            try:
                line = await self.process.stdin.readline()
            except asyncssh.TerminalSizeChanged:
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            if not line:
                return status
            got = await self.run_line(line.strip())
            if got is None:
                self.write("logout")
                return status
            status = got


async def session(host: "SSHHost", endpoint: "SSHEndpoint", process: asyncssh.SSHServerProcess) -> None:
    """asyncssh's ``process_factory``: an exec request runs one command, a shell request the loop."""
    shell = Shell(host, endpoint, process)
    status = 1
    try:
        if process.command is not None:
            got = await shell.run_line(process.command)
            status = 0 if got is None else got
        else:
            status = await shell.interactive()
    except (asyncssh.Error, OSError, ConnectionError):
        pass
    except Exception:  # a bug here must end this session only, never the data plane's loop
        log.exception("ssh session on %s failed", endpoint.instance_id)
        process.stderr.write("awslab: the simulated shell failed; the cloud's log has the details\n")
    finally:
        process.exit(status)


def describe_commands() -> dict[str, Any]:
    """The commands the shell knows (for docs and tests)."""
    return {name: (fn.__doc__ or "").strip().splitlines()[0] for name, fn in commands.COMMANDS.items()}
