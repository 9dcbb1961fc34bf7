"""The audit's dedupe step, beside the rules: in a child process on large stores, else in this one.

Dedupe needs every deal before it can say anything; the rules need its clusters only for the deals in them
(their linked deals). So on a large store a child process reads the deals and runs ``find_clusters`` while this
process computes the outlier statistics and judges the store's slices without linked deals (``audit_slices``).
The child sends the clusters (on its stdout) as soon as it has them, then takes slices from the last while this
process takes them from the first, until they meet; then both judge the clustered deals again with their linked
deals, in batches claimed the same way (``Claims``). Two cores, busy until the end.
In-process, one read of the deals feeds both ``find_clusters`` and the outlier statistics.

The child is ``python -m dealsync.sync.audit_dedupe``, not ``multiprocessing``: it never re-imports the caller's
main module (so ``run_audit`` works from any script), and the store URL, password included, travels on its
stdin, never in its arguments. A store only this process can see (in-memory SQLite) is deduped in-process.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol, cast

from dealsync.canonical import Deal, DealRef
from dealsync.errors import FatalError
from dealsync.quality.dedupe import DEFAULT_SETTINGS, Cluster, DedupeSettings, find_clusters
from dealsync.quality.model import FxTable
from dealsync.quality.rules import OutlierStats
from dealsync.store import DedupeCluster, Store, open_store
from dealsync.sync.audit_judge import Judge, judge_linked, linked_batches
from dealsync.sync.audit_result import ScoredDeal
from dealsync.sync.audit_slices import PassPlan, SliceResult, judge_slices
from dealsync.sync.audit_stream import SideConsumer

PARALLEL_FROM = 50_000  # live deals from which a child process pays for its start (~1 s)

Clusters = list[DedupeCluster]


class ClusterJob(Protocol):
    """Dedupe under way: take its outlier statistics, share the slices (``share`` the plan, then ``claim_slice``
    each one before judging it), then collect the clusters, and the slices and clustered deals the other side
    judged."""

    def outlier_stats(self) -> OutlierStats: ...

    def share(self, plan: PassPlan) -> None: ...

    def claim_slice(self, index: int) -> bool: ...

    def clusters(self) -> Clusters: ...

    def judged(self) -> tuple[list[SliceResult], list[ScoredDeal]]: ...

    def close(self) -> None: ...


def start_clusters(
    store: Store,
    fx: FxTable,
    not_duplicates: Collection[frozenset[DealRef]],
    *,
    parallel: bool,
    settings: DedupeSettings = DEFAULT_SETTINGS,
) -> ClusterJob:
    """Start dedupe: in a child process when ``parallel`` and the store is shareable, else right here."""
    url = shareable_url(store) if parallel else None
    if url is None:
        side: SideConsumer[Deal, OutlierStats] = SideConsumer(lambda deals: OutlierStats.build(deals, fx))
        found = find_clusters(
            side.tap(store.iter_deals(with_raw=False)), fx, settings=settings, not_duplicates=not_duplicates
        )
        return _InProcess(store, found, side.result())
    return _Child(store, fx, (url, fx, list(not_duplicates), settings))


def shareable_url(store: Store) -> str | None:
    """The store's full URL when another process can open the same database, else None."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or "mode=memory" in database or url.query.get("mode") == "memory":
            return None
    return url.render_as_string(hide_password=False)


