"""``awslab ssh-config``: Host entries so the seed's ssh commands work against the embedded cloud."""
from __future__ import annotations

import argparse

from ..i18n import N_, _

__all__ = ["cmd_ssh_config", "WROTE", "NO_INSTANCES"]

WROTE = N_("Wrote {config} ({n} instances; their host keys in {known_hosts}). Use it as on AWS: ssh -F {config} -A "
           "ec2-user@<bastion public IP>, or add `Include {config}` to ~/.ssh/config.")
NO_INSTANCES = N_("No running instance accepts SSH in this cloud yet. Launch one (the bastion comes with lab 03) and "
                  "run awslab ssh-config again once it is running.")


def cmd_ssh_config(args: argparse.Namespace) -> int:
    from ..dataplane.ssh.clientconfig import ssh_config
    from .lab import make_lab

    files = ssh_config(make_lab(args, start_cloud=False), args.output)
    if not files.instances:
        print(_(NO_INSTANCES))
    print(_(WROTE).format(config=files.config, n=len(files.instances), known_hosts=files.known_hosts))
    return 0
