"""Pairwise scoring: how strongly two deals look like one, as a Fellegi-Sunter match weight, with its reasons.

Each comparison measures one field of a pair (a similarity in 0..1, or a distance) and lands in the first of its
levels whose bound holds (similarity >= bound, distance <= bound), else in ``otherwise``. A level carries a
weight: log2 of how much more often duplicates land there than distinct deals do (a Bayes factor; splink's
"match weight"). A missing value on either side weighs 0 and gives no reason. The pair's match weight is
``prior + sum(weights)``; its probability ``1 / (1 + 2**-weight)`` is the pair's confidence.

The default weights were estimated from labelled candidate pairs of the emulator's seeded data (how often true
and false pairs land in each level, seeds 1 and 2 at 10,000 deals per CRM; the benchmark scores seed 7), then
rounded and capped so that no single field decides: the same name alone (+7, prior -4) stays under the default
threshold (+3.17, p = 0.9); with the same account it clears it, unless the close dates or the amounts disagree.
Levels that the emulator never fills with true pairs (close dates a month apart, amounts 2-10% apart) keep a
moderate weight rather than the estimate's minus infinity: real CRMs drift more than the emulator.

Status is not compared: a deal won in one CRM and still open in another is exactly the kind of problem the
rules report (``stale.*``), and they need the two linked to see it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from dealsync.canonical import Stage
from dealsync.quality.dedupe.records import MISSING_DAY, Records

Measure = Callable[[int, int], float | None]
SUBSET = 0.995  # deal-name similarity when one name's words are all in the other


class Kind(StrEnum):
    SIMILARITY = "similarity"  # 0..1; a level holds when the value is >= its bound
    DISTANCE = "distance"  # >= 0; a level holds when the value is <= its bound


@dataclass(frozen=True)
class Level:
    bound: float
    weight: float  # log2 Bayes factor
    reason: str  # formatted with ``value=`` the measured value, e.g. "deal names {value:.0%} similar"


@dataclass(frozen=True)
class Comparison:
    field: str  # a key of MEASURE_KINDS
    levels: tuple[Level, ...]  # checked in order; the first that holds applies
    otherwise: Level  # when none holds (its bound is not used)


MEASURE_KINDS: dict[str, Kind] = {
    "deal_name": Kind.SIMILARITY,  # 1 same words, SUBSET one name's words within the other's, else edit ratio
    "account": Kind.SIMILARITY,  # 1.0 for equal normalised names, else their edit-distance ratio
    "amount": Kind.DISTANCE,  # relative difference in the common currency: |a - b| / max(|a|, |b|); 0 is missing
    "close_date": Kind.DISTANCE,  # days apart
    "owner": Kind.SIMILARITY,  # 1.0 same person (case-insensitive), else 0.0
    "pipeline": Kind.SIMILARITY,  # 1.0 same pipeline id, else 0.0
    "stage": Kind.DISTANCE,  # canonical stages apart (0 = same stage)
}

DEFAULT_COMPARISONS: tuple[Comparison, ...] = (
    # cheap comparisons first: scoring stops as soon as the rest cannot lift a pair over the threshold
    Comparison(
        "close_date",
        (
            Level(0, 3.0, "same close date"),
            Level(7, 2.0, "close dates {value:.0f} days apart"),
            Level(31, -2.0, "close dates {value:.0f} days apart"),
            Level(182, -4.0, "close dates {value:.0f} days apart"),
        ),
        Level(0, -8.0, "close dates {value:.0f} days apart"),  # most often next year's renewal: another deal
    ),
    Comparison(
        "amount",
        (
            Level(0.005, 4.0, "amounts within 0.5%"),
            Level(0.02, 2.0, "amounts within 2%"),
            Level(0.1, 0.0, "amounts within 10%"),
            Level(0.5, -2.0, "amounts {value:.0%} apart"),
        ),
        Level(0, -4.0, "amounts {value:.0%} apart"),
    ),
    Comparison(
        "deal_name",
        (
            Level(1.0, 7.0, "same deal name after normalisation"),
            Level(SUBSET, 6.0, "one deal name has all the words of the other"),
            Level(0.93, 4.0, "deal names {value:.0%} similar"),
            Level(0.85, -2.0, "deal names only {value:.0%} similar"),
            Level(0.7, -4.0, "deal names only {value:.0%} similar"),
        ),
        Level(0, -7.0, "different deal names ({value:.0%} similar)"),
    ),
    Comparison(
        "account",
        (
            Level(1.0, 2.0, "same account after normalisation"),
            Level(0.9, 1.0, "account names {value:.0%} similar"),
            Level(0.75, -1.0, "account names only {value:.0%} similar"),
        ),
        Level(0, -5.0, "different accounts"),
    ),
    Comparison("owner", (Level(1.0, 1.5, "same owner"),), Level(0, -1.5, "different owners")),
    Comparison(
        "stage",
        (Level(0, 1.0, "same stage"), Level(1, -0.5, "stages one step apart")),
        Level(0, -3.0, "stages {value:.0f} steps apart"),
    ),
    Comparison("pipeline", (Level(1.0, 0.0, "same pipeline"),), Level(0, -1.0, "different pipelines")),
)
DEFAULT_PRIOR = -4.0  # log2 odds that a pair found by blocking is a duplicate, before looking at it


def probability(weight: float) -> float:
    return 1.0 / (1.0 + math.exp2(-max(-1000.0, min(1000.0, weight))))


def weight_of(probability_: float) -> float:
    """The match weight whose probability is ``probability_`` (0 < p < 1)."""
    return math.log2(probability_ / (1.0 - probability_))


def measures(records: Records) -> dict[str, Measure]:
    """Each field's measure over ``records``, as ``(i, j) -> value or None`` (None: missing on a side)."""
    return {
        "deal_name": _deal_name(records.name_keys),
        "account": _account(records.account_keys, records.account_ascii_keys),
        "amount": _amount(records.base_amounts),
        "close_date": _close_date(records.close_days),
        "owner": _equal(_casefolded(records.owners)),
        "pipeline": _equal(records.pipelines),
        "stage": _stage(records.stages),
    }


