"""Duplicate deals within and across CRMs: normalise → block → score → cluster → golden record.

Each step is a module of pure functions, tested on its own: ``normalize`` (names without case, accents,
punctuation and legal forms), ``records`` (deals as compact columns, canonical order), ``blocking`` (which pairs
to score), ``scoring`` (Fellegi-Sunter match weights with reasons), ``clustering`` (union-find that respects
"not a duplicate"), ``golden`` (survivorship). ``find_clusters`` runs them all.
"""

from dealsync.quality.dedupe.blocking import BlockingSettings
from dealsync.quality.dedupe.golden import Survivorship
from dealsync.quality.dedupe.model import Cluster, DedupeSettings, cluster_id
from dealsync.quality.dedupe.pipeline import DEFAULT_SETTINGS, find_clusters
from dealsync.quality.dedupe.scoring import DEFAULT_COMPARISONS, Comparison, Level

__all__ = [
    "DEFAULT_COMPARISONS",
    "DEFAULT_SETTINGS",
    "BlockingSettings",
    "Cluster",
    "Comparison",
    "DedupeSettings",
    "Level",
    "Survivorship",
    "cluster_id",
    "find_clusters",
]
