"""Judging one deal: its findings (rules), health score and reasons, as one compact ``ScoredDeal``.

Shared by the audit's main pass and by the second look at clustered deals (with their linked deals), which runs
in the dedupe child process on large stores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from dealsync.canonical import Deal, DealRef, Status
from dealsync.quality.health import score
from dealsync.quality.rules import RuleContext, evaluate
from dealsync.store import DedupeCluster, Store
from dealsync.sync.audit_result import Flag, ScoredDeal
from dealsync.sync.audit_stream import point

Key = tuple[str, str]
LINKED_BATCH = 2000  # members of clusters judged together (their deals and history in memory at a time)


class Judge:
    """Turns deals into ``ScoredDeal``s, sharing repeated strings (connections, owners, rules) between them."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def share(self, value: str) -> str:
        return self._seen.setdefault(value, value)

    def __call__(self, deal: Deal, ctx: RuleContext) -> ScoredDeal:
        share = self.share
        connection, deal_id = share(deal.ref.connection), deal.ref.id
        findings = tuple(
            Flag(connection, deal_id, share(f.rule), share(f.severity.value), f.detail) for f in evaluate(deal, ctx)
        )
        health: int | None = None
        reasons: tuple[str, ...] = ()
        if deal.status is Status.OPEN:
            scored = score(deal, ctx)
            health, reasons = scored.score, tuple(scored.reasons)
        owner = None if deal.owner is None else share(deal.owner)
        return ScoredDeal(connection, deal_id, deal.name, owner, deal.stage, deal.status, health, reasons, findings)


def judge_linked(store: Store, ctx: RuleContext, clusters: Sequence[DedupeCluster], judge: Judge) -> list[ScoredDeal]:
    """Every live member of ``clusters`` judged again, with the other members of its cluster as linked deals."""
    judged: list[ScoredDeal] = []
    for group in _batches(clusters, LINKED_BATCH):
        refs = [m for c in group for m in c.members]
        deals = {ref: d for ref, d in store.get_deals(refs).items() if not d.deleted}
        history = {ref: [point(e) for e in entries] for ref, entries in store.history_for(refs).items()}
        linked = {m: [deals[o] for o in c.members if o != m and o in deals] for c in group for m in c.members}
        batch_ctx = replace(ctx, history=history, linked=linked)
        judged.extend(judge(deals[ref], batch_ctx) for ref in refs if ref in deals)
    return judged


def _batches(clusters: Sequence[DedupeCluster], size: int) -> Iterator[list[DedupeCluster]]:
    """Whole clusters, about ``size`` members per batch."""
    batch: list[DedupeCluster] = []
    members = 0
    for cluster in clusters:
        batch.append(cluster)
        members += len(cluster.members)
        if members >= size:
            yield batch
            batch, members = [], 0
    if batch:
        yield batch


def key(ref: DealRef) -> Key:
    return (ref.connection, ref.id)