def _deal_name(names: list[str]) -> Measure:
    """1.0 for the same words; 0.995 when one name's words are all in the other (a year or a word left out);
    else the edit-distance ratio of the (sorted) words, so a typo costs little and a different word a lot."""

    def measure(i: int, j: int) -> float | None:
        a, b = names[i], names[j]
        if not a or not b:  # a name of punctuation only says nothing
            return None
        if a == b:
            return 1.0
        if fuzz.token_set_ratio(a, b) == 100.0:
            return SUBSET
        return min(fuzz.ratio(a, b) / 100.0, 0.99)

    return measure


def _account(keys: list[str], ascii_keys: list[str]) -> Measure:
    def measure(i: int, j: int) -> float | None:
        a, b = keys[i], keys[j]
        if not a or not b:
            return None
        if a == b or ascii_keys[i] == ascii_keys[j]:
            return 1.0
        return fuzz.ratio(a, b) / 100.0

    return measure


def _casefolded(values: list[str | None]) -> list[str | None]:
    """Each value case-folded, one string per distinct value (a million owners are a few hundred people)."""
    folded: dict[str, str] = {}
    return [None if v is None else folded.get(v) or folded.setdefault(v, v.casefold()) for v in values]


def _amount(values: Sequence[float]) -> Measure:
    def measure(i: int, j: int) -> float | None:
        a, b = values[i], values[j]
        if a != a or b != b or not a or not b:  # NaN: unknown amount or rate; 0: not filled in yet
            return None
        top = max(abs(a), abs(b))
        return abs(a - b) / top if top else 0.0

    return measure


