"""The golden record of a cluster: one value per field, each taken from a member by a survivorship rule.

``most_recent`` (default): each field comes from the most recently modified member that has a value for it.
``preferred_connection``: members of that connection come first (most recent first among them), then the
others, so a field the preferred CRM leaves empty is still filled. Amount and currency always come from the
same member: an amount is never paired with another deal's currency. ``sources`` names, per field, the member
(``connection:id``) the value came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from dealsync.quality.dedupe.records import Records

FIELDS = ("name", "account_name", "amount", "currency", "close_date", "stage", "status", "owner", "pipeline")


class Survivorship(StrEnum):
    MOST_RECENT = "most_recent"
    PREFERRED_CONNECTION = "preferred_connection"


def ranked(records: Records, members: list[int], rule: Survivorship, preferred: str | None) -> list[int]:
    """Members in the order their values win: most recently modified first (ties: by ref)."""
    order = sorted(members, key=lambda i: (-records.modified[i], records.connections[i], records.ids[i]))
    if rule is Survivorship.PREFERRED_CONNECTION:
        order.sort(key=lambda i: records.connections[i] != preferred)  # stable: recency kept within each side
    return order


def golden_record(records: Records, members: list[int], rule: Survivorship, preferred: str | None) -> dict[str, Any]:
    """``name``, ``account_name``, ``amount`` (text), ``currency``, ``close_date`` (ISO), ``stage``, ``status``,
    ``owner``, ``pipeline`` and ``sources``; a field no member has is None (and has no source)."""
    order = ranked(records, members, rule, preferred)
    labels = {i: records.label(i) for i in members}  # one string per member, shared by the fields it gave
    golden: dict[str, Any] = {}
    sources: dict[str, str] = {}
    columns: dict[str, Sequence[object]] = {
        "name": records.names,
        "account_name": records.accounts,
        "close_date": records.close_days,  # MISSING_DAY is 0: falsy, like None and ""
        "stage": records.stages,
        "status": records.statuses,
        "owner": records.owners,
        "pipeline": records.pipelines,
    }
    for name, column in columns.items():
        winner = next((i for i in order if column[i]), None)
        golden[name] = None if winner is None else column[winner]
        if winner is not None:
            sources[name] = labels[winner]
    golden["close_date"] = None if golden["close_date"] is None else date.fromordinal(golden["close_date"]).isoformat()
    _money(records, order, golden, sources, labels)
    return {**{name: golden[name] for name in FIELDS}, "sources": sources}


def _money(
    records: Records, order: list[int], golden: dict[str, Any], sources: dict[str, str], labels: dict[int, str]
) -> None:
    winner = next((i for i in order if records.amounts[i] is not None), None)
    if winner is None:  # no amount anywhere: still say which currency the deal is in
        winner = next((i for i in order if records.currencies[i] is not None), None)
    golden["amount"] = None if winner is None else records.amounts[winner]
    golden["currency"] = None if winner is None else records.currencies[winner]
    for name in ("amount", "currency"):
        if winner is not None and golden[name] is not None:
            sources[name] = labels[winner]
