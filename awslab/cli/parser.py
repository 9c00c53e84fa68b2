"""The awslab command's parser and entry point: one sub-command per task, each --help teaching its AWS concept."""
from __future__ import annotations

import argparse
import sys

from ..i18n import N_, _
from .cloud import cmd_cloud, cmd_up
from .classroom import cmd_class
from .course import cmd_lab, cmd_progress
from .doctor import cmd_doctor
from .guard import cmd_sweep
from .lab import cmd_build, cmd_cli_log, cmd_export, cmd_status, cmd_teardown, cmd_topology
from .present import cmd_present
from .ssh import cmd_ssh_config
from .tls import cmd_ca

#: The layers in build order (awslab.layers.stack.LAYERS; a test keeps the two equal).
LAYERS = ("network", "security", "keys", "bastion", "database", "compute", "loadbalancing", "autoscaling", "scaling", "edge")

DESCRIPTION = N_("""The awslab command: build the standard AWS web architecture, layer by layer, on an embedded cloud.

    awslab up          start the embedded cloud (if needed) and JupyterLab on your copy of the course
    awslab cloud       run the embedded cloud (AWS APIs on :4566): run | start | stop | status
    awslab build       build the lab's architecture, layer by layer
    awslab status      what is running and what the lab has built
    awslab cli-log     the AWS CLI commands behind every build step
    awslab export      what the lab built, as a CloudFormation template (-o FILE)
    awslab teardown    delete everything the lab created
    awslab sweep       delete every expired lab on a real account (--dry-run lists them)
    awslab doctor      check this machine and say how to fix what is missing
    awslab topology    draw the running architecture to FILE.svg|png (-o FILE)
    awslab ssh-config  Host entries for ssh to the instances (ssh -F FILE -A ec2-user@<bastion>)
    awslab ca          the lab CA's certificate, to trust for HTTPS (curl --cacert "$(awslab ca)")
    awslab progress    which of the course's checks you have passed
    awslab lab         list the labs, or reset one (a fresh copy in your workspace)
    awslab present     the instructor console full-screen in a browser, for a projector
    awslab class       the instructor's view of a class: progress DIR... shows who passed which checks

Every command but up, cloud and doctor takes the same options to say which
lab and which cloud: --lab, --backend, --endpoint-url, --region, --allow-real-aws.
""")

ENDPOINT_DOWN = N_("awslab: the AWS endpoint is not answering ({error}). Check that it runs (for LocalStack: docker "
                   "compose --profile localstack ps) and that --endpoint-url names it.")


def _lab_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group(_("which lab, on which cloud"))
    g.add_argument("--lab", default="awslab", help=_("the lab's name: every resource carries the tag awslab:lab=NAME (default awslab)"))
    g.add_argument("--backend", choices=["embedded", "endpoint", "aws"], default=None,
                   help=_("embedded (default: awslab's own cloud), endpoint (LocalStack or any AWS-compatible URL), aws (a real account)"))
    g.add_argument("--endpoint-url", default=None, help=_("the AWS endpoint, e.g. http://localhost:4566 (what aws --endpoint-url takes)"))
    g.add_argument("--region", default=None, help=_("AWS region (default ap-northeast-2, Seoul, or AWSLAB_REGION)"))
    g.add_argument("--allow-real-aws", action="store_true",
                   help=_("with --backend aws: yes, create real resources in a real account (they cost money)"))
    return p


