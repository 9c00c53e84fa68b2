"""The gate before a build on a real account: allowed account and region (STS), the estimate, the confirmation.

``Lab.build(confirm=True)`` (``awslab build --yes``, or the CLI's prompt) passes it; without the confirmation the
student sees the estimate in the error and nothing is created. A build step called on its own (``build_network(lab)``)
meets the same gate in :meth:`awslab.lab.Lab.tags`, since every step tags what it creates.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..i18n import N_, _
from . import GuardrailError
from .allowlist import check_caller, settings
from .estimate import Estimate, estimate
from .expiry import Expiry, existing, start

__all__ = ["confirm_cost", "require_confirmed", "CostNotConfirmed"]

NOT_CONFIRMED = N_("Nothing was created: a build on a real account (account {account}) needs your confirmation of "
                   "what it costs. The lab expires at {expires} UTC; `awslab sweep` deletes it then.\n{estimate}")
NOT_CONFIRMED_FIX = N_("If that is fine, build with lab.build(confirm=True) (CLI: awslab build --yes, or answer y), "
                       "and "
                       "run lab.teardown() when you are done.")
NO_GATE = N_("Lab '{lab}' is on a real account and its cost has not been confirmed, so it may not create anything yet.")
NO_GATE_FIX = N_("Call lab.confirm_cost(confirm=True) (it shows the estimate) or lab.build(confirm=True) first.")


class CostNotConfirmed(GuardrailError):
    """The estimate, shown instead of building: the student has not confirmed the cost."""

    def __init__(self, problem: str, fix: str, est: Estimate):
        super().__init__(problem, fix)
        self.estimate = est


def confirm_cost(lab: Any, spec: Any, until: str | None, confirm: bool,
                 skip: tuple[str, ...] = ()) -> tuple[Expiry, Estimate]:
    """Allow-lists (STS), then the estimate; the lab's expiry if ``confirm``, else CostNotConfirmed."""
    who = check_caller(lab)
    hours = settings().expiry_hours
    est = estimate(lab.name, lab.region, spec, until, hours, skip)
    expiry = start(lab, hours, est.per_hour)
    if confirm is not True:
        expires = expiry.expires_at.strftime("%Y-%m-%d %H:%M")
        raise CostNotConfirmed(_(NOT_CONFIRMED).format(account=who.account, expires=expires, estimate=est.text()),
                               _(NOT_CONFIRMED_FIX), est)
    return expiry, est


def require_confirmed(lab: Any, expiry: Expiry | None) -> Expiry:
    """``expiry``; else the expiry of the lab's confirmed build, still running (a drill from a fresh kernel tags
    its own resources with it, in an allowed account); else a GuardrailError saying the cost is not confirmed yet."""
    if expiry is not None:
        return expiry
    check_caller(lab)
    found = existing(lab)
    if found is None or found.expires_at <= dt.datetime.now(dt.timezone.utc):
        raise GuardrailError(_(NO_GATE).format(lab=lab.name), _(NO_GATE_FIX))
    return found