def as_stored(found: Iterable[Cluster]) -> Clusters:
    """Dedupe clusters as the store and the reports keep them: golden values as JSON text, and the many
    repeated strings (reasons such as "same close date", currencies, stages) shared, not copied per cluster."""
    shared: dict[str, str] = {}

    def share(value: object) -> object:
        if isinstance(value, dict):
            return {share(k): share(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [share(v) for v in value]
        if value is None or isinstance(value, int | float | bool):  # bool is an int: never pooled with 1
            return value
        text = value if isinstance(value, str) else value.isoformat() if hasattr(value, "isoformat") else str(value)
        return shared.setdefault(text, text)

    return [
        DedupeCluster(
            id=cluster.id,
            members=tuple(cluster.members),
            confidence=float(cluster.confidence),
            golden={str(share(k)): share(v) for k, v in cluster.golden.items()},
            reasons=tuple(str(share(r)) for r in cluster.reasons),
        )
        for cluster in found
    ]


class _InProcess:
    def __init__(self, store: Store, found: list[Cluster], stats: OutlierStats) -> None:
        self._store, self._clusters, self._stats = store, as_stored(found), stats
        self._plan: PassPlan | None = None

    def outlier_stats(self) -> OutlierStats:
        return self._stats

    def share(self, plan: PassPlan) -> None:
        self._plan = plan

    def claim_slice(self, index: int) -> bool:  # noqa: ARG002 - nobody else takes slices
        return True

    def clusters(self) -> Clusters:
        return self._clusters

    def judged(self) -> tuple[list[SliceResult], list[ScoredDeal]]:
        if self._plan is None:
            raise RuntimeError("share(plan) must come before judged()")
        return [], judge_linked(self._store, self._plan.ctx, linked_batches(self._clusters), Judge())

    def close(self) -> None:
        pass


class _Child:
    """The child process, its stdin (job, then rule context) and a private folder for its answer and errors."""

    def __init__(self, store: Store, fx: FxTable, job: tuple[object, ...]) -> None:
        self._store, self._fx = store, fx
        self._folder = tempfile.TemporaryDirectory(prefix="dealsync-audit-")
        self._out = Path(self._folder.name) / "result.pickle"
        self._err = (Path(self._folder.name) / "stderr.txt").open("w+b")
        self._proc = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err
        )
        self._stdin = cast(IO[bytes], self._proc.stdin)
        self._stdout = cast(IO[bytes], self._proc.stdout)
        self._stats: OutlierStats | None = None
        self._clusters: Clusters | None = None
        self._plan: PassPlan | None = None
        self._slice_claims = Claims(Path(self._folder.name), "slice")
        self._linked_claims = Claims(Path(self._folder.name), "linked")
        self._send((*job, str(self._out)))

    def _answer(self) -> Any:
        try:
            return pickle.load(self._stdout)  # noqa: S301 - our own child's stdout
        except EOFError:
            raise self._failure() from None

    def outlier_stats(self) -> OutlierStats:
        """Computed here from four columns of every deal, while the child reads the deals."""
        if self._stats is None:
            self._stats = OutlierStats.from_amounts(self._store.iter_amounts(), self._fx)
        return self._stats

    def clusters(self) -> Clusters:
        """The clusters, sent as soon as ``find_clusters`` returns (blocks until then)."""
        if self._clusters is None:
            self._clusters = self._answer()
        return self._clusters

    def _failure(self) -> FatalError:
        self._proc.wait()
        self._err.seek(0)
        lines = self._err.read().decode(errors="replace").strip().splitlines() or ["no message"]
        return FatalError(f"the audit's dedupe process failed (exit {self._proc.returncode}): {lines[-1]}")

    def _send(self, value: object, *, last: bool = False) -> None:
        with suppress(BrokenPipeError):  # the child is gone: clusters() and judged() say why
            pickle.dump(value, self._stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._stdin.flush()
        if last:
            self._close_stdin()

    def _close_stdin(self) -> None:
        with suppress(BrokenPipeError):
            self._stdin.close()

    def share(self, plan: PassPlan) -> None:
        self._plan = plan
        self._send(plan, last=True)

    def claim_slice(self, index: int) -> bool:
        return self._slice_claims.take(index)

    def judged(self) -> tuple[list[SliceResult], list[ScoredDeal]]:
        """The slices the child judged, and the clustered deals judged with their linked deals: the child takes
        batches from the first, this process (done with its own work) from the last, until they meet."""
        if self._plan is None:
            raise RuntimeError("share(plan) must come before judged()")
        batches = linked_batches(self.clusters())
        claim = self._linked_claims.take
        here = judge_linked(self._store, self._plan.ctx, batches, Judge(), claim=claim, backwards=True)
        if self._proc.wait() != 0:
            raise self._failure()
        with self._out.open("rb") as handle:
            slices, there = pickle.load(handle)  # noqa: S301 - our own child's, in a private folder
        return slices, there + here

    def close(self) -> None:
        if not self._stdin.closed:
            self._close_stdin()
        self._stdout.close()
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._err.close()
        self._folder.cleanup()


def _child_main() -> None:
    """The child's whole job: its own connection to the store; one read of the deals, ``find_clusters``, the
    clusters sent to the parent on stdout; then, with the plan the parent sent, slices from the last and the
    clustered deals with their linked deals, all pickled to the file the parent named."""
    stdin = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")  # the pipe to the parent, for pickles only
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything else printed goes to the error log
    sys.stdout = sys.stderr
    url, fx, not_duplicates, settings, out = pickle.load(stdin)  # noqa: S301 - from our parent's pipe
    # the plan comes while dedupe runs: read it at once, so that the parent never waits on a full pipe
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dealsync-plan")
    incoming = reader.submit(pickle.load, stdin)
    with paused_gc(), open_store(url) as store:
        found = find_clusters(store.iter_deal_summaries(), fx, settings=settings, not_duplicates=not_duplicates)
        clusters = as_stored(found)
        pickle.dump(clusters, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()
        del found
        plan: PassPlan = incoming.result()
        reader.shutdown()
        folder, judge = Path(out).parent, Judge()
        slices = judge_slices(store, plan, judge, claim=Claims(folder, "slice").take, backwards=True)
        linked = judge_linked(store, plan.ctx, linked_batches(clusters), judge, claim=Claims(folder, "linked").take)
    with open(out, "wb") as handle:
        pickle.dump((slices, linked), handle, protocol=pickle.HIGHEST_PROTOCOL)


class Claims:
    """Work two processes share, claimed by creating a file: the first to create ``{kind}-N`` does item N."""

    def __init__(self, folder: Path, kind: str = "claim") -> None:
        self._folder, self._kind = folder, kind

    def take(self, index: int) -> bool:
        try:
            os.close(os.open(self._folder / f"{self._kind}-{index}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection for the block (then back as it was).

    An audit builds millions of long-lived objects and no reference cycles worth collecting; the collector's
    full passes over that growing heap cost more than half of the work on 100,000 deals.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


if __name__ == "__main__":
    _child_main()
