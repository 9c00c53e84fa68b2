"""``awslab sweep``: find every lab on the real account by its expiry tag, and tear down the expired ones.

It asks each allowed region's Resource Groups Tagging API for everything tagged ``awslab:expires-at``
(https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html), groups it by
``awslab:lab``, and runs the lab's ordinary teardown (:mod:`awslab.layers.teardown`) on each lab whose expiry
has passed. The same listing is the reminder ``awslab up`` and ``awslab status`` print: labs still running, how
long, and what they cost so far (hours since creation x the hourly estimate they were built with).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .. import config
from ..i18n import N_, _
from .allowlist import check_caller, settings
from .expiry import EXPIRES_TAG, Expiry

__all__ = ["LabOnAccount", "SweepReport", "labs_on_account", "sweep", "reminder"]

RUNNING = N_("Lab '{lab}' in {region} is still running on a real account: {hours:.1f} h so far, about ${cost:.2f} "
             "(${per_hour:.3f}/h); it expires at {expires} UTC.")
RUNNING_FIX = N_("Delete it when you are done: awslab teardown --backend aws --allow-real-aws --region {region} --lab {lab} "
                 "(or awslab sweep once it has expired).")
REMOVED = N_("Lab '{lab}' in {region} expired at {expires} UTC: deleted {n} resources{clean}.")
WOULD_REMOVE = N_("Lab '{lab}' in {region} expired at {expires} UTC: {n} tagged resources would be deleted (dry run).")
KEPT = N_("Lab '{lab}' in {region} runs until {expires} UTC: kept.")
NOTHING = N_("No lab on the account carries an expiry tag in {regions}.")
LEFT = N_(", but some remain (run awslab sweep again, or see awslab status)")


@dataclass(frozen=True)
class LabOnAccount:
    """One lab found on the account by its tags."""

    name: str
    region: str
    expiry: Expiry
    resources: tuple[str, ...]

    def expired(self, now: dt.datetime) -> bool:
        return self.expiry.expires_at <= now

    def hours(self, now: dt.datetime) -> float:
        return max(0.0, (now - self.expiry.created_at).total_seconds() / 3600)

    def cost_so_far(self, now: dt.datetime) -> float:
        return self.hours(now) * self.expiry.usd_per_hour

    def reminder(self, now: dt.datetime) -> str:
        return _(RUNNING).format(lab=self.name, region=self.region, hours=self.hours(now), cost=self.cost_so_far(now),
                                 per_hour=self.expiry.usd_per_hour, expires=self.expiry.expires_at.strftime("%Y-%m-%d %H:%M"))


@dataclass
class SweepReport:
    """What the sweep found and did, lab by lab."""

    regions: tuple[str, ...]
    dry_run: bool
    lines: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    teardowns: list[Any] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines or [_(NOTHING).format(regions=", ".join(self.regions))])


def _aws_lab(name: str, region: str) -> Any:
    from ..lab import Lab

    return Lab(name=name, backend="aws", region=region, allow_real_aws=True)


def labs_on_account(region: str) -> list[LabOnAccount]:
    """Every lab with an expiry tag in ``region`` (the account and region checked against the allow-lists first)."""
    probe = _aws_lab("awslab", region)
    check_caller(probe)
    found: dict[str, list[tuple[str, dict[str, str]]]] = {}
    pages = probe.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(TagFilters=[{"Key": EXPIRES_TAG}])
    for page in pages:
        for item in page.get("ResourceTagMappingList", []):
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            if tags.get(config.LAB_TAG):
                found.setdefault(tags[config.LAB_TAG], []).append((item["ResourceARN"], tags))
    labs = []
    for name, items in sorted(found.items()):
        expiries = [e for e in (Expiry.from_tags(tags) for _arn, tags in items) if e is not None]
        if expiries:  # the earliest creation and expiry any of its resources carries
            first = Expiry(min(e.created_at for e in expiries), min(e.expires_at for e in expiries),
                           max(e.usd_per_hour for e in expiries))
            labs.append(LabOnAccount(name, region, first, tuple(arn for arn, _t in items)))
    return labs


def sweep(dry_run: bool = False, now: dt.datetime | None = None) -> SweepReport:
    """Tear down every expired lab in every allowed region (``dry_run``: only list them); report each lab."""
    now = now or dt.datetime.now(dt.timezone.utc)
    regions = settings().allowed_regions
    report = SweepReport(regions, dry_run)
    for region in regions:
        for lab in labs_on_account(region):
            expires = lab.expiry.expires_at.strftime("%Y-%m-%d %H:%M")
            if not lab.expired(now):
                report.kept.append(f"{region}/{lab.name}")
                report.lines.append(_(KEPT).format(lab=lab.name, region=region, expires=expires))
            elif dry_run:
                report.lines.append(_(WOULD_REMOVE).format(lab=lab.name, region=region, expires=expires, n=len(lab.resources)))
            else:
                done = _aws_lab(lab.name, region).teardown()
                report.teardowns.append(done)
                report.removed.append(f"{region}/{lab.name}")
                report.lines.append(_(REMOVED).format(lab=lab.name, region=region, expires=expires, n=len(done.deleted),
                                                      clean="" if done.clean else _(LEFT)))
                report.lines += [f"    - {d.service} {d.resource_type} {d.resource_id}" for d in done.deleted]
    return report


def reminder(now: dt.datetime | None = None) -> list[str]:
    """The labs still running on the real account, one line each with what they cost so far; [] when none.

    Only where the guardrails are configured (someone allowed an account); any failure to ask AWS (no network,
    expired credentials) is one line saying so, never an error: a reminder must not stop ``awslab up``.
    """
    from ..errors import AwslabError

    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        found = settings()
        if not found.configured:
            return []
        labs = [lab for region in found.allowed_regions for lab in labs_on_account(region)]
    except (AwslabError, Exception) as e:  # noqa: BLE001 - botocore's errors too: the reminder is best-effort
        return [_(NO_REMINDER).format(error=str(e).splitlines()[0] if str(e) else type(e).__name__)]
    return [line for lab in labs for line in (lab.reminder(now), "  " + _(RUNNING_FIX).format(region=lab.region, lab=lab.name))]


NO_REMINDER = N_("Could not list your labs on the real account ({error}); check them with awslab sweep --dry-run.")
