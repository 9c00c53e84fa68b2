"""The ``Lab``: one object that knows which cloud you are talking to.

The same boto3 calls serve three backends:

- ``embedded`` (default): awslab's own cloud on http://127.0.0.1:4566, started when needed.
- ``endpoint``: any AWS-compatible URL, such as LocalStack.
- ``aws``: a real account. It costs money, so it is refused unless you opt in.

A ``Lab`` also tags what it creates (so teardown can find it after any
restart) and keeps the AWS CLI command for every step (``lab.cli_log()``).
"""
from __future__ import annotations

import dataclasses
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from botocore.config import Config

from . import config, sdk
from .cloud import access_keys
from .cloud.outage import BootWatch, CloudRestart, restart_since_built, watch
from .errors import BackendError, ValidationError
from .layers.validate import lab_name
from .i18n import _

if TYPE_CHECKING:  # pragma: no cover
    from .cloud.process import CloudProcess

Backend = Literal["embedded", "endpoint", "aws"]
BACKENDS = ("embedded", "endpoint", "aws")
OPT_IN_ENV = "AWSLAB_ALLOW_REAL_AWS"
#: The layer (awslab.layers) each EC2 resource type belongs to, for Lab.tag_spec.
_LAYER_OF = {"vpc": "network", "subnet": "network", "internet-gateway": "network", "route-table": "network",
             "natgateway": "network", "elastic-ip": "network", "security-group": "security", "key-pair": "keys",
             "launch-template": "compute", "instance": "compute", "volume": "compute", "network-interface": "compute"}


@dataclass
class CliStep:
    """One AWS CLI command that does what a build step did."""

    key: str
    command: str
    comment: str = ""
    #: The embedded cloud's boot id when the step ran (a restart forgets what it built).
    boot: str | None = None


@dataclass
class CliLog:
    """The AWS CLI commands for everything the lab built, in order: a replayable shell script."""

    lab: str
    endpoint_url: str | None
    region: str
    steps: list[CliStep] = field(default_factory=list)
    #: Shown folded in a notebook (a few layers' commands beside what they built), not as the whole script.
    folded: bool = False

    def only(self, *layers: str) -> "CliLog":
        """The commands of some layers only, e.g. ``lab.cli_log().only("network")``; shown folded in a notebook."""
        return CliLog(self.lab, self.endpoint_url, self.region,
                      [s for s in self.steps if s.key.split("/", 1)[0] in layers], folded=True)

    def commands(self) -> str:
        """The commands with their comments, without the script's header."""
        body: list[str] = []
        layer = None
        for s in _in_layer_order(self.steps):
            if _layer(s) != layer and _layer(s) in _layers():
                layer = _layer(s)
                body.append("\n# {n}. {layer} ".format(n=_layers().index(layer) + 1, layer=layer).ljust(72, "-"))
            if s.comment:
                body.append(f"\n# {s.comment}")
            body.append(s.command)
        return "\n".join(body).lstrip("\n")

    def script(self) -> str:
        head = ["#!/usr/bin/env bash", "# " + _("awslab '{lab}': the AWS CLI commands behind every build step.").format(lab=self.lab), "set -euo pipefail",
                f"export AWS_DEFAULT_REGION={self.region}"]
        if self.endpoint_url:
            head.append(f"export AWS_ENDPOINT_URL={self.endpoint_url}  # " + _("remove this line to run against real AWS"))
        return "\n".join(head) + "\n" + self.commands() + "\n"

    def __str__(self) -> str:
        return self.commands() if self.folded else self.script()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """Whole commands, wrapped at the cell's width (never cut); a few layers' folded under a one-line summary."""
        import html

        from .i18n import _

        pre = f"<pre style='white-space:pre-wrap;overflow-wrap:anywhere'>{html.escape(str(self))}</pre>"
        if not self.folded:
            return pre
        summary = _("The AWS CLI for this: {n} command(s)").format(n=len(self.steps))
        return f"<details><summary>{html.escape(summary)}</summary>{pre}</details>"


