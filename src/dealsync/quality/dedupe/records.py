"""Deals as compact columns: what dedupe keeps of each deal, normalised once, in a canonical order.

The caller may stream a million deals in; only these columns stay (plain strings, shared where values repeat,
and ``array`` numbers), never the pydantic ``Deal`` objects. Records are sorted by ``(connection, id)`` so
that every later step sees the same order whatever order the deals came in, which makes the result
deterministic. Deleted deals are left out; a ref seen twice keeps its most recently modified version.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from dealsync.canonical import DealRef, Stage, Status
from dealsync.quality.dedupe.normalize import ascii_fold, company_name, deal_words
from dealsync.quality.model import FxTable


class RefFields(Protocol):
    @property
    def connection(self) -> str: ...

    @property
    def id(self) -> str: ...


class DealFields(Protocol):
    """What dedupe reads of a deal: a canonical ``Deal`` has all of it, and so may a lighter row (the audit's
    dedupe process reads a million of them without validating each into a ``Deal``)."""

    @property
    def ref(self) -> RefFields: ...

    @property
    def name(self) -> str: ...

    @property
    def account_name(self) -> str | None: ...

    @property
    def amount(self) -> Decimal | None: ...

    @property
    def currency(self) -> str | None: ...

    @property
    def stage(self) -> Stage | None: ...

    @property
    def status(self) -> Status: ...

    @property
    def pipeline(self) -> str | None: ...

    @property
    def close_date(self) -> date | None: ...

    @property
    def owner(self) -> str | None: ...

    @property
    def modified_at(self) -> datetime: ...

    @property
    def deleted(self) -> bool: ...


MISSING_DAY = 0  # close_days value of a deal without a close date (date ordinals start at 1)


@dataclass(slots=True)
class Records:
    """One list (or array) per field; index ``i`` is the same deal in all of them."""

    connections: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    name_keys: list[str] = field(default_factory=list)  # normalize.deal_words, distinct and sorted
    accounts: list[str | None] = field(default_factory=list)
    account_keys: list[str] = field(default_factory=list)  # normalize.company_name, "" when missing
    account_ascii_keys: list[str] = field(default_factory=list)  # the same after dropping non-ASCII letters
    amounts: list[str | None] = field(default_factory=list)  # Decimal text, exact
    currencies: list[str | None] = field(default_factory=list)
    base_amounts: array[float] = field(default_factory=lambda: array("d"))  # in FxTable.base; NaN when unknown
    close_days: array[int] = field(default_factory=lambda: array("l"))  # date.toordinal(); MISSING_DAY
    modified: array[float] = field(default_factory=lambda: array("d"))  # POSIX seconds
    owners: list[str | None] = field(default_factory=list)
    pipelines: list[str | None] = field(default_factory=list)
    stages: list[str | None] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def ref(self, i: int) -> DealRef:
        return DealRef(connection=self.connections[i], id=self.ids[i])

    def label(self, i: int) -> str:
        return f"{self.connections[i]}:{self.ids[i]}"


class _Builder:
    """Appends deals to ``Records``, sharing repeated strings and normalising each account name once."""

    def __init__(self, fx: FxTable) -> None:
        self.records = Records()
        self.deleted: dict[tuple[str, str], float] = {}  # ref -> when it was seen deleted (latest)
        self.shared: dict[str, str] = {}
        self.account_memo: dict[str, tuple[str, str]] = {}
        self.rates: dict[str, float] = {fx.base: 1.0, **{k: float(v) for k, v in fx.rates.items()}}

    def account(self, name: str | None) -> tuple[str, str]:
        if not name:
            return "", ""
        keys = self.account_memo.get(name)
        if keys is None:
            key = company_name(name)
            ascii_key = company_name(ascii_fold(name))
            keys = self.account_memo[name] = (
                self.shared.setdefault(key, key),
                self.shared.setdefault(ascii_key, ascii_key),
            )
        return keys

    def add(self, deal: DealFields) -> None:
        """The hot loop of a million deals: plain attribute reads, shared strings via ``dict.setdefault``."""
        r, share = self.records, self.shared.setdefault
        account_key, ascii_key = self.account(deal.account_name)
        r.connections.append(share(deal.ref.connection, deal.ref.connection))
        r.ids.append(deal.ref.id)
        r.names.append(deal.name)
        r.name_keys.append(name_key(deal.name))
        r.accounts.append(None if deal.account_name is None else share(deal.account_name, deal.account_name))
        r.account_keys.append(account_key)
        r.account_ascii_keys.append(ascii_key)
        amount, currency = deal.amount, deal.currency
        rate = None if currency is None else self.rates.get(currency)
        r.amounts.append(None if amount is None else str(amount))
        r.currencies.append(None if currency is None else share(currency, currency))
        r.base_amounts.append(math.nan if amount is None or rate is None else float(amount) * rate)
        r.close_days.append(MISSING_DAY if deal.close_date is None else deal.close_date.toordinal())
        r.modified.append(deal.modified_at.timestamp())
        r.owners.append(None if deal.owner is None else share(deal.owner, deal.owner))
        r.pipelines.append(None if deal.pipeline is None else share(deal.pipeline, deal.pipeline))
        r.stages.append(None if deal.stage is None else deal.stage.value)  # enum values are shared already
        r.statuses.append(deal.status.value)


YEARS = frozenset(str(year) for year in range(1900, 2100))


def name_key(name: str) -> str:
    """The deal name's distinct normalised words, sorted (word order and repeats do not tell deals apart)."""
    return " ".join(sorted(set(deal_words(name))))


def without_years(key: str) -> str:
    """A ``name_key`` without its years (a year is often left out of one copy of a name)."""
    words = key.split()
    if YEARS.isdisjoint(words):
        return key
    return " ".join([w for w in words if w not in YEARS])


def build_records(deals: Iterable[DealFields], fx: FxTable) -> Records:
    """Live deals as ``Records`` in ``(connection, id)`` order, one record per ref."""
    builder = _Builder(fx)
    deleted = builder.deleted
    for deal in deals:
        if deal.deleted:
            key, stamp = (deal.ref.connection, deal.ref.id), deal.modified_at.timestamp()
            deleted[key] = max(stamp, deleted.get(key, stamp))
        else:
            builder.add(deal)
    return _canonical_order(builder.records, deleted)


def _canonical_order(records: Records, deleted: dict[tuple[str, str], float]) -> Records:
    """Sorted by ref; of a ref's versions the latest (ties: the later name), unless a deletion came after it."""
    connections, ids, modified = records.connections, records.ids, records.modified
    order = sorted(range(len(ids)), key=lambda i: (connections[i], ids[i], modified[i], records.names[i], i))
    kept = [
        i
        for n, i in enumerate(order)
        if (n + 1 == len(order) or ids[order[n + 1]] != ids[i] or connections[order[n + 1]] != connections[i])
        and deleted.get((connections[i], ids[i]), -math.inf) < modified[i]
    ]
    if kept == list(range(len(ids))):  # in order already, nothing left out (a store reads deals by ref): as is
        return records
    return _reordered(records, kept)


def _reordered(records: Records, order: list[int]) -> Records:
    out = Records()
    for name in Records.__dataclass_fields__:
        column = getattr(records, name)
        picked = [column[i] for i in order]
        setattr(out, name, array(column.typecode, picked) if isinstance(column, array) else picked)
        setattr(records, name, column[:0])  # let the unordered column go before building the next one
    return out
