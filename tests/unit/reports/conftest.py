"""A small, hand-made ``AuditResult`` for the report tests, with hostile CRM strings in it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dealsync.canonical import DealRef, Stage, Status
from dealsync.quality.model import FxTable
from dealsync.store import DedupeCluster
from dealsync.sync.audit_inputs import FxPlan
from dealsync.sync.audit_result import AuditResult, Flag, ScoredDeal

NOW = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def result() -> AuditResult:
    scored = [
        ScoredDeal("sf-main", "006A", HOSTILE, "ana@example.com", Stage.PROPOSAL, Status.OPEN, 72, ("stage age ok",)),
        ScoredDeal("sf-main", "006B", "Globex renewal", FORMULA, None, Status.OPEN, 35, ("unmapped stage (-20)",)),
        ScoredDeal("hs-main", "98765", "Acme platform", "bo@example.com", Stage.POST_SALE, Status.WON, None, ()),
        ScoredDeal("hs-main", "98766", "Initech", None, Stage.NEGOTIATION, Status.LOST, None, ()),
    ]
    flags = [
        Flag("sf-main", "006A", "stale.no_activity", "warning", "no activity for 64 days"),
        Flag("sf-main", "006B", "unmapped_stage", "error", f"stage {HOSTILE!r} maps to no canonical stage"),
        Flag("sf-main", "006B", "stale.close_date_past", "warning", "close date 12 days ago"),
        Flag("hs-main", "98765", "consistency.currency_mismatch", "info", "EUR here, USD on linked deal"),
    ]
    cluster = DedupeCluster(
        members=(DealRef(connection="hs-main", id="98765"), DealRef(connection="sf-main", id="006A")),
        confidence=0.97,
        golden={"name": HOSTILE, "amount": "1200.00", "currency": "EUR", "close_date": "2026-03-31"},
        reasons=("same account after normalisation", "names 94% similar"),
        id="c-1",
    )
    metrics = {
        "unified": {"win_rate": 0.5, "deals_per_stage": {HOSTILE: {"deals": 1, "amount": "10.00"}}},
        "by_connection": {"sf-main": {"win_rate": 0.25}, "hs-main": {"win_rate": 1.0}},
    }
    fx = FxPlan(FxTable(base="USD", rates={"USD": Decimal(1), "EUR": Decimal("1.08")}), {"EUR": "sf-main"})
    return AuditResult(
        run_id="run-1",
        generated_at=NOW,
        deals=len(scored),
        scored=scored,
        clusters=[cluster],
        flags=flags,
        metrics=metrics,
        fx=fx,
        connections=("hs-main", "sf-main"),
        timings={"rules": 0.5},
    )