def _layers() -> tuple[str, ...]:
    from .layers._base import LAYERS

    return LAYERS


def _layer(step: CliStep) -> str:
    """A step's layer: its key's first part ('network/vpc' -> 'network')."""
    return step.key.split("/", 1)[0]


def _in_layer_order(steps: list[CliStep]) -> list[CliStep]:
    """The steps with the layers in build order (each layer's steps in the order they were recorded), so a layer
    rebuilt later (a new launch template version, say) still lands in its place and its variables exist before use."""
    order = {name: i for i, name in enumerate(_layers())}
    return sorted(steps, key=lambda s: order.get(_layer(s), len(order)))


class Lab:
    """Where the lab runs, and the bookkeeping every build step shares.

    >>> lab = Lab()                     # embedded cloud, started if needed
    >>> lab = Lab(backend="endpoint", endpoint_url="http://localhost:4566")   # LocalStack
    >>> lab = Lab(backend="aws", allow_real_aws=True)                         # a real account
    """

    def __init__(
        self,
        name: str = "awslab",
        backend: Backend | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        allow_real_aws: bool = False,
        start_cloud: bool = True,
        profile: str | None = None,
    ):
        backend = backend or os.environ.get("AWSLAB_BACKEND") or "embedded"  # type: ignore[assignment]
        if backend not in BACKENDS:
            raise ValidationError("backend", backend, _("must be one of {items}").format(items=', '.join(BACKENDS)),
                                  _("Use Lab() for the free embedded cloud, Lab(backend='endpoint', endpoint_url=...) for LocalStack."))
        self.backend: Backend = backend  # type: ignore[assignment]
        self.region = config.check_region(region, "region") if region is not None else config.region()
        # Every resource's name is derived from the lab's: one rule keeps them all valid (awslab.layers.validate).
        self.name = lab_name(name, self.region)
        self.profile = profile
        #: The embedded cloud as this Lab found it (``started`` says whether the Lab started it); None elsewhere.
        self.cloud: CloudProcess | None = None
        self._boot: BootWatch | None = None
        if backend == "embedded":
            self.endpoint_url: str | None = endpoint_url or config.endpoint_url()
            self._boot = BootWatch(self.endpoint_url)
            if start_cloud:
                from .cloud import ensure_cloud

                self.cloud = ensure_cloud(config.check_port(urlsplit(self.endpoint_url).port or 80, "endpoint_url"))
                self._boot.boot_id = self.cloud.boot_id
        elif backend == "endpoint":
            self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
            if not self.endpoint_url:
                raise ValidationError("endpoint_url", None, _("the endpoint backend needs the URL of an AWS-compatible service"),
                                      _("Pass endpoint_url='http://localhost:4566' (LocalStack's default) or set AWS_ENDPOINT_URL."))
        else:
            if not (allow_real_aws or os.environ.get(OPT_IN_ENV) == "1"):
                raise BackendError(
                    _("The 'aws' backend creates real resources in a real AWS account, and they cost money (a NAT gateway "
                    "alone is billed by the hour)."),
                    _("Opt in explicitly: Lab(backend='aws', allow_real_aws=True), or set {OPT_IN_ENV}=1. Run "
                      "lab.teardown() when you are done.").format(OPT_IN_ENV=OPT_IN_ENV),
                )
            self.endpoint_url = None
        self._clients: dict[str, Any] = {}
        self._cli: dict[str, CliStep] = {}
        #: On the aws backend: the expiry tags of the build the student confirmed (see :meth:`confirm_cost`).
        self._expiry: Any = None
        self._load_cli_log()

    # -- clients -----------------------------------------------------------
    def client(self, service: str):
        """A boto3 client for ``service`` on this lab's backend (cached)."""
        client = self._clients.get(service)
        if client is not None:  # made already: no lock (another thread may be creating a different client)
            return client
        with sdk.SESSION_LOCK:  # discovery creates clients from several threads
            if service not in self._clients:
                kwargs: dict[str, Any] = {"region_name": self.region,
                                          "config": Config(retries={"max_attempts": 3, "mode": "standard"})}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                    kwargs.update(access_keys.embedded_credentials())
                client = sdk.session(None if self.endpoint_url else self.profile).client(service, **kwargs)
                if self._boot is not None:  # the embedded cloud stopping or restarting reads as a paragraph
                    watch(client, self._boot)
                self._clients[service] = client
            return self._clients[service]

    # -- tags --------------------------------------------------------------
    def tags(self, name: str, layer: str, **extra: str) -> list[dict[str, str]]:
        """The tags every resource of this lab carries: Name, awslab:lab and awslab:layer.

        On a real account also ``awslab:created-at``, ``awslab:expires-at`` and ``awslab:usd-per-hour``
        (:mod:`awslab.guardrails.expiry`), which exist only once the student confirmed the cost: every build step
        tags what it creates through here, so nothing is created on a real account before that.
        """
        tags = {"Name": name, config.LAB_TAG: self.name, config.LAYER_TAG: layer, **extra}
        if self.backend == "aws":
            tags.update(self._confirmed_expiry().tags())
        return [{"Key": k, "Value": v} for k, v in tags.items()]

    def tag_spec(self, resource_type: str, name: str, layer: str | None = None) -> list[dict[str, Any]]:
        """EC2's ``TagSpecifications`` for one new resource: ``[{"ResourceType": ..., "Tags": lab.tags(name, layer)}]``.

        The layer defaults to the one the resource type belongs to (a subnet is ``network``, an instance ``compute``).
        """
        layer = layer or _LAYER_OF.get(resource_type, "course")
        return [{"ResourceType": resource_type, "Tags": self.tags(name, layer)}]

    def resource_name(self, suffix: str) -> str:
        """``<lab>-<suffix>``, the Name of a resource, e.g. ``awslab-vpc``."""
        return f"{self.name}-{suffix}"

    def lab_filters(self, name: str | None = None) -> list[dict[str, Any]]:
        """EC2 describe filters that find this lab's resources (optionally one by Name)."""
        filters = [{"Name": f"tag:{config.LAB_TAG}", "Values": [self.name]}]
        if name:
            filters.append({"Name": "tag:Name", "Values": [name]})
        return filters

    # -- the AWS CLI log -----------------------------------------------------
    def record(self, key: str, command: list[str] | str, comment: str = "", var: str | None = None, query: str | None = None) -> None:
        """Remember the AWS CLI command for a step. ``key`` makes re-runs replace, not repeat.

        With ``var`` and ``query`` the command is written as
        ``VAR=$(aws ... --query Q --output text)`` so later commands can use ``$VAR``.
        """
        if isinstance(command, list):
            command = " ".join(a if a.startswith("$") else shlex.quote(a) for a in command)
        if var and query:
            command = f"{var}=$({command} --query {shlex.quote(query)} --output text)"
        self._cli[key] = CliStep(key, command, comment, self._boot.boot_id if self._boot else None)
        self._save_cli_log()

    def cli_log(self) -> CliLog:
        """The AWS CLI commands behind every build step so far, as a replayable script."""
        return CliLog(self.name, self.endpoint_url, self.region, list(self._cli.values()))

    def state_dir(self) -> Path:
        """This lab's local files (CLI log, where its keys live): ``$AWSLAB_HOME/labs/<lab>-<backend>-<region>``."""
        where = config.lab_dir(self.name, self.backend, self.region)
        where.mkdir(parents=True, exist_ok=True)
        return where

    # -- the embedded cloud under the lab ----------------------------------------------
    def cloud_restart(self) -> CloudRestart | None:
        """Probe: did the embedded cloud restart since this lab built something (so its resources are gone)?

        The answer also lists the lab's key files still on this machine. None when it did not, or on other backends.
        """
        restart = restart_since_built(self)
        if restart is None:
            return None
        from .layers.keys import local_key_files

        return dataclasses.replace(restart, key_files=tuple(local_key_files(self)))

    def _acknowledge_restart(self) -> None:
        if self._boot is not None:
            self._boot.acknowledge()

    def _cli_path(self) -> Path:
        return self.state_dir() / "cli-log.json"

    def _save_cli_log(self) -> None:
        import json

        self._cli_path().write_text(json.dumps([s.__dict__ for s in self._cli.values()], indent=1))

    def _load_cli_log(self) -> None:
        import json

        path = self._cli_path()
        if path.exists():
            try:
                self._cli = {s["key"]: CliStep(**s) for s in json.loads(path.read_text())}
            except (ValueError, TypeError, KeyError):
                self._cli = {}

    def clear_cli_log(self) -> None:
        self._cli = {}
        self._save_cli_log()

    # -- a real account's guardrails -------------------------------------------
    def confirm_cost(self, spec: Any = None, until: str | None = None, confirm: bool = False, skip: tuple[str, ...] = ()):
        """On the aws backend: check the account and region against the allow-lists (STS), estimate what building
        ``spec`` up to ``until`` costs, and, with ``confirm=True``, allow this Lab to create resources, each tagged
        to expire (:mod:`awslab.guardrails`). Without ``confirm`` it raises with the estimate, creating nothing.
        Returns the :class:`~awslab.guardrails.estimate.Estimate` (None on the free backends).
        """
        if self.backend != "aws":
            return None
        from .guardrails.confirm import confirm_cost

        self._expiry, est = confirm_cost(self, spec, until, confirm, skip)
        return est

    def _confirmed_expiry(self):
        from .guardrails.confirm import require_confirmed

        self._expiry = require_confirmed(self, self._expiry)
        return self._expiry

    # -- the whole stack -------------------------------------------------------
    def build(self, until: str | None = None, spec: Any = None, confirm: bool = False):
        """Build every layer in order (or up to and including ``until``). See :mod:`awslab.layers.stack`.

        On a real account the build first shows its cost estimate and needs ``confirm=True`` (see :meth:`confirm_cost`).
        """
        from .layers.stack import build_stack

        self._acknowledge_restart()  # a build after a restart simply builds everything again
        if self.backend == "aws":
            self.confirm_cost(spec, until, confirm)
        return build_stack(self, spec, until=until)

    def teardown(self):
        """Delete everything this lab created, found by its tag, in dependency order. See :mod:`awslab.layers.teardown`."""
        from .layers.teardown import teardown

        self._acknowledge_restart()  # after a restart there is less to delete, not an error
        return teardown(self)

    def export(self):
        """What this lab built, as a CloudFormation template (``.write("template.yaml")``). See :mod:`awslab.iac`."""
        from .iac import export_template

        return export_template(self)

    def export_fis(self, directory: str | Path, app_fault: str = "unhealthy") -> list[Path]:
        """The drills' faults as AWS FIS experiment templates, with their role, written into ``directory`` (for a
        real account; nothing is created). See :mod:`awslab.drills.fis`."""
        from .drills.fis import export_fis

        return export_fis(self, directory, app_fault)

    def topology(self, **kw: Any):
        """Draw what this lab is running, coloured by health (inline in JupyterLab); ``focus="network"`` draws that
        layer in full and the rest in grey. See :func:`awslab.topology.topology`."""
        from .topology import topology

        return topology(self, **kw)

    def __repr__(self) -> str:
        where = self.endpoint_url or "real AWS"
        return f"Lab(name={self.name!r}, backend={self.backend!r}, region={self.region!r}, endpoint={where!r})"
