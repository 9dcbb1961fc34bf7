"""The audit: the quality layer run over every live deal in the store, its findings stored with the run.

::

    result = run_audit(store, settings, now=datetime.now(UTC))   # an AuditResult; reports render it

Steps (each timed in ``result.timings``, in seconds):

1. ``inputs``: one FX table re-based on one currency (``audit_inputs.build_fx``), the CRMs' stage
   probabilities, the "not a duplicate" decisions.
2. ``dedupe``: ``find_clusters`` over the live deals, started in a child process on a large store
   (``audit_dedupe``), else run here (its read of the deals also feeding the outlier statistics).
3. ``outlier_stats``: the robust amount statistics the outlier rule needs before any deal is judged (four
   columns of every deal, or the in-process dedupe's own read).
4. ``rules``: the store's slices (``audit_slices``), each one ordered read of its deals joined to their
   history; per deal the rules, the health score (open deals) and the metrics, without linked deals. The
   child takes slices from the other end once its clusters are out.
5. ``dedupe_wait``: waiting for the clusters.
6. ``linked``: the clustered deals judged again with their linked deals (the other members of their cluster),
   which the rules comparing linked deals and the health score need: by the child while this process saves the
   findings of the other deals, then by both (batches taken from either end), or all here.
7. ``save``: clusters and flags stored with the run, so ``dealsync runs show`` finds them later; the clusters
   and the final flags while the child still works, the rest at the end.

Memory stays flat in the number of deals except for what the report needs: one compact ``ScoredDeal`` per live
deal carrying its findings (never the deals themselves); the dedupe step keeps its own compact columns.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from dealsync.canonical import DealRef
from dealsync.config import Settings
from dealsync.logging import get_logger
from dealsync.quality.rules import RuleContext
from dealsync.store import DedupeCluster, FlagRecord, RunKind, RunStatus, Store
from dealsync.sync.audit_dedupe import PARALLEL_FROM, paused_gc, start_clusters
from dealsync.sync.audit_inputs import FxPlan, build_fx, not_duplicate_pairs, stage_probabilities
from dealsync.sync.audit_judge import Judge
from dealsync.sync.audit_result import AuditResult, Flag, ScoredDeal
from dealsync.sync.audit_slices import SLICE, PassPlan, assemble, judge_slices

log = get_logger("dealsync.audit")


def run_audit(store: Store, settings: Settings, *, now: datetime, parallel: bool | None = None) -> AuditResult:
    """Audit every live deal in ``store`` as of ``now``; the run, its flags and clusters are stored.

    ``parallel``: run dedupe in a child process (None: when the store holds ``PARALLEL_FROM`` deals or more).
    """
    run = store.start_run(RunKind.AUDIT)
    try:
        with paused_gc():
            result = _Audit(store, settings, now, run.id).run(parallel)
    except Exception as exc:
        store.finish_run(run.id, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    summary = result.summary()
    store.finish_run(run.id, RunStatus.OK, summary=summary)
    log.info("audited", run_id=run.id, **{k: v for k, v in summary.items() if isinstance(v, int)})
    return result


@dataclass
class _Steps:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


class _Audit:
    def __init__(self, store: Store, settings: Settings, now: datetime, run_id: str) -> None:
        self.store, self.settings, self.now, self.run_id = store, settings, now, run_id
        self.steps = _Steps()
        self.judge = Judge()
        self.scored: list[ScoredDeal] = []

    def run(self, parallel: bool | None) -> AuditResult:
        step = self.steps
        with step("inputs"):
            fx, ctx, pairs = self._inputs()
            slices = self.store.key_ranges(SLICE)
            if parallel is None:
                parallel = self.store.count_deals() >= PARALLEL_FROM
        with step("dedupe"):
            job = start_clusters(self.store, fx.table, pairs, parallel=parallel)
        with closing(job):
            with step("outlier_stats"):
                plan = PassPlan(replace(ctx, outlier_stats=job.outlier_stats()), slices)
                job.share(plan)
            with step("rules"):
                mine = judge_slices(self.store, plan, self.judge, claim=job.claim_slice)
            with step("dedupe_wait"):
                clusters = job.clusters()
            clustered = {_key(m) for c in clusters for m in c.members}
            with step("save"):  # final already: saved while the child judges its last slices and links
                self._save_clusters(clusters)
                self._save_flags(deal for r in mine for deal in r.scored if deal.key not in clustered)
            with step("linked"):
                theirs, judged = job.judged()
        scored, metrics = assemble([*mine, *theirs], plan)
        self.scored = self._replaced(scored, judged)
        with step("save"):
            self._save_flags(deal for r in theirs for deal in r.scored if deal.key not in clustered)
            self._save_flags(deal for deal in judged)
        flags = [flag for deal in self.scored for flag in deal.findings]
        return AuditResult(
            run_id=self.run_id,
            generated_at=self.now,
            deals=len(self.scored),
            scored=self.scored,
            clusters=clusters,
            flags=flags,
            metrics=metrics.result(),
            fx=fx,
            connections=tuple(sorted(c.name for c in self.store.list_connections())),
            timings=dict(self.steps.seconds),
        )

    def _inputs(self) -> tuple[FxPlan, RuleContext, list[frozenset[DealRef]]]:
        schemas = self.store.connection_schemas()
        types = {c.name: c.type for c in self.store.list_connections()}
        fx = build_fx(self.settings.quality.fx_rates, schemas, types)
        for name in fx.unlinked:
            log.warning("no exchange rate links this connection's currency to the audit's base", connection=name)
        ctx = RuleContext(
            now=self.now,
            thresholds=self.settings.quality,
            fx=fx.table,
            stage_probabilities=stage_probabilities(schemas),
        )
        return fx, ctx, not_duplicate_pairs(self.store.not_duplicates())

    def _save_clusters(self, clusters: list[DedupeCluster]) -> None:
        self.store.save_clusters(self.run_id, (replace(c, id=stored_cluster_id(c.id, self.run_id)) for c in clusters))

    def _save_flags(self, deals: Iterable[ScoredDeal]) -> None:
        self.store.save_flags(self.run_id, (_record(flag) for deal in deals for flag in deal.findings))

    @staticmethod
    def _replaced(scored: list[ScoredDeal], judged: list[ScoredDeal]) -> list[ScoredDeal]:
        """The clustered deals' second judgement (with linked deals) in place of the first."""
        again = {deal.key: deal for deal in judged}
        return [again.get(deal.key, deal) for deal in scored]


def stored_cluster_id(cluster_id: str, run_id: str) -> str:
    """The id a cluster is stored under: its stable id (the same members give the same id in every run) and
    the run, so that each run keeps its own row (``dealsync runs show`` shows the stable part)."""
    return f"{cluster_id}@{run_id[:11]}"[:36]


def stable_cluster_id(stored_id: str) -> str:
    return stored_id.partition("@")[0]


def _key(ref: DealRef) -> tuple[str, str]:
    return (ref.connection, ref.id)


def _record(flag: Flag) -> FlagRecord:
    ref = DealRef.model_construct(connection=flag.connection, id=flag.id)  # both already validated strings
    return FlagRecord(ref, flag.rule, flag.severity, flag.detail)
