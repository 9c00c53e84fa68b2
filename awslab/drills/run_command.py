"""Breaking the web app on a real instance: SSM Run Command writes the app's fault file.

On the embedded cloud the simulator breaks an app. On AWS (or any backend without the simulator) the same
faults go through **AWS Systems Manager Run Command**: ``SendCommand`` with the AWS-owned document
``AWS-RunShellScript`` makes the SSM agent on the instance run a shell script as root. The script writes one word
into ``/opt/awslab/fault``, the file the app (:mod:`awslab.webapp.app`) re-reads on every request:
``unhealthy`` (``/health`` answers 500), ``hang``, ``slow 6`` (seconds), ``crash`` (the process exits 70 and
systemd leaves it down), or ``ok``.

Run Command reaches only a **managed node**: an instance whose SSM agent runs (Amazon Linux 2023 ships it) and
whose instance profile's role has the AWS managed policy AmazonSSMManagedInstanceCore
(https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html). The agent then
registers, and ``DescribeInstanceInformation`` lists the instance with ``PingStatus`` ``Online``; this module asks
that first and refuses, naming the fix, when it does not.

What happened is read back with ``GetCommandInvocation``: Pending, InProgress, then Success or Failed
(https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html).
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import AwslabError
from ..i18n import N_, _
from ..lab import Lab
from ..layers.compute import SSM_POLICY_ARN  # the AWS managed policy a managed node's role needs; the app role has it
from ..webapp import APP_DIR, UNIT
from .story import StoryLine

__all__ = ["FAULT_FILE", "DOCUMENT", "SSM_POLICY_ARN", "CommandStatus", "fault_word", "fault_commands",
           "require_managed", "send_fault", "command_status", "command_events", "command_line", "cli_command",
           "NotManaged"]

#: The file the app's systemd unit names with --fault-file (awslab.webapp's unit).
FAULT_FILE = f"{APP_DIR}/fault"
#: The AWS-owned Run Command document that runs shell commands on Linux.
DOCUMENT = "AWS-RunShellScript"
#: Seconds the agent may take to start the command (SendCommand's TimeoutSeconds: 30 at least) and to run it.
DELIVERY_TIMEOUT_S, EXECUTION_TIMEOUT_S = 60, 60
#: Run Command's end states: https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html
FINISHED = ("Success", "Failed", "Cancelled", "TimedOut", "DeliveryTimedOut", "ExecutionTimedOut", "Undeliverable",
            "Terminated", "InvalidPlatform", "AccessDenied")
FAILED = tuple(state for state in FINISHED if state != "Success")

NOT_MANAGED_FIX = N_("Run Command reaches only managed nodes: the instance must run the SSM agent (Amazon Linux 2023 "
                     "does) and its instance profile's role must have the AWS managed policy "
                     "AmazonSSMManagedInstanceCore. The lab's role {role} comes with the database layer and has it: "
                     "build the lab with its database (lab.build()), which attaches it again if it is missing; the "
                     "agent picks the policy up and registers within minutes. Check with: aws ssm "
                     "describe-instance-information --filters Key=InstanceIds,Values={instance}. See "
                     "https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html")


class NotManaged(AwslabError):
    """The instance is not a managed node SSM reports online, so Run Command cannot reach it."""


@dataclass
class CommandStatus:
    """One instance's invocation of a Run Command command, as ``GetCommandInvocation`` reports it."""

    command_id: str
    instance_id: str
    status: str  # Pending, InProgress, Delayed, Success, Failed, TimedOut, Cancelled, ...
    status_details: str
    response_code: int
    started_at: str
    ended_at: str
    stdout: str = ""
    stderr: str = ""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def failed(self) -> bool:
        return self.finished and self.status != "Success"


def fault_word(kind: str, delay_ms: float | None = None) -> str:
    """What the fault file says for a drill's ``kind`` (the app's modes): ``slow`` carries its delay in seconds."""
    if kind == "slow":
        return "slow {seconds:g}".format(seconds=float(delay_ms if delay_ms is not None else 1000) / 1000.0)
    return kind


def fault_commands(word: str, fault_file: str = FAULT_FILE) -> list[str]:
    """The AWS-RunShellScript ``commands``: write ``word`` atomically (the app never reads half a file); on "ok",
    also start the app again if a drilled crash stopped it (systemd does not restart exit status 70)."""
    path, tmp = shlex.quote(fault_file), shlex.quote(fault_file + ".tmp")
    lines = ["set -eu", f"printf '%s\\n' {shlex.quote(word)} > {tmp}", f"mv -f {tmp} {path}"]
    if word == "ok":
        lines.append(f"systemctl is-active --quiet {UNIT} || systemctl start {UNIT}")
    lines.append(f"echo \"awslab: {path} now says: $(cat {path})\"")
    return lines