def _sub(sub, name: str, help: str, description: str, parents=()) -> argparse.ArgumentParser:
    """A sub-command; ``help`` and ``description`` are English literals marked with N_ and shown in the student's language."""
    return sub.add_parser(name, help=_(help), description=_(description), parents=list(parents),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="awslab", description=_(DESCRIPTION), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    lab_opts = _lab_options()

    p = _sub(sub, "up", N_("start the embedded cloud and JupyterLab on your copy of the course (Ctrl-C stops both)"),
             N_("Start the embedded cloud - AWS's APIs on http://127.0.0.1:4566 - if it is not running, then JupyterLab on your\n"
             "workspace copy of the course ($AWSLAB_HOME/workspace: your notebooks; the repository stays clean), in Korean\n"
             "or English (--lang). Terminals and notebooks in it reach the embedded cloud with plain aws and boto3.\n"
             "Ctrl-C (or SIGTERM) stops JupyterLab, and the cloud too if up started it, leaving no process and no open port.\n"
             "Options JupyterLab knows (e.g. --IdentityProvider.token=SECRET) are passed through to it."))
    p.add_argument("--port", type=int, default=None, help=_("JupyterLab's port (default 8888, or the next free one)"))
    p.add_argument("--ip", default=None, help=_("JupyterLab's address (default localhost; 0.0.0.0 in a container)"))
    p.add_argument("--no-browser", action="store_true", help=_("don't open a browser; JupyterLab prints its URL"))
    p.add_argument("--lang", choices=["ko", "en"], default=None,
                   help=_("the course's language: ko (한국어) or en (default: AWSLAB_LANG, else your locale)"))
    p.add_argument("--notebook-dir", default=None,
                   help=_("open this folder instead of your workspace copy of the course (for course authors: labs/)"))
    p.add_argument("--cloud-port", type=int, default=None, help=_("the embedded cloud's port (default 4566, or AWSLAB_PORT)"))
    p.add_argument("--export-endpoint", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old scripts
    p.add_argument("--no-export-endpoint", action="store_true",
                   help=_("don't set AWS_ENDPOINT_URL and test credentials for JupyterLab (by default plain boto3 and the "
                          "aws CLI in notebooks and terminals talk to the embedded cloud)"))
    p.set_defaults(func=cmd_up, takes_extra=True)

    p = _sub(sub, "cloud", N_("run the embedded cloud (AWS APIs on http://127.0.0.1:4566)"),
             N_("Serve the AWS APIs the labs use (EC2, ELBv2, Auto Scaling, CloudWatch, Logs, S3, RDS, Route 53, CloudFront,\n"
             "IAM/STS, tagging) on http://127.0.0.1:4566, the port LocalStack uses, so aws --endpoint-url, awslocal,\n"
             "AWS_ENDPOINT_URL and localstack-client all work. It is its own process, so a notebook kernel can restart\n"
             "without losing what it built. With no ACTION it runs in the foreground until Ctrl-C.\n"
             "It answers only programs on this machine: a request addressed to another host name, or made by a web\n"
             "page, is refused, and its control API (/_awslab/) also needs the token it writes to AWSLAB_HOME."))
    p.add_argument("action", nargs="?", choices=["run", "start", "stop", "status"], default="run",
                   help=_("run (foreground, default), start (background), stop, status (exit status 1 when it is not running)"))
    p.add_argument("--port", type=int, default=None, help=_("port to listen on (default 4566, or AWSLAB_PORT)"))
    p.add_argument("--region", default=None, help=_("default region (default ap-northeast-2, or AWSLAB_REGION)"))
    p.add_argument("--host", default=None, help=_("address to listen on (default 127.0.0.1, or AWSLAB_HOST; 0.0.0.0 in a container)"))
    p.set_defaults(func=cmd_cloud)

    p = _sub(sub, "build", N_("build the seed's architecture, layer by layer (idempotent)"),
             N_("Build the architecture of the seed notes in the order a person would, each layer an AWS concept:\n"
             "  network (VPC, subnets in 2 AZs, IGW, NAT, route tables) -> security (security groups) -> keys (EC2 key pair)\n"
             "  -> bastion (SSH host) -> database (RDS + DB subnet group) -> compute (launch template) -> loadbalancing\n"
             "  (target group, ALB, listener) -> autoscaling (ASG) -> scaling (policies and CloudWatch alarms) -> edge\n"
             "  (Route 53, S3, CloudFront).\n"
             "Every step finds its resource by tag first, so running it again creates nothing and resumes a build\n"
             "that stopped halfway."), [lab_opts])
    p.add_argument("--until", choices=LAYERS, default=None, metavar="LAYER",
                   help=_("stop after this layer ({layers})").format(layers=", ".join(LAYERS)))
    p.add_argument("--yes", action="store_true",
                   help=_("on a real account: build at the estimated cost without asking (needed where there is no terminal)"))
    p.set_defaults(func=cmd_build)

    p = _sub(sub, "sweep", N_("delete every expired lab on the real account, in every allowed region"),
             N_("Every resource a lab creates on a real account carries awslab:expires-at (ISO 8601, UTC; the default\n"
             "life is 4 hours, expiry_hours in $AWSLAB_HOME/real-aws.toml). sweep asks the Resource Groups Tagging API\n"
             "of every allowed region for those tags, tears each expired lab down with the ordinary teardown, and\n"
             "reports what it deleted. --dry-run only lists. Run it from cron, or before you leave (docs/real-aws.md)."))
    p.add_argument("--dry-run", action="store_true", help=_("list the labs and what would be deleted; delete nothing"))
    p.set_defaults(func=cmd_sweep)

    p = _sub(sub, "status", N_("is the cloud running, and what has the lab built (found by tag)?"),
             N_("Show whether the embedded cloud answers, its region and simulated clock, and every resource tagged\n"
             "awslab:lab=NAME, per layer - found through the Resource Groups Tagging API (GetResources), the way\n"
             "teardown finds them - plus the load balancer's DNS name, the address users reach."), [lab_opts])
    p.set_defaults(func=cmd_status)

    p = _sub(sub, "cli-log", N_("print the AWS CLI commands behind every build step, as a bash script"),
             N_("Every build step records the AWS CLI command that does the same thing. This prints them as a bash script\n"
             "with shell variables ($VPC_ID, $ALB_ARN ...) so you can replay the whole lab in a terminal - against the\n"
             "embedded cloud as written, or against real AWS once you remove the AWS_ENDPOINT_URL line."), [lab_opts])
    p.add_argument("-o", "--output", default=None, help=_("write the script to this file instead of printing it"))
    p.set_defaults(func=cmd_cli_log)

    p = _sub(sub, "export", N_("write what the lab built as a CloudFormation template (infrastructure as code)"),
             N_("Read every resource the lab built (describe calls, so it works on every backend) and write it as one\n"
             "CloudFormation template: resources refer to each other (!Ref, !GetAtt), never to the IDs this build got,\n"
             "and names come from the LabName parameter, so the template builds another copy anywhere. Take it to a\n"
             "real account with aws cloudformation deploy (README); it costs money there by the hour."), [lab_opts])
    p.add_argument("-o", "--output", default=None, help=_("write the template to this file instead of printing it"))
    p.add_argument("--fis", metavar="DIR", default=None,
                   help=_("write the drills as AWS FIS experiment templates (and their IAM role) into DIR instead"))
    p.set_defaults(func=cmd_export)

    p = _sub(sub, "teardown", N_("delete everything the lab created, in dependency order"),
             N_("Delete every resource tagged awslab:lab=NAME, in the reverse of build order (AWS refuses to delete a\n"
             "VPC that still has subnets, or a subnet that still has a NAT gateway), and report what was deleted.\n"
             "It finds everything by tag, so it works after any restart or a build that stopped halfway.\n"
             "It asks before deleting anything. With no terminal to ask in (a script, CI, a notebook's !awslab) it\n"
             "deletes nothing and exits with status 2, unless you pass --yes."), [lab_opts])
    p.add_argument("--yes", action="store_true", help=_("delete without asking (needed where there is no terminal)"))
    p.set_defaults(func=cmd_teardown)

    p = _sub(sub, "progress", N_("which of the course's checks you have passed, lab by lab"),
             N_("Every task a lab checks (and every question it asks) that you have passed, lab by lab. The record is local:\n"
             "$AWSLAB_HOME/progress.json, ids and times only."))
    p.set_defaults(func=cmd_progress)

    p = _sub(sub, "class", N_("the instructor's view of a class: who has passed which checks"),
             N_("  awslab class progress DIR...          each student's passed checks, lab by lab\n"
                "  awslab class progress --roster FILE   the same for a roster: one 'name path' per line\n"
                "DIR is a student's AWSLAB_HOME or their home folder (holding .awslab). Only each student's\n"
                "progress.json is read (task ids and times): never their keys, credentials or notebooks."))
    p.add_argument("action", choices=["progress"])
    p.add_argument("folders", nargs="*", metavar="DIR", help=_("a student's AWSLAB_HOME or home folder"))
    p.add_argument("--roster", default=None, help=_("a file with one 'name path' per line"))
    p.set_defaults(func=cmd_class)

    p = _sub(sub, "lab", N_("the course's labs: list them, or give yourself a fresh copy of one"),
             N_("  awslab lab list               the labs in order, with your progress and the time each takes\n"
             "  awslab lab reset 05           a fresh copy of lab 05 in your workspace (yours is kept beside it)\n"
             "  awslab lab reset 05 --progress  ... and forget which of its checks you passed"))
    p.add_argument("action", choices=["list", "reset"])
    p.add_argument("lab_id", nargs="?", help=_("the lab's number, e.g. 05"))
    p.add_argument("--lang", choices=["ko", "en"], default=None, help=_("which language's copy (default: your language)"))
    p.add_argument("--progress", action="store_true", help=_("with reset: also forget the lab's passed checks"))
    p.set_defaults(func=cmd_lab)

    p = _sub(sub, "present", N_("the instructor console full-screen in a browser, for a projector (Ctrl-C stops it)"),
             N_("Serve the lab's dashboard through Voila on http://127.0.0.1:8866/: live charts (CloudWatch through\n"
             "GetMetricData), the topology, the drill's story, the simulated clock, one button per drill and real traffic\n"
             "through the ALB, in large type for a projector. It starts the embedded cloud if it is not running.\n"
             "Ctrl-C stops Voila and its kernel (and the cloud, if this command started it). Options Voila knows are\n"
             "passed through to it. On JupyterHub it starts nothing: it puts the console in your server and prints its\n"
             "address through the Hub (/user/NAME/voila/render/...), with the class-progress notebook beside it."), [lab_opts])
    p.add_argument("--port", type=int, default=None, help=_("Voila's port (default 8866)"))
    p.add_argument("--lang", choices=["ko", "en"], default=None,
                   help=_("the dashboard's language: ko (한국어) or en (default: AWSLAB_LANG, else your locale)"))
    p.set_defaults(func=cmd_present, takes_extra=True)

    p = _sub(sub, "doctor", N_("check this machine, and print the fix for whatever is missing"),
             N_("Check Python, every package the lab needs (with versions), the cloud's port, JupyterLab, a Graphviz\n"
             "renderer, the AWS CLI, write access to AWSLAB_HOME and the loopback addresses the data plane binds.\n"
             "Each failed check prints the exact command that fixes it. Exit status 1 means something failed."))
    p.add_argument("--port", type=int, default=None, help=_("the cloud's port to check (default 4566, or AWSLAB_PORT)"))
    p.set_defaults(func=cmd_doctor)

    p = _sub(sub, "topology", N_("draw the running architecture, coloured by health, to an SVG or PNG file"),
             N_("Discover the lab's resources through the AWS APIs (read-only) and draw them: VPC, AZs side by side,\n"
             "public subnets above private ones, the request path with target health, and the Auto Scaling loop."), [lab_opts])
    p.add_argument("-o", "--output", required=True, help=_("the file to write: .svg, .png or .dot"))
    p.add_argument("--scope", choices=["lab", "account"], default="lab", help=_("this lab's resources (default) or the whole account"))
    p.add_argument("--layer", dest="layers", action="append", choices=["security_groups", "routes"],
                   help=_("add security-group allow edges and/or route edges (repeatable)"))
    p.set_defaults(func=cmd_topology)

    p = _sub(sub, "ssh-config", N_("write Host entries so ssh reaches the instances as on AWS"),
             N_("Every running instance accepts SSH on its own loopback address, guarded by its security groups. This\n"
             "writes an OpenSSH config that maps each instance's public IP, private IP and instance id onto that\n"
             "address, with its host key in a known_hosts file beside it, so the seed's commands work unchanged:\n"
             "  ssh-add <key>; ssh -F FILE -A ec2-user@<bastion public IP>; then on the bastion ssh ec2-user@10.0.11.x\n"
             "  ssh -F FILE -J ec2-user@<bastion public IP> ec2-user@10.0.11.x\n"
             "It prints the file's path; it never reads or prints a private key."), [lab_opts])
    p.add_argument("-o", "--output", default=None, help=_("the config file to write (default $AWSLAB_HOME/ssh/config)"))
    p.set_defaults(func=cmd_ssh_config)

    p = _sub(sub, "ca", N_("print the path of the lab CA's certificate, to trust for HTTPS (curl --cacert)"),
             N_("In the embedded cloud ACM signs certificates with the lab's own certificate authority, made once in\n"
                "$AWSLAB_HOME/ca. Clients trust it as browsers trust Amazon's CAs:\n"
                "  curl --cacert $(awslab ca) https://api.example.com:<port>/\n"
                "It prints the certificate's path; the CA's private key never leaves that folder (mode 0400)."))
    p.set_defaults(func=cmd_ca)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if extra and not getattr(args, "takes_extra", False):
        parser.error(_("unrecognized arguments: {args}").format(args=" ".join(extra)))
    from botocore.exceptions import ConnectionError as EndpointDown

    from ..errors import AwslabError
    from ..progress import enable_terminal

    enable_terminal()  # long waits draw a bar on stderr, when stderr is a terminal

    try:
        return int((args.func(args, extra) if getattr(args, "takes_extra", False) else args.func(args)) or 0)
    except AwslabError as e:
        print(f"awslab: {e}", file=sys.stderr)
        return 2
    except EndpointDown as e:  # LocalStack or another endpoint (the embedded cloud's outages are AwslabErrors)
        print(_(ENDPOINT_DOWN).format(error=e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
