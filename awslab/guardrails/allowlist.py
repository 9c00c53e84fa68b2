"""Which AWS accounts and regions a lab may build in, checked with STS before anything is created.

The lists come from ``$AWSLAB_HOME/real-aws.toml``::

    # Which accounts and regions awslab may create resources in (both lists must name something).
    allowed_accounts = ["123456789012"]
    allowed_regions = ["ap-northeast-2", "us-east-1"]
    # How long a lab lives before `awslab sweep` deletes it (hours; default 4).
    expiry_hours = 4

or from the environment, which wins over the file when set (so a CI job can narrow it):
``AWSLAB_ALLOWED_ACCOUNTS`` and ``AWSLAB_ALLOWED_REGIONS`` (comma-separated), ``AWSLAB_EXPIRY_HOURS``.

Empty lists allow nothing: a real account is used only where a person wrote its id down. The account is
whatever ``sts.get_caller_identity()`` answers for the credentials in use
(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), so a profile that points
at the wrong account is refused, whatever it is called.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from .. import config
from ..i18n import N_, _
from . import GuardrailError

__all__ = ["Settings", "Identity", "settings", "check_caller", "SETTINGS_FILE", "DEFAULT_EXPIRY_HOURS"]

SETTINGS_FILE = "real-aws.toml"
#: A lab on a real account lives this long unless the settings say otherwise: an afternoon's class.
DEFAULT_EXPIRY_HOURS = 4.0
#: An AWS account id: twelve digits
#: (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html).
ACCOUNT_ID = re.compile(r"\d{12}")

NO_LISTS = N_("awslab builds on a real account only in accounts and regions you allowed, and {missing} allows "
              "nothing yet.")
NO_LISTS_FIX = N_("Write {path} with allowed_accounts = [\"{account}\"] and allowed_regions = [\"{region}\"] (see "
                  "docs/real-aws.md), or set AWSLAB_ALLOWED_ACCOUNTS and AWSLAB_ALLOWED_REGIONS.")
WRONG_ACCOUNT = N_("The credentials in use belong to account {account} ({arn}), which is not in the allowed accounts "
                   "({allowed}).")
WRONG_ACCOUNT_FIX = N_("Switch to a profile of an allowed account (AWS_PROFILE=...), or, if this account is meant for "
                       "the lab, add \"{account}\" to allowed_accounts in {path}.")
WRONG_REGION = N_("The lab's region {region} is not in the allowed regions ({allowed}).")
WRONG_REGION_FIX = N_("Use one of them (Lab(region=...), --region or AWSLAB_REGION), or add \"{region}\" to "
                      "allowed_regions in {path}.")
BAD_FILE = N_("{path} is not valid TOML: {error}.")
BAD_FILE_FIX = N_("Fix the file; docs/real-aws.md shows its shape (allowed_accounts, allowed_regions, expiry_hours).")
BAD_VALUE = N_("{source} has {value!r}, which is not {what}.")
BAD_VALUE_FIX = N_("Write account ids as 12 digits in quotes, regions as codes such as ap-northeast-2, hours as a "
                   "number above 0.")


@dataclass(frozen=True)
class Settings:
    """The guardrails' settings, from the file and the environment."""

    allowed_accounts: tuple[str, ...] = ()
    allowed_regions: tuple[str, ...] = ()
    expiry_hours: float = DEFAULT_EXPIRY_HOURS

    @property
    def configured(self) -> bool:
        """Has anyone allowed anything (so a real account may have labs to remind about)?"""
        return bool(self.allowed_accounts and self.allowed_regions)


@dataclass(frozen=True)
class Identity:
    """Who the credentials are, as STS says."""

    account: str
    arn: str
    region: str


def _path():
    return config.home() / SETTINGS_FILE


def _bad(source: str, value: Any, what: str) -> GuardrailError:
    return GuardrailError(_(BAD_VALUE).format(source=source, value=value, what=what), _(BAD_VALUE_FIX))


def _accounts(values: Any, source: str) -> tuple[str, ...]:
    items = tuple(str(v).strip() for v in values) if isinstance(values, list) else None
    if items is None or not all(ACCOUNT_ID.fullmatch(v) for v in items):
        raise _bad(source, values, _("a list of 12-digit account ids"))
    return items


def _regions(values: Any, source: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise _bad(source, values, _("a list of Region codes"))
    return tuple(config.check_region(str(v).strip(), source) for v in values)


def _hours(value: Any, source: str) -> float:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        hours = 0.0
    if isinstance(value, bool) or not 0 < hours <= 24 * 14:
        raise _bad(source, value, _("a number of hours above 0 (at most two weeks)"))
    return hours


def _read_file() -> dict[str, Any]:
    path = _path()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise GuardrailError(_(BAD_FILE).format(path=path, error=e), _(BAD_FILE_FIX)) from e


def _env_list(variable: str) -> list[str] | None:
    raw = os.environ.get(variable)
    return None if raw is None else [v.strip() for v in raw.split(",") if v.strip()]


def settings() -> Settings:
    """The settings: each environment variable that is set replaces the file's value."""
    data, where = _read_file(), str(_path())
    accounts = _env_list("AWSLAB_ALLOWED_ACCOUNTS")
    regions = _env_list("AWSLAB_ALLOWED_REGIONS")
    hours = os.environ.get("AWSLAB_EXPIRY_HOURS")
    return Settings(
        _accounts(accounts, "AWSLAB_ALLOWED_ACCOUNTS") if accounts is not None
        else _accounts(data.get("allowed_accounts", []), where),
        _regions(regions, "AWSLAB_ALLOWED_REGIONS") if regions is not None
        else _regions(data.get("allowed_regions", []), where),
        _hours(hours, "AWSLAB_EXPIRY_HOURS") if hours is not None
        else _hours(data.get("expiry_hours", DEFAULT_EXPIRY_HOURS), where),
    )


def check_region_allowed(region: str, found: Settings | None = None) -> Settings:
    """The settings, if ``region`` is allowed; else a GuardrailError naming it and the fix. Makes no AWS call."""
    found = found or settings()
    if not found.allowed_regions or not found.allowed_accounts:
        missing = " / ".join(n for n, v in (("allowed_accounts", found.allowed_accounts),
                                            ("allowed_regions", found.allowed_regions)) if not v)
        raise GuardrailError(_(NO_LISTS).format(missing=missing),
                             _(NO_LISTS_FIX).format(path=_path(), account="123456789012", region=region))
    if region not in found.allowed_regions:
        raise GuardrailError(_(WRONG_REGION).format(region=region, allowed=", ".join(found.allowed_regions)),
                             _(WRONG_REGION_FIX).format(region=region, path=_path()))
    return found


def check_caller(lab: Any) -> Identity:
    """Who the lab's credentials are (STS), if that account and the lab's region are allowed; else a GuardrailError.

    The region is checked first (it needs no call); then ``sts.get_caller_identity()``, which any credentials may
    call and which creates nothing.
    """
    found = check_region_allowed(lab.region)
    who = lab.client("sts").get_caller_identity()
    account, arn = str(who["Account"]), str(who.get("Arn", ""))
    if account not in found.allowed_accounts:
        allowed = ", ".join(found.allowed_accounts)
        raise GuardrailError(_(WRONG_ACCOUNT).format(account=account, arn=arn, allowed=allowed),
                             _(WRONG_ACCOUNT_FIX).format(account=account, path=_path()))
    return Identity(account, arn, lab.region)