def _close_date(values: Sequence[int]) -> Measure:
    def measure(i: int, j: int) -> float | None:
        a, b = values[i], values[j]
        return None if a == MISSING_DAY or b == MISSING_DAY else float(abs(a - b))

    return measure


def _equal(values: list[str | None]) -> Measure:
    def measure(i: int, j: int) -> float | None:
        a, b = values[i], values[j]
        return None if a is None or b is None else float(a == b)

    return measure


def _stage(stages: list[str | None]) -> Measure:
    order = {stage.value: stage.order for stage in Stage}
    positions = [None if s is None else order.get(s) for s in stages]

    def measure(i: int, j: int) -> float | None:
        a, b = positions[i], positions[j]
        return None if a is None or b is None else float(abs(a - b))

    return measure


WeightOf = Callable[[int, int], float]


class PairScorer:
    """Scores pairs of ``records`` with ``comparisons``; ``weight`` stops early on a pair that cannot match."""

    def __init__(
        self, records: Records, comparisons: tuple[Comparison, ...], prior: float, threshold: float, base: str
    ) -> None:
        self.records, self.comparisons, self.base = records, comparisons, base
        self.prior, self.threshold = prior, threshold
        self._measures = measures(records)
        best = [max(0.0, c.otherwise.weight, *(level.weight for level in c.levels)) for c in comparisons]
        # (weight function, the most all later comparisons can still add)
        self._steps: tuple[tuple[WeightOf, float], ...] = tuple(
            (_weight_function(c, self._measures[c.field]), sum(best[n + 1 :])) for n, c in enumerate(comparisons)
        )

    def weight(self, i: int, j: int) -> float | None:
        """The pair's match weight when it reaches the threshold, else None (often before measuring every field)."""
        total, threshold = self.prior, self.threshold
        for weight_of_pair, best_after in self._steps:
            total += weight_of_pair(i, j)
            if total + best_after < threshold:
                return None
        return total

    def explain(self, i: int, j: int) -> tuple[float, list[str]]:
        """The pair's full match weight and one reason per measured field, strongest evidence first."""
        total, reasons = self.prior, []
        for comparison in self.comparisons:
            value = self._measures[comparison.field](i, j)
            if value is None:
                continue
            level = level_of(comparison, value)
            total += level.weight
            reasons.append((-level.weight, self._reason(comparison.field, level, value, i, j)))
        return total, [text for _, text in sorted(reasons, key=lambda r: r[0])]

    def _reason(self, field: str, level: Level, value: float, i: int, j: int) -> str:
        text = level.reason.format(value=value)
        currencies = self.records.currencies
        if field == "amount" and currencies[i] != currencies[j]:
            text += f" once converted to {self.base} ({currencies[i]} vs {currencies[j]})"
        return text


def level_of(comparison: Comparison, value: float) -> Level:
    """The first level of ``comparison`` that ``value`` reaches, else its ``otherwise`` level."""
    if MEASURE_KINDS[comparison.field] is Kind.SIMILARITY:
        return next((level for level in comparison.levels if value >= level.bound), comparison.otherwise)
    return next((level for level in comparison.levels if value <= level.bound), comparison.otherwise)


def _weight_function(comparison: Comparison, measure: Measure) -> WeightOf:
    """``(i, j) -> weight`` for one comparison: the hot path, so its levels are unpacked into locals."""
    levels = tuple((level.bound, level.weight) for level in comparison.levels)
    otherwise = comparison.otherwise.weight
    if MEASURE_KINDS[comparison.field] is Kind.SIMILARITY:

        def similarity(i: int, j: int) -> float:
            value = measure(i, j)
            if value is None:
                return 0.0
            for bound, weight in levels:
                if value >= bound:
                    return weight
            return otherwise

        return similarity

    def distance(i: int, j: int) -> float:
        value = measure(i, j)
        if value is None:
            return 0.0
        for bound, weight in levels:
            if value <= bound:
                return weight
        return otherwise

    return distance
