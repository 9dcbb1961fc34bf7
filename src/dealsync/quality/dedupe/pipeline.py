"""``find_clusters``: normalise → block → score → cluster → golden record. Pure: no I/O, no clock."""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator

from dealsync.canonical import DealRef
from dealsync.quality.dedupe.blocking import candidate_pairs
from dealsync.quality.dedupe.clustering import Edge, Group, cluster
from dealsync.quality.dedupe.golden import golden_record
from dealsync.quality.dedupe.model import Cluster, DedupeSettings, cluster_id
from dealsync.quality.dedupe.records import DealFields, Records, build_records
from dealsync.quality.dedupe.scoring import PairScorer, probability, weight_of
from dealsync.quality.model import FxTable

DEFAULT_SETTINGS = DedupeSettings()


def find_clusters(
    deals: Iterable[DealFields],
    fx: FxTable,
    *,
    settings: DedupeSettings = DEFAULT_SETTINGS,
    not_duplicates: Collection[frozenset[DealRef]] = (),
) -> list[Cluster]:
    """Groups of two or more live deals that are one real deal, most confident first (ties by id).

    ``deals`` may be a stream: each deal is reduced to a compact record as it arrives. ``fx`` converts amounts
    to one currency for comparison (a deal whose currency has no rate is compared without its amount).
    ``not_duplicates``: pairs a person marked distinct; no cluster ever holds both deals of such a pair.

    The cyclic garbage collector is paused meanwhile (as ``emulator.seed.generate`` does): dedupe allocates
    millions of small acyclic objects, and the collections they trigger would rescan the caller's whole heap
    (with a million deals loaded, about a quarter of the run time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _find_clusters(deals, fx, settings, not_duplicates)
    finally:
        if was_enabled:
            gc.enable()


def _find_clusters(
    deals: Iterable[DealFields], fx: FxTable, settings: DedupeSettings, not_duplicates: Collection[frozenset[DealRef]]
) -> list[Cluster]:
    records = build_records(deals, fx)
    scorer = PairScorer(records, settings.comparisons, settings.prior, weight_of(settings.threshold), fx.base)
    groups = cluster(_links(records, settings, scorer), _cannot_link(records, not_duplicates))
    found = [_cluster(records, group, scorer, settings) for group in groups]
    return sorted(found, key=lambda c: (-c.confidence, c.id))


def _links(records: Records, settings: DedupeSettings, scorer: PairScorer) -> Iterator[Edge]:
    """The pairs that reach the threshold, as ``(weight, i, j)`` of plain Python numbers."""
    i, j, weights = scorer.links(candidate_pairs(records, settings.blocking))
    return zip(weights.tolist(), i.tolist(), j.tolist(), strict=True)


def _cannot_link(records: Records, not_duplicates: Collection[frozenset[DealRef]]) -> list[tuple[int, int]]:
    pairs = []
    for pair in not_duplicates:
        found = [i for i in (_index(records, ref) for ref in pair) if i is not None]
        if len(found) == 2:
            pairs.append((min(found), max(found)))
    return pairs


def _index(records: Records, ref: DealRef) -> int | None:
    """Where ``ref`` is in the (connection, id)-sorted records, or None."""
    key = (ref.connection, ref.id)
    i = bisect_left(range(len(records)), key, key=lambda k: (records.connections[k], records.ids[k]))
    return i if i < len(records) and (records.connections[i], records.ids[i]) == key else None


def _cluster(records: Records, group: Group, scorer: PairScorer, settings: DedupeSettings) -> Cluster:
    members = tuple(records.ref(i) for i in group.members)
    weakest = min(group.links, key=lambda e: (e[0], e[1], e[2]))
    weight, reasons = scorer.explain(weakest[1], weakest[2])
    if len(group.members) > 2:
        reasons.insert(0, f"{len(members)} deals linked by {len(group.links)} matching pairs; the weakest pair:")
    reasons += [f"kept apart from {records.label(j)}: marked not a duplicate" for _, j in group.kept_apart]
    return Cluster(
        id=cluster_id(members),
        members=members,
        confidence=probability(weight),
        reasons=tuple(reasons),
        golden=golden_record(records, group.members, settings.survivorship, settings.preferred_connection),
    )
