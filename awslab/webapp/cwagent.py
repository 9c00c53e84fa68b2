"""The CloudWatch agent on an app server: its configuration, as the launch template's user data writes it.

On Amazon Linux 2023 the unified CloudWatch agent is a distro package (``dnf install amazon-cloudwatch-agent``).
Its JSON configuration's ``logs`` section lists the files to tail (``collect_list``), the log group and stream of
each (``{instance_id}`` is replaced by the instance's ID), and ``force_flush_interval``: "the maximum amount of time
that logs remain in the memory buffer before being sent to the server", 5 seconds by default
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html).
``amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:<path>`` loads it and starts the agent
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/install-CloudWatch-Agent-commandline-fileconfig.html).

The embedded cloud reads the same configuration back out of an instance's user data
(:func:`agent_config_in`), so an instance whose user data does not configure the agent sends nothing, as on AWS.
"""
from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["AGENT_CONFIG_PATH", "LOG_DIR", "FORCE_FLUSH_S", "log_group_for", "agent_config", "agent_lines",
           "agent_config_in", "AGENT_POLICY_ARN"]

#: Where the user data writes the configuration (the path AWS's page recommends on Linux).
AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/cloudwatch-agent.json"
#: Where the app writes access.log and error.log (systemd's LogsDirectory=awslab).
LOG_DIR = "/var/log/awslab"
#: The agent's default force_flush_interval (the page above).
FORCE_FLUSH_S = 5
#: The AWS managed policy the agent's instance role needs (logs:PutLogEvents, CreateLogStream, ...).
AGENT_POLICY_ARN = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
_EOF = "AWSLAB_CWAGENT_EOF"


def log_group_for(lab_name: str) -> str:
    """The lab's app-log group: ``/awslab/<lab>/web``."""
    return f"/awslab/{lab_name}/web"


def agent_config(log_group: str) -> dict[str, Any]:
    """The agent's JSON: the app's two files, one stream each per instance, flushed every 5 s."""
    files = [{"file_path": f"{LOG_DIR}/{kind}.log", "log_group_name": log_group,
              "log_stream_name": "{instance_id}/" + kind, "timezone": "UTC"} for kind in ("access", "error")]
    return {"agent": {"run_as_user": "root"},
            "logs": {"logs_collected": {"files": {"collect_list": files}}, "force_flush_interval": FORCE_FLUSH_S}}


def agent_lines(log_group: str) -> list[str]:
    """User-data lines that install the agent, write its configuration and start it."""
    body = json.dumps(agent_config(log_group), indent=2)
    return ["dnf install -y amazon-cloudwatch-agent",
            f"cat > {AGENT_CONFIG_PATH} <<'{_EOF}'", body, _EOF,
            f"/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s "
            f"-c file:{AGENT_CONFIG_PATH}"]


def agent_config_in(user_data: str) -> dict[str, Any] | None:
    """The agent configuration a user-data script writes and loads, or None if it configures no agent."""
    if "amazon-cloudwatch-agent-ctl" not in user_data or "fetch-config" not in user_data:
        return None
    found = re.search(r"cat > (\S*amazon-cloudwatch-agent\S*\.json) <<'?(\w+)'?\n(.*?)\n\2\n", user_data, re.S)
    if found is None:
        return None
    try:
        config = json.loads(found.group(3))
    except ValueError:
        return None  # the agent would refuse to start on invalid JSON
    return config if isinstance(config, dict) else None
