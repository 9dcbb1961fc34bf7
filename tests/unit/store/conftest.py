"""Fixtures for the store tests: a fresh store per test and a factory of canonical deals.

``store`` is a SQLite file; with ``DEALSYNC_TEST_POSTGRES_URL`` set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:55432/dealsync_test``, a database these tests may wipe) every test using
it runs against PostgreSQL too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.store import Store, open_store

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
MakeDeal = Callable[..., Deal]


POSTGRES_URL = os.environ.get("DEALSYNC_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = str(POSTGRES_URL)
        _wipe_postgres(url)
    with open_store(url) as opened:
        yield opened


def _wipe_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture
def make_deal() -> MakeDeal:
    def make(deal_id: str = "006A", connection: str = "sf-main", **overrides: Any) -> Deal:
        fields: dict[str, Any] = {
            "ref": DealRef(connection=connection, id=deal_id),
            "name": f"Deal {deal_id}",
            "account_name": "Acme",
            "amount": Decimal("1000.00"),
            "currency": "EUR",
            "stage": Stage.PROPOSAL,
            "status": Status.OPEN,
            "crm_stage_id": "Proposal/Price Quote",
            "crm_stage_label": "Proposal/Price Quote",
            "pipeline": "default",
            "probability": Decimal("0.6"),
            "close_date": datetime(2026, 3, 31, tzinfo=UTC).date(),
            "owner": "ana@example.com",
            "created_at": T0,
            "modified_at": T0,
            "raw": {"Id": deal_id, "StageName": "Proposal/Price Quote"},
        }
        fields.update(overrides)
        return Deal(**fields)

    return make
