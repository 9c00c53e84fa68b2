"""The ``awslab`` command.

    awslab up          start the embedded cloud (if needed) and JupyterLab on labs/
    awslab cloud       run the embedded cloud in the foreground (AWS APIs on :4566)
    awslab build       build the lab's architecture, layer by layer
    awslab status      what is running and what the lab has built
    awslab cli-log     the AWS CLI commands behind every build step
    awslab teardown    delete everything the lab created
    awslab doctor      check this machine and say how to fix what is missing
"""
from __future__ import annotations

import argparse
import sys


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
    import os

    if args.region:
        os.environ["AWSLAB_REGION"] = args.region
    from .cloud.server import serve

    serve(port=args.port or config.port())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="awslab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("cloud", help="run the embedded cloud (AWS APIs on http://127.0.0.1:4566)",
                       description="Serve the AWS APIs the labs use (EC2, ELBv2, Auto Scaling, CloudWatch, Logs, S3, RDS, "
                       "Route 53, CloudFront, IAM/STS, tagging) on http://127.0.0.1:4566, the port LocalStack uses, so "
                       "`aws --endpoint-url`, `awslocal`, AWS_ENDPOINT_URL and localstack-client all work. "
                       "With no ACTION it runs in the foreground until Ctrl-C.")
    p.add_argument("action", nargs="?", choices=["run", "start", "stop", "status"], default="run",
                   help="run (foreground, default), start (background), stop, status")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default 4566, or AWSLAB_PORT)")
    p.add_argument("--region", default=None, help="default region (default ap-northeast-2, or AWSLAB_REGION)")
    p.set_defaults(func=_cmd_cloud)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from .errors import AwslabError

    try:
        return int(args.func(args) or 0)
    except AwslabError as e:
        print(f"awslab: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