def cli_command(instance_id: str, word: str) -> str:
    """The AWS CLI that does what :func:`send_fault` does."""
    import json

    params = json.dumps({"commands": fault_commands(word)})
    return (f"aws ssm send-command --document-name {DOCUMENT} --instance-ids {instance_id} "
            f"--comment {shlex.quote('awslab drill: ' + word)} --parameters {shlex.quote(params)}")


def require_managed(lab: Lab, instance_id: str) -> dict:
    """The instance's ``DescribeInstanceInformation`` entry when SSM reports it managed and Online; else NotManaged."""
    from botocore.exceptions import BotoCoreError, ClientError

    role = lab.resource_name("app-role")
    fix = _(NOT_MANAGED_FIX).format(role=role, instance=instance_id)
    try:
        found = lab.client("ssm").describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"]
    except (ClientError, BotoCoreError) as e:
        raise NotManaged(_("Systems Manager could not say whether {instance} is a managed node: {error}").format(
            instance=instance_id, error=e), fix) from None
    if not found:
        raise NotManaged(_("{instance} is not a managed node: Systems Manager has never heard from its SSM agent, so "
                           "Run Command cannot reach it.").format(instance=instance_id), fix)
    if found[0].get("PingStatus") != "Online":
        raise NotManaged(_("{instance}'s SSM agent is {ping} (last heard {when}), not Online, so Run Command cannot "
                           "reach it now.").format(instance=instance_id, ping=found[0].get("PingStatus"),
                                                   when=found[0].get("LastPingDateTime", "-")), fix)
    return found[0]


def send_fault(lab: Lab, instance_id: str, word: str) -> str:
    """``SendCommand`` AWS-RunShellScript writing ``word`` into the app's fault file; returns the command's id."""
    command = lab.client("ssm").send_command(
        InstanceIds=[instance_id], DocumentName=DOCUMENT, Comment="awslab drill: " + word,
        TimeoutSeconds=DELIVERY_TIMEOUT_S,
        Parameters={"commands": fault_commands(word), "executionTimeout": [str(EXECUTION_TIMEOUT_S)]})["Command"]
    return command["CommandId"]


def command_status(lab: Lab, command_id: str, instance_id: str) -> CommandStatus:
    """``GetCommandInvocation`` for the one instance. Right after SendCommand the invocation may not exist yet
    (InvocationDoesNotExist): that reads as Pending."""
    from botocore.exceptions import ClientError

    try:
        inv = lab.client("ssm").get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "InvocationDoesNotExist":
            raise
        return CommandStatus(command_id, instance_id, "Pending", "Pending", -1, "", "")
    return CommandStatus(command_id, instance_id, inv.get("Status", ""), inv.get("StatusDetails", ""),
                         int(inv.get("ResponseCode", -1)), _stamp(inv.get("ExecutionStartDateTime")),
                         _stamp(inv.get("ExecutionEndDateTime")), inv.get("StandardOutputContent", ""),
                         inv.get("StandardErrorContent", ""))


def _stamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def command_events(instance_id: str, command_id: str, word: str, sent_at: float) -> list[dict]:
    """The command as a story event (:func:`awslab.drills.story.tell` tells it as the fault)."""
    iso = datetime.fromtimestamp(sent_at, timezone.utc).isoformat()
    return [{"time": sent_at, "iso": iso, "component": "fault", "resource": instance_id, "event": "fault_injected",
             "details": {"kind": word, "via": f"SSM {DOCUMENT} {command_id}"}}]


def command_line(status: CommandStatus, sent_at: float) -> StoryLine | None:
    """The command's end state as a story line (Systems Manager's own words), or None while it runs."""
    if not status.finished:
        return None
    try:
        ended = datetime.fromisoformat(status.ended_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        ended = sent_at
    if status.failed:
        text = _("Run Command {status} ({details}): the fault file was not written").format(
            status=status.status, details=status.status_details)
    else:
        text = _("Run Command {status}: the fault file was written").format(status=status.status)
    return StoryLine(max(ended, sent_at) - sent_at, status.ended_at or "", "Systems Manager", status.instance_id, text,
                     (status.stderr or status.stdout).strip()[:500], "command_finished")
