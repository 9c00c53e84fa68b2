"""``awslab ssh-config``: Host entries so the seed's ssh commands work against the embedded cloud."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import N_, _

__all__ = ["cmd_ssh_config", "NOT_EMBEDDED", "WROTE", "NO_INSTANCES"]

NOT_EMBEDDED = N_("awslab ssh-config maps the embedded cloud's instances onto this machine. On {backend}, ssh to "
                  "the instances' real addresses instead (the bastion's public IP, then the private IPs).")
WROTE = N_("Wrote {config} ({n} instances; their host keys in {known_hosts}). Use it as on AWS: ssh -F {config} -A "
           "ec2-user@<bastion public IP>, or add `Include {config}` to ~/.ssh/config.")
NO_INSTANCES = N_("No running instance accepts SSH in this cloud yet. Launch one (the bastion comes with lab 03) and "
                  "run awslab ssh-config again once it is running.")


def cmd_ssh_config(args: argparse.Namespace) -> int:
    from .. import config
    from ..cloud.client import ControlClient
    from ..dataplane.ssh.clientconfig import write_files
    from ..layers.keys import default_key_dir
    from .lab import make_lab

    lab = make_lab(args, start_cloud=False)
    if lab.backend != "embedded":
        print(_(NOT_EMBEDDED).format(backend=lab.backend))
        return 2
    answer = ControlClient(lab.endpoint_url).call("GET", "dataplane/ssh")
    endpoints = answer.get("endpoints", [])
    path = Path(args.output).expanduser() if args.output else config.home() / "ssh" / "config"
    files = write_files(endpoints, path, default_key_dir(), lab.endpoint_url)
    if not endpoints:
        print(_(NO_INSTANCES))
    print(_(WROTE).format(config=files.config, n=len(endpoints), known_hosts=files.known_hosts))
    return 0
