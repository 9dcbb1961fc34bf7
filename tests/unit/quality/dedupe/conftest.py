"""A factory of canonical deals for the dedupe tests, and an FX table with a few currencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.quality.model import FxTable

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
MakeDeal = Callable[..., Deal]
FX = FxTable(base="USD", rates={"EUR": Decimal("1.08"), "GBP": Decimal("1.25"), "JPY": Decimal("0.0066")})


def build_deal(ref: str = "sf:1", **fields: Any) -> Deal:
    """A deal from ``"connection:id"`` and any fields; ``modified`` is hours after T0."""
    connection, _, deal_id = ref.partition(":")
    modified = T0 + timedelta(hours=fields.pop("modified", 0))
    values: dict[str, Any] = {
        "name": "Acme - Platform Renewal 2026",
        "account_name": "Acme Inc.",
        "amount": Decimal("25000"),
        "currency": "USD",
        "stage": Stage.PROPOSAL,
        "status": Status.OPEN,
        "crm_stage_id": "proposal",
        "close_date": date(2026, 3, 31),
        "owner": "Olivia Smith",
        "created_at": T0 - timedelta(days=30),
        "modified_at": modified,
    }
    values.update(fields)
    return Deal(ref=DealRef(connection=connection, id=deal_id), **values)


@pytest.fixture
def make_deal() -> MakeDeal:
    return build_deal


@pytest.fixture
def fx() -> FxTable:
    return FX
