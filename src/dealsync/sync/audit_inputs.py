"""What an audit needs besides the deals, read from the store's saved discovery and the config.

- :func:`build_fx`: one :class:`~dealsync.quality.model.FxTable` from every connection's CRM rates, each expressed
  in its own corporate currency, re-based on one common currency; ``quality.fx_rates`` in config wins.
- :func:`stage_probabilities`: the CRM's own probability of each stage, per connection.
- :func:`not_duplicate_pairs`: the "not a duplicate" decisions, as pairs the dedupe step takes.

The base currency is the corporate currency of the first Salesforce connection (by name), else of the first
connection with one, else the one currency ``quality.fx_rates`` gives as 1, else USD. ``quality.fx_rates`` values
are base units per unit of the currency; they override every CRM's rate for that currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dealsync.canonical import DealRef
from dealsync.quality.model import FxTable
from dealsync.store import NotDuplicate

DEFAULT_BASE = "USD"
CONFIG_SOURCE = "config quality.fx_rates"


@dataclass(frozen=True)
class FxPlan:
    """The table the audit uses, where each rate came from, and the connections whose rates could not be linked."""

    table: FxTable
    sources: Mapping[str, str] = field(default_factory=dict)  # currency -> "config …" or a connection name
    unlinked: tuple[str, ...] = ()  # connections whose corporate currency has no path to the base

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.table.base,
            "rates": {code: str(rate) for code, rate in sorted(self.table.rates.items())},
            "sources": dict(sorted(self.sources.items())),
            "unlinked_connections": list(self.unlinked),
        }


@dataclass(frozen=True)
class _CrmRates:
    connection: str
    corporate: str
    rates: Mapping[str, Decimal]  # code -> corporate units per unit


def build_fx(
    overrides: Mapping[str, Decimal], schemas: Mapping[str, Mapping[str, Any]], types: Mapping[str, str | None]
) -> FxPlan:
    """Re-base every connection's rates on one currency. ``types`` maps connection name -> CRM type."""
    crms = _ordered_rates(schemas, types)
    base = _choose_base(crms, overrides)
    rates: dict[str, Decimal] = {base: Decimal(1)}
    sources: dict[str, str] = {base: "base"}
    for code, rate in overrides.items():
        if rate > 0 and code != base:
            rates[code], sources[code] = Decimal(rate), CONFIG_SOURCE
    pending = list(crms)
    while pending:
        linked = [crm for crm in pending if _merge(crm, base, rates, sources)]
        if not linked:
            break
        pending = [crm for crm in pending if crm not in linked]
    return FxPlan(FxTable(base=base, rates=rates), sources, tuple(crm.connection for crm in pending))


def _merge(crm: _CrmRates, base: str, rates: dict[str, Decimal], sources: dict[str, str]) -> bool:
    """Add ``crm``'s rates in ``base`` units when its corporate currency is linked to the base; else False."""
    factor = rates.get(crm.corporate)
    if factor is None and crm.rates.get(base):
        factor = 1 / crm.rates[base]  # base is worth rates[base] corporate units
    if factor is None:
        return False
    for code, rate in ((crm.corporate, Decimal(1)), *crm.rates.items()):
        if code not in rates:
            rates[code], sources[code] = rate * factor, crm.connection
    return True


def _ordered_rates(schemas: Mapping[str, Mapping[str, Any]], types: Mapping[str, str | None]) -> list[_CrmRates]:
    """Salesforce connections first (the usual system of record for money), then the others, each by name."""
    names = sorted(schemas, key=lambda n: (types.get(n) != "salesforce", n))
    found: list[_CrmRates] = []
    for name in names:
        corporate = schemas[name].get("corporate_currency")
        if isinstance(corporate, str) and corporate:
            found.append(_CrmRates(name, corporate, _decimals(schemas[name].get("fx_rates"))))
    return found


def _choose_base(crms: list[_CrmRates], overrides: Mapping[str, Decimal]) -> str:
    if crms:
        return crms[0].corporate
    ones = [code for code, rate in overrides.items() if rate == 1]
    return ones[0] if len(ones) == 1 else DEFAULT_BASE


def _decimals(raw: object, *, allow_zero: bool = False) -> dict[str, Decimal]:
    """A saved ``{key: "1.08"}`` table; values that are not positive numbers (or zero, when allowed) are dropped."""
    if not isinstance(raw, Mapping):
        return {}
    parsed: dict[str, Decimal] = {}
    for code, value in raw.items():
        try:
            rate = Decimal(str(value))
        except (InvalidOperation, ValueError):
            continue
        if rate.is_finite() and (rate > 0 or (allow_zero and rate == 0)):
            parsed[str(code)] = rate
    return parsed


def stage_probabilities(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """connection -> CRM stage id -> the CRM's probability for it (0..1); stages without one are absent."""
    found: dict[str, dict[str, Decimal]] = {}
    for name, schema in schemas.items():
        stages = schema.get("stages")
        if not isinstance(stages, Mapping):
            continue
        raw = {sid: info.get("probability") for sid, info in stages.items() if isinstance(info, Mapping)}
        found[name] = _decimals({sid: p for sid, p in raw.items() if p is not None}, allow_zero=True)
    return found


def not_duplicate_pairs(decisions: Iterable[NotDuplicate]) -> list[frozenset[DealRef]]:
    return [frozenset((d.a, d.b)) for d in decisions]
