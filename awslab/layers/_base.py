"""What every build step shares: typed results, find-by-tag, and AWS error translation.

A build step is an *ensure*: it looks for the resource by its tags first, and
creates it only if it is missing. Running a step twice creates nothing the
second time and returns the same IDs.
"""
from __future__ import annotations

import dataclasses
import html
from typing import Any, Callable, Iterator

from botocore.exceptions import ClientError

from ..errors import AwslabError, ValidationError, translate
from ..names import readable
from . import validate
from ..i18n import _

#: The layers in build order (their numbers in the CLI log). The database comes before the launch template
#: because the web app's user data needs the database's address.
LAYERS = ("network", "security", "keys", "bastion", "database", "compute", "loadbalancing", "autoscaling", "scaling", "edge")


@dataclasses.dataclass
class Built:
    """Base of every build step's result: a small dataclass that shows itself as a tidy table.

    ``created`` lists the IDs this run created; it is empty on a re-run. In a
    notebook and in ``repr`` an ARN shows as the name the console shows
    (``awslab-tg``); the full ARN stays in the field for code to use.
    """

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        # @dataclass keeps a __repr__ the class body already has, so every result gets the tidy one.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Built.__repr__

    def _fields(self) -> list[tuple[str, Any]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if not f.name.startswith("_")]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self._fields() if k != "created")
        made = getattr(self, "created", None)
        tail = f", created={len(made)}" if isinstance(made, list) else ""
        return f"{type(self).__name__}({shown}{tail})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(k)}</th>"
            f"<td style='text-align:left;white-space:normal'>{_html_value(v)}</td></tr>"
            for k, v in self._fields() if k != "created")
        made = getattr(self, "created", None)
        if isinstance(made, list):
            rows += (f"<tr><th style='text-align:left'>created</th><td style='text-align:left;white-space:normal'>"
                     f"{len(made)}{': ' + html.escape(', '.join(map(readable, made))) if made else ''}</td></tr>")
        return f"<table><caption style='text-align:left'><b>{type(self).__name__}</b></caption>{rows}</table>"


def _html_value(v: Any) -> str:
    """One field's value as HTML: a list of results as a small table (a row each), a list or a dict one item a line,
    ARNs as the names the console shows; never one long line of reprs."""
    if isinstance(v, Built):
        v = [v]
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, Built) for x in v):
        names = [k for k, _x in v[0]._fields() if k != "created"]
        head = "".join(f"<th style='text-align:left;font-weight:normal;font-style:italic'>{html.escape(k)}</th>" for k in names)
        rows = "".join("<tr>" + "".join(f"<td style='text-align:left'><code>{html.escape(_short(getattr(x, k)))}</code></td>"
                                        for k in names) + "</tr>" for x in v)
        return f"<table style='margin:0'><tr>{head}</tr>{rows}</table>"
    if isinstance(v, dict):
        items = [f"{k}: {_short(x)}" if _short(x) != str(k) else str(k) for k, x in v.items()]
    elif isinstance(v, (list, tuple)):
        items = [_short(x) for x in v]
    else:
        return f"<code>{html.escape(_short(v))}</code>"
    return "<br>".join(f"<code>{html.escape(item)}</code>" for item in items) if items else "<code>[]</code>"


def _short(v: Any) -> str:
    if isinstance(v, Built):
        return f"{type(v).__name__}({', '.join(f'{k}={_short(x)}' for k, x in v._fields() if k != 'created')})"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_short(x)}" for k, x in v.items()) + "}"
    return readable(v) if isinstance(v, str) else str(v)


def call(fn: Callable[..., Any], doing: str, fix: str = "", error: type[AwslabError] = AwslabError, **kwargs: Any) -> Any:
    """Call a boto3 method; turn a ``ClientError`` into an awslab error that says what we were doing."""
    try:
        return fn(**kwargs)
    except ClientError as e:
        raise translate(e, doing, fix, error) from e


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a paginated describe call (never assume one page is everything)."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def tag_spec(tags: list[dict[str, str]], *resource_types: str) -> list[dict[str, Any]]:
    """EC2's ``TagSpecifications`` for ``resource_types``, so a resource is tagged as it is created."""
    return [{"ResourceType": rt, "Tags": tags} for rt in resource_types]


def cli_tags(resource_type: str, tags: list[dict[str, str]]) -> str:
    """The ``--tag-specifications`` argument the AWS CLI takes for ``tags``."""
    inner = ",".join(f"{{Key={t['Key']},Value={t['Value']}}}" for t in tags)
    return f"ResourceType={resource_type},Tags=[{inner}]"


def cli_tag_list(tags: list[dict[str, str]]) -> list[str]:
    """The ``--tags`` shorthand most services take (RDS, ELB, IAM, CloudWatch, Route 53): one ``Key=...,Value=...`` per tag."""
    return [f"Key={t['Key']},Value={t['Value']}" for t in tags]


def tag_value(tags: list[dict[str, str]] | None, key: str) -> str | None:
    for t in tags or []:
        if t.get("Key") == key:
            return t.get("Value")
    return None


def lab_nat_gateways(lab: Any, name: str | None = None, states: tuple[str, ...] = ("pending", "available")) -> list[dict]:
    """This lab's NAT gateways (optionally one by Name) in ``states``.

    Filtered here, not by the API: moto 5.2.5's DescribeNatGateways ignores tag
    filters, and trusting it would pick up (or delete!) another lab's gateway.
    """
    from .. import config

    ec2 = lab.client("ec2")
    found = []
    for nat in paginate(ec2, "describe_nat_gateways", "NatGateways", Filter=lab.lab_filters(name)):
        tags = nat.get("Tags")
        if tag_value(tags, config.LAB_TAG) != lab.name or (name and tag_value(tags, "Name") != name):
            continue
        if nat.get("State") in states:
            found.append(nat)
    return found


def check_instance_type(lab: Any, field: str, instance_type: Any) -> str:
    """Probe: ``instance_type`` is written as one and EC2 offers it in the lab's region. Changes nothing."""
    validate.INSTANCE_TYPE.check(field, instance_type, "Use e.g. 't3.micro' (the seed's choice), 't3.small' or 'm7i.large'.")
    try:
        lab.client("ec2").describe_instance_types(InstanceTypes=[instance_type])
    except ClientError as e:
        if "InvalidInstanceType" not in e.response.get("Error", {}).get("Code", ""):
            raise translate(e, _("looking up the instance type {t}").format(t=instance_type)) from e
        raise ValidationError(field, instance_type, _("EC2 has no such instance type in {region}").format(
            region=lab.region),
                              _("Use e.g. 't3.micro'; `aws ec2 describe-instance-types` lists them.")) from None
    return instance_type


def check_image(lab: Any, field: str, image_id: Any) -> str:
    """Probe: ``image_id`` is written as an AMI ID and EC2 has that image in the lab's region. Changes nothing."""
    fix = "Leave image_id=None to use the newest Amazon Linux 2023 AMI."
    validate.IMAGE_ID.check(field, image_id, fix)
    try:
        found = lab.client("ec2").describe_images(ImageIds=[image_id]).get("Images", [])
    except ClientError as e:
        if "InvalidAMIID" not in e.response.get("Error", {}).get("Code", ""):
            raise translate(e, _("looking up the image {ami}").format(ami=image_id)) from e
        found = []
    if not found:
        raise ValidationError(field, image_id, _("EC2 has no such image in {region} (an AMI ID belongs to one region)").format(
            region=lab.region), fix)
    return image_id
