"""Read-only helpers the checks share: find a lab's resources through the standard describe calls.

Nothing here changes anything. Every helper pages through results (never
assumes one page is everything) and matches the lab by its ``awslab:lab`` tag
and a resource by its ``Name`` tag, as the console's Name column shows it.
"""
from __future__ import annotations

from typing import Any, Iterator

from .. import config
from ..names import readable

__all__ = ["pages", "tags_of", "name_of", "lab_items", "lab_instances", "by_name", "short_id", "label", "LAB_TAG"]

LAB_TAG = config.LAB_TAG


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a describe/list call, across pages."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def tags_of(item: dict) -> dict[str, str]:
    """An EC2-style ``Tags`` list as a dict."""
    return {t.get("Key"): t.get("Value") for t in item.get("Tags", []) or []}


def name_of(item: dict) -> str:
    return tags_of(item).get("Name", "")


def lab_items(lab: Any, operation: str, key: str, **kwargs: Any) -> list[dict]:
    """EC2 items tagged ``awslab:lab=<lab>`` (filtered by the API, then checked again here)."""
    ec2 = lab.client("ec2")
    filters = list(kwargs.pop("Filters", [])) + [{"Name": f"tag:{LAB_TAG}", "Values": [lab.name]}]
    return [i for i in pages(ec2, operation, key, Filters=filters, **kwargs) if tags_of(i).get(LAB_TAG) == lab.name]


def lab_instances(lab: Any, states: tuple[str, ...] = ("pending", "running")) -> list[dict]:
    """The lab's EC2 instances (flattened out of their reservations) in ``states``."""
    ec2 = lab.client("ec2")
    filters = [{"Name": f"tag:{LAB_TAG}", "Values": [lab.name]}, {"Name": "instance-state-name", "Values": list(states)}]
    return [i for r in pages(ec2, "describe_instances", "Reservations", Filters=filters) for i in r.get("Instances", [])
            if tags_of(i).get(LAB_TAG) == lab.name and i["State"]["Name"] in states]


def by_name(items: list[dict], name: str) -> list[dict]:
    return [i for i in items if name_of(i) == name]


def short_id(arn_or_id: str) -> str:
    """A name a person reads: ``targetgroup/awslab-tg/73e2…`` -> ``awslab-tg``; an id stays an id."""
    return readable(arn_or_id)


def label(item_id: str, name: str = "") -> str:
    """``vpc-0abc (awslab-vpc)``: the id the CLI prints, and the name the console shows."""
    return f"{item_id} ({name})" if name else item_id
