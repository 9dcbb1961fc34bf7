"""``run_audit`` over a real SQLite store: every live deal once, findings and clusters stored with the run,
"not a duplicate" respected, the child-process mode giving exactly what the in-process mode gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.config import Settings
from dealsync.errors import FatalError
from dealsync.store import RunKind, RunStatus, Store, open_store
from dealsync.sync import audit as audit_module
from dealsync.sync import audit_slices
from dealsync.sync.audit import run_audit, stable_cluster_id
from dealsync.sync.audit_result import AuditResult
from dealsync.sync.audit_stream import deals_with_history

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(days=90)


def deal(deal_id: str, connection: str = "sf-main", **overrides: Any) -> Deal:
    fields: dict[str, Any] = {
        "ref": DealRef(connection=connection, id=deal_id),
        "name": f"Deal {deal_id}",
        "account_name": f"Account {deal_id}",
        "amount": Decimal("10000"),
        "currency": "USD",
        "stage": Stage.PROPOSAL,
        "status": Status.OPEN,
        "crm_stage_id": "Proposal/Price Quote",
        "pipeline": "default",
        "close_date": date(2026, 4, 30),
        "owner": "ana@example.com",
        "created_at": T0,
        "modified_at": T0,
        "last_activity_at": NOW - timedelta(days=2),
    }
    fields.update(overrides)
    return Deal(**fields)


def twin(original: Deal, connection: str, deal_id: str) -> Deal:
    """The same deal entered in another CRM (a duplicate dedupe must find)."""
    return original.model_copy(update={"ref": DealRef(connection=connection, id=deal_id)})


def sample() -> list[Deal]:
    acme = deal("006A", name="Acme Corp - Platform Renewal 2026", account_name="Acme Corp")
    deals = [
        acme,
        twin(acme, "hs-main", "9001"),
        deal("006B", stage=None, crm_stage_id="Discovery"),  # unmapped
        deal("006C", stage=Stage.POST_SALE, status=Status.WON, close_date=date(2026, 1, 15)),
        deal("006D", stage=Stage.NEGOTIATION, status=Status.LOST),
        deal("006E", last_activity_at=NOW - timedelta(days=90)),  # stale
        deal("006F", amount=Decimal("-5")),  # negative
        deal("9002", "hs-main", name="Globex expansion", account_name="Globex", amount=Decimal("7000")),
    ]
    deals += [
        deal(f"0070{i:02d}", name=f"Filler {i} deal", account_name=f"Filler {i}", amount=Decimal(9000 + 50 * i))
        for i in range(40)
    ]
    return deals


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'audit.db'}") as opened:
        for name, kind in (("sf-main", "salesforce"), ("hs-main", "hubspot")):
            opened.register_connection(name, kind, at=T0)
            opened.save_connection_schema(name, {"corporate_currency": "USD", "fx_rates": {"EUR": "1.1"}})
        opened.upsert_deals(sample(), observed_at=T0)
        opened.upsert_deals([deal("006G"), deal("006H")], observed_at=T0)
        opened.mark_deleted("sf-main", ["006G"], at=T0)
        yield opened


def settings(store: Store) -> Settings:
    return Settings(store=str(store.engine.url))


def audited(store: Store, **kwargs: Any) -> AuditResult:
    return run_audit(store, settings(store), now=NOW, **kwargs)


def test_every_live_deal_scored_once_and_deleted_ones_never(store: Store) -> None:
    result = audited(store)
    keys = [d.key for d in result.scored]
    assert len(keys) == len(set(keys)) == result.deals == store.count_deals()
    assert ("sf-main", "006G") not in keys
    by_id = {d.id: d for d in result.scored}
    assert by_id["006B"].stage is None
    assert by_id["006C"].health is None  # won
    assert by_id["006D"].health is None  # lost
    assert by_id["006D"].stage is Stage.NEGOTIATION
    assert isinstance(by_id["006A"].health, int)
    assert 0 <= by_id["006A"].health <= 100
    assert by_id["006E"].health is not None
    assert by_id["006E"].health < by_id["006A"].health  # stale loses points
    assert by_id["006E"].reasons


def test_findings_carry_rule_ids_and_are_stored_with_the_run(store: Store) -> None:
    result = audited(store)
    rules = {(f.id, f.rule) for f in result.flags}
    assert ("006B", "unmapped_stage") in rules
    assert ("006E", "stale.no_activity") in rules
    assert ("006F", "mis_valued.negative_amount") in rules
    assert not [f for f in result.flags if f.id == "006G"]
    stored = store.flags_for_run(result.run_id)
    assert sorted((f.ref.connection, f.ref.id, f.rule, f.detail) for f in stored) == sorted(
        (f.connection, f.id, f.rule, f.detail) for f in result.flags
    )
    run = store.get_run(result.run_id)
    assert run is not None
    assert run.kind is RunKind.AUDIT
    assert run.status is RunStatus.OK
    assert run.summary is not None
    assert run.summary["flags"] == len(result.flags)
    assert run.summary["deals"] == result.deals


def test_duplicates_are_clustered_linked_and_stored(store: Store) -> None:
    result = audited(store)
    pair = {DealRef(connection="sf-main", id="006A"), DealRef(connection="hs-main", id="9001")}
    (cluster,) = [c for c in result.clusters if set(c.members) == pair]
    assert cluster.id.startswith("dup_")
    assert cluster.golden["name"] == "Acme Corp - Platform Renewal 2026"
    stored = store.clusters_for_run(result.run_id)
    assert [stable_cluster_id(c.id) for c in stored] == [c.id for c in result.clusters]
    again = audited(store)  # a second run stores its own rows under the same stable ids
    assert [c.id for c in again.clusters] == [c.id for c in result.clusters]
    assert len(store.clusters_for_run(again.run_id)) == len(result.clusters)


def test_linked_deals_reach_the_rules(store: Store) -> None:
    drifted = deal("9003", "hs-main", name="Initech - Data Cloud 2026", account_name="Initech", amount=Decimal("50000"))
    store.upsert_deals(
        [deal("006X", name="Initech - Data Cloud 2026", account_name="Initech", amount=Decimal("50000"))]
    )
    store.upsert_deals([drifted.model_copy(update={"currency": "EUR", "amount": Decimal("45454.55")})])
    result = audited(store)
    assert any(f.rule == "consistency.currency_mismatch" and f.id in ("006X", "9003") for f in result.flags)


def test_not_a_duplicate_is_respected(store: Store) -> None:
    a, b = DealRef(connection="sf-main", id="006A"), DealRef(connection="hs-main", id="9001")
    store.record_not_duplicate(a, b, note="different products")
    result = audited(store)
    assert not [c for c in result.clusters if {a, b} <= set(c.members)]


@pytest.mark.parametrize("slice_size", [10_000, 2])
def test_child_process_mode_gives_the_same_audit(
    store: Store, monkeypatch: pytest.MonkeyPatch, slice_size: int
) -> None:
    """Whoever judges which slice (two processes share them; slices of 2 deals make both take several), the
    audit is the one a single process gives."""
    here = audited(store, parallel=False)
    monkeypatch.setattr(audit_module, "SLICE", slice_size)
    child = audited(store, parallel=True)
    assert child.scored == here.scored
    assert child.flags == here.flags
    assert child.clusters == here.clusters
    assert child.metrics == here.metrics


def test_a_failed_audit_is_recorded_as_failed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("rule exploded")

    monkeypatch.setattr(audit_slices, "deals_with_history", broken)
    with pytest.raises(RuntimeError, match="rule exploded"):
        audited(store)
    (run,) = store.list_runs(kind=RunKind.AUDIT)
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert "rule exploded" in run.error


def test_history_is_joined_to_its_deal_and_deleted_deals_are_skipped(store: Store) -> None:
    later = T0 + timedelta(days=10)
    moved = deal("006A", close_date=date(2026, 5, 31), modified_at=later, name="Acme Corp - Platform Renewal 2026")
    store.upsert_deals([moved], observed_at=later)
    joined = {d.ref.id: points for d, points in deals_with_history(store)}
    assert "006G" not in joined
    assert [p.close_date for p in joined["006A"]] == [date(2026, 4, 30), date(2026, 5, 31)]
    assert all(len(points) == 1 for i, points in joined.items() if i != "006A")
    sliced = {d.ref.id: points for keys in store.key_ranges(3) for d, points in deals_with_history(store, keys)}
    assert sliced == joined


def test_an_empty_store_audits_to_an_empty_report(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        result = run_audit(empty, Settings(store=str(empty.engine.url)), now=NOW)
    assert (result.deals, list(result.scored), list(result.flags), list(result.clusters)) == (0, [], [], [])
    assert result.fx.table.base == "USD"


def test_hostile_crm_strings_stay_inert_in_the_html_report(store: Store) -> None:
    from dealsync.reports import render_html

    hostile = '<script>alert("x")</script>'
    store.upsert_deals([deal("006Z", name=hostile, owner=f'"><img src=x onerror=alert(1)>{hostile}', amount=None)])
    page = render_html(audited(store))
    assert hostile not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_a_failing_dedupe_process_fails_the_run_with_its_message(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\necho 'MemoryError: out of memory' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr("sys.executable", str(fake))
    with pytest.raises(FatalError, match=r"dedupe process failed \(exit 3\): MemoryError: out of memory"):
        audited(store, parallel=True)
    (run,) = store.list_runs(kind=RunKind.AUDIT)
    assert run.status is RunStatus.FAILED


def test_two_processes_share_the_linked_batches_without_overlap(store: Store, tmp_path: Path) -> None:
    from dealsync.quality.rules import RuleContext
    from dealsync.store import DedupeCluster
    from dealsync.sync.audit_dedupe import Claims
    from dealsync.sync.audit_judge import Judge, judge_linked, linked_batches
    from dealsync.sync.audit_result import ScoredDeal

    refs = [d.ref for d in store.iter_deals()]
    clusters = [DedupeCluster(members=(a, b), confidence=0.9) for a, b in zip(refs[::2], refs[1::2], strict=False)]
    batches = linked_batches(clusters, size=6)
    assert len(batches) >= 5
    assert [c for b in batches for c in b] == clusters
    ctx = RuleContext(now=NOW)
    claims = Claims(tmp_path)
    forward: list[ScoredDeal] = []
    for i in range(2):  # the child takes the first two, then the parent works from the other end
        forward += judge_linked(store, ctx, batches[i : i + 1], Judge(), claim=lambda _, i=i: claims.take(i))
    backward = judge_linked(store, ctx, batches, Judge(), claim=claims.take, backwards=True)
    rest = judge_linked(store, ctx, batches, Judge(), claim=claims.take)
    assert rest == []  # every batch was claimed once
    keys = [d.key for d in forward + backward]
    assert len(keys) == len(set(keys)) == 2 * len(clusters)


def test_two_processes_share_the_slices_and_assemble_one_result(store: Store, tmp_path: Path) -> None:
    from dealsync.quality.rules import RuleContext
    from dealsync.sync.audit_dedupe import Claims
    from dealsync.sync.audit_judge import Judge
    from dealsync.sync.audit_slices import PassPlan, assemble, judge_slices

    plan = PassPlan(RuleContext(now=NOW), store.key_ranges(2))
    assert len(plan.slices) >= 4
    alone, alone_metrics = assemble(judge_slices(store, plan, Judge()), plan)
    claims = Claims(tmp_path, "slice")
    first = judge_slices(store, plan, Judge(), claim=lambda i: i < 2 and claims.take(i))  # then it stops
    last = judge_slices(store, plan, Judge(), claim=claims.take, backwards=True)
    assert [r.index for r in first] == [0, 1]
    assert sorted(r.index for r in last) == list(range(2, len(plan.slices)))
    shared, shared_metrics = assemble([*last, *first], plan)
    assert shared == alone
    assert alone_metrics is not None
    assert shared_metrics is not None
    assert shared_metrics.result() == alone_metrics.result()
    with pytest.raises(RuntimeError, match="some missing or twice"):
        assemble([*first, *first, *last], plan)


def test_dedupe_over_deal_summaries_finds_what_it_finds_over_deals(store: Store) -> None:
    from dealsync.quality.dedupe import find_clusters
    from dealsync.quality.model import FxTable

    fx = FxTable(base="USD", rates={"EUR": Decimal("1.1")})
    over_deals = find_clusters(store.iter_deals(), fx)
    assert over_deals  # the sample has a cross-CRM twin
    assert find_clusters(store.iter_deal_summaries(), fx) == over_deals
