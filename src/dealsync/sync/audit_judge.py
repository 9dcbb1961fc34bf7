"""Judging one deal: its findings (rules), health score and reasons, as one compact ``ScoredDeal``.

Shared by the audit's main pass and by the second look at clustered deals (with their linked deals), which runs
in the dedupe child process on large stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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
    """Turns deals into ``ScoredDeal``s, sharing repeated strings between them: connections, owners, rule ids,
    and the details and health reasons, which repeat a lot (100,000 deals: ~140,000 reasons, ~2,000 distinct)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def share(self, value: str) -> str:
        return self._seen.setdefault(value, value)

    def __call__(self, deal: Deal, ctx: RuleContext) -> ScoredDeal:
        share = self.share
        connection, deal_id = share(deal.ref.connection), deal.ref.id
        findings = tuple(
            Flag(connection, deal_id, share(f.rule), share(f.severity.value), share(f.detail))
            for f in evaluate(deal, ctx)
        )
        health: int | None = None
        reasons: tuple[str, ...] = ()
        if deal.status is Status.OPEN:
            scored = score(deal, ctx)
            health, reasons = scored.score, tuple(share(r) for r in scored.reasons)
        owner = None if deal.owner is None else share(deal.owner)
        return ScoredDeal(connection, deal_id, deal.name, owner, deal.stage, deal.status, health, reasons, findings)


def linked_batches(clusters: Sequence[DedupeCluster], size: int = LINKED_BATCH) -> list[list[DedupeCluster]]:
    """Whole clusters in batches of about ``size`` members: the units two processes share (same order in both)."""
    batches: list[list[DedupeCluster]] = []
    batch: list[DedupeCluster] = []
    members = 0
    for cluster in clusters:
        batch.append(cluster)
        members += len(cluster.members)
        if members >= size:
            batches.append(batch)
            batch, members = [], 0
    if batch:
        batches.append(batch)
    return batches


def judge_linked(
    store: Store,
    ctx: RuleContext,
    batches: Sequence[Sequence[DedupeCluster]],
    judge: Judge,
    *,
    claim: Callable[[int], bool] | None = None,
    backwards: bool = False,
) -> list[ScoredDeal]:
    """Every live member of the clusters judged again, with the other members of its cluster as linked deals.

    With ``claim``, two processes share the batches: each takes them from its end (``backwards`` from the last)
    and stops at the first one ``claim(index)`` says the other already took.
    """
    judged: list[ScoredDeal] = []
    for index in claimed(len(batches), claim, backwards):
        judged.extend(_judge_batch(store, ctx, batches[index], judge))
    return judged


def claimed(count: int, claim: Callable[[int], bool] | None, backwards: bool) -> Iterator[int]:
    """Indices ``0 .. count-1`` from the first (or the last), until ``claim(index)`` says another process has it."""
    for index in range(count - 1, -1, -1) if backwards else range(count):
        if claim is not None and not claim(index):
            return
        yield index


def _judge_batch(store: Store, ctx: RuleContext, group: Sequence[DedupeCluster], judge: Judge) -> list[ScoredDeal]:
    refs = [m for c in group for m in c.members]
    found = {key(ref): deal for ref, deal in store.get_deals(refs, with_raw=False).items() if not deal.deleted}
    history = {ref: [point(e) for e in entries] for ref, entries in store.history_for(refs).items()}
    members = [[found.get(key(m)) for m in c.members] for c in group]
    linked = {
        deal.ref: [other for j, other in enumerate(deals) if j != i and other is not None]
        for deals in members
        for i, deal in enumerate(deals)
        if deal is not None
    }
    batch_ctx = replace(ctx, history=history, linked=linked)
    return [judge(deal, batch_ctx) for deals in members for deal in deals if deal is not None]


def key(ref: DealRef) -> Key:
    return (ref.connection, ref.id)
