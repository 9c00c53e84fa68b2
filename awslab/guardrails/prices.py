"""The dated price table the cost estimate reads (``prices.json`` beside this module).

One file, with the date its figures were taken and the AWS page each comes from, so an estimate can say both.
Prices change and differ by region; a region or an instance type the table lacks is refused with the fix
(add it from the page named), never guessed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ..i18n import N_, _
from . import GuardrailError

__all__ = ["PriceTable", "price_table", "HOURS_PER_MONTH"]

#: AWS prices storage and hosted zones per month and pro-rates by the hour over 730 hours
#: (https://aws.amazon.com/ebs/pricing/: "...prorated ... 730 hours in a month").
HOURS_PER_MONTH = 730.0

NO_REGION = N_("The price table (dated {date}) has no prices for {region}; it has {regions}.")
NO_PRICE = N_("The price table (dated {date}) has no {what} price for {name} in {region}; it has {names}.")
NO_PRICE_FIX = N_("Add it to awslab/guardrails/prices.json from {source}, or pick one the table has.")


@dataclass(frozen=True)
class PriceTable:
    """One region's prices, with the table's date and sources."""

    region: str
    date: str
    sources: dict[str, str]
    prices: dict[str, Any]

    def unit(self, key: str) -> float:
        return float(self.prices[key])

    def of(self, key: str, name: str, what: str, source: str) -> float:
        """A price per name (an instance type's, a DB class's), or a GuardrailError naming what the table has."""
        table = self.prices[key]
        if name not in table:
            raise GuardrailError(_(NO_PRICE).format(date=self.date, what=what, name=name, region=self.region,
                                                    names=", ".join(sorted(table))),
                                 _(NO_PRICE_FIX).format(source=self.sources[source]))
        return float(table[name])


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("prices.json").read_text(encoding="utf-8"))


def price_table(region: str) -> PriceTable:
    """The prices for ``region``, or a GuardrailError listing the regions the table has."""
    data = _data()
    if region not in data["regions"]:
        raise GuardrailError(_(NO_REGION).format(date=data["date"], region=region, regions=", ".join(sorted(data["regions"]))),
                             _(NO_PRICE_FIX).format(source=", ".join(sorted(set(data["sources"].values())))))
    return PriceTable(region, data["date"], dict(data["sources"]), data["regions"][region])
