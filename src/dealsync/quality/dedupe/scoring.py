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

``PairScorer.weight`` scores one pair in Python; ``PairScorer.links`` scores blocking's millions of candidate
pairs on numpy arrays, with the same result pair by pair. Weights add up, so the order in which comparisons are
computed does not change a pair's total, only how early it can be dropped: as soon as even the best weights of
the comparisons still to compute could not lift it to the threshold. ``links`` computes the cheap comparisons
first (close date, amount, owner, stage, pipeline: numbers gathered per pair), each on the pairs the ones before
it left; then drops repeated pairs; then runs the string comparisons (deal name, account) with
``rapidfuzz.process.cpdist`` and the same scorers as ``measures``, on the few pairs left (3% on the emulator's
data). The survivors are finally summed in the configured order with ``weight``'s own early stop, so an
accepted pair gets bit for bit the weight ``weight`` gives it, and the same pairs are accepted (the earlier drops
keep a margin far above floating-point rounding).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from dealsync.canonical import Stage
from dealsync.quality.dedupe.blocking import Codes, Indices, Pairs, codes, distinct
from dealsync.quality.dedupe.records import MISSING_DAY, Records

Measure = Callable[[int, int], float | None]
Values = NDArray[np.float64]
Mask = NDArray[np.bool_]
# (I, J) -> (each pair's value, whether it is missing on a side): ``Measure`` over arrays of pairs
VectorMeasure = Callable[[Indices, Indices], tuple[Values, Mask]]
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


STRING_FIELDS = frozenset({"deal_name", "account"})  # measured with rapidfuzz: scored last, on the fewest pairs
CHUNK = 1 << 16  # pairs scored at a time by ``PairScorer.links``


def vector_measures(records: Records) -> dict[str, VectorMeasure]:
    """Each field's measure over arrays of pairs: the same values as ``measures``, missing where it gives None.
    Per-record numbers are kept narrow (int32, int8): gathering them for millions of pairs is cache-bound."""
    return {
        "deal_name": _deal_names(records.name_keys),
        "account": _accounts(records.account_keys, records.account_ascii_keys),
        "amount": _amounts(np.asarray(records.base_amounts, dtype=np.float64)),
        "close_date": _close_dates(np.asarray(records.close_days, dtype=np.int32)),
        "owner": _same(_casefolded_codes(records.owners)),
        "pipeline": _same(codes(records.pipelines, missing=(None,))),
        "stage": _stages(records.stages),
    }


def _deal_names(names: list[str]) -> VectorMeasure:
    texts, numbers = _texts(names)

    def measure(i: Indices, j: Indices) -> tuple[Values, Mask]:
        a, b = numbers[i], numbers[j]
        missing = (a < 0) | (b < 0)
        value = np.ones(len(i))
        differ = np.flatnonzero(~missing & (a != b))
        x, y = texts[a[differ]], texts[b[differ]]
        subset = cpdist(x, y, scorer=fuzz.token_set_ratio, dtype=np.float64) == 100.0
        value[differ] = SUBSET
        ratio = cpdist(x[~subset], y[~subset], scorer=fuzz.ratio, dtype=np.float64) / 100.0
        value[differ[~subset]] = np.minimum(ratio, 0.99)
        return value, missing

    return measure


def _accounts(keys: list[str], ascii_keys: list[str]) -> VectorMeasure:
    (texts, numbers), ascii_numbers = _texts(keys), codes(ascii_keys, missing=())

    def measure(i: Indices, j: Indices) -> tuple[Values, Mask]:
        a, b = numbers[i], numbers[j]
        missing = (a < 0) | (b < 0)
        value = np.ones(len(i))
        differ = np.flatnonzero(~missing & (a != b) & (ascii_numbers[i] != ascii_numbers[j]))
        value[differ] = cpdist(texts[a[differ]], texts[b[differ]], scorer=fuzz.ratio, dtype=np.float64) / 100.0
        return value, missing

    return measure


def _texts(values: list[str]) -> tuple[NDArray[np.object_], Codes]:
    """The distinct strings (an object array, for rapidfuzz) and each record's number among them (-1: empty)."""
    unique, numbers = distinct(values, missing=("",))
    texts = np.empty(len(unique), dtype=object)
    texts[:] = unique
    return texts, numbers


def _casefolded_codes(values: list[str | None]) -> Codes:
    """Owners as numbers, equal case-insensitively (a million owners are a few hundred people: each distinct
    one is folded once)."""
    unique, numbers = distinct(values)
    return codes([None if v is None else v.casefold() for v in unique], missing=(None,))[numbers]


def _amounts(amounts: Values) -> VectorMeasure:
    known = np.where(amounts == 0, np.nan, amounts)  # 0 (not filled in yet) says as little as NaN (unknown)

    def measure(i: Indices, j: Indices) -> tuple[Values, Mask]:
        a, b = known[i], known[j]
        with np.errstate(invalid="ignore", over="ignore"):  # NaN where missing; inf and NaN as Python gets them
            return np.abs(a - b) / np.maximum(np.abs(a), np.abs(b)), np.isnan(a) | np.isnan(b)

    return measure


def _close_dates(days: Codes) -> VectorMeasure:
    def measure(i: Indices, j: Indices) -> tuple[Values, Mask]:
        a, b = days[i], days[j]
        return np.abs(a - b).astype(np.float64), (a == MISSING_DAY) | (b == MISSING_DAY)

    return measure


def _same(numbers: Codes) -> VectorMeasure:
    def measure(i: Indices, j: Indices) -> tuple[Values, Mask]:
        a, b = numbers[i], numbers[j]
        return (a == b).astype(np.float64), (a < 0) | (b < 0)

    return measure


def _stages(stages: list[str | None]) -> VectorMeasure:
    order = {stage.value: stage.order for stage in Stage}
    unique, numbers = distinct(stages)
    positions = np.array([-1 if s is None else order.get(s, -1) for s in unique], dtype=np.int8)[numbers]

    def measure(i: Indices, j: Indices) -> tuple[Values, Mask]:
        a, b = positions[i], positions[j]
        return np.abs(a - b).astype(np.float64), (a < 0) | (b < 0)

    return measure


WeightOf = Callable[[int, int], float]


class PairScorer:
    """Scores pairs of ``records`` with ``comparisons``: ``weight`` one pair, ``links`` many on arrays; both stop
    early on a pair that cannot match."""

    def __init__(
        self, records: Records, comparisons: tuple[Comparison, ...], prior: float, threshold: float, base: str
    ) -> None:
        self.records, self.comparisons, self.base = records, comparisons, base
        self.prior, self.threshold = prior, threshold
        self._measures = measures(records)
        self._best = [max(0.0, c.otherwise.weight, *(level.weight for level in c.levels)) for c in comparisons]
        # (weight function, the most all later comparisons can still add)
        self._steps: tuple[tuple[WeightOf, float], ...] = tuple(
            (_weight_function(c, self._measures[c.field]), sum(self._best[n + 1 :])) for n, c in enumerate(comparisons)
        )
        self._cheap = [c for c, comparison in enumerate(comparisons) if comparison.field not in STRING_FIELDS]
        self._costly = [c for c, comparison in enumerate(comparisons) if comparison.field in STRING_FIELDS]
        # ``links`` drops a pair before the exact sum only below this: room for sums rounded in another order
        largest = [max(abs(c.otherwise.weight), *(abs(level.weight) for level in c.levels)) for c in comparisons]
        self._floor = threshold - 1e-9 * (abs(prior) + abs(threshold) + sum(largest))

    def weight(self, i: int, j: int) -> float | None:
        """The pair's match weight when it reaches the threshold, else None (often before measuring every field)."""
        total, threshold = self.prior, self.threshold
        for weight_of_pair, best_after in self._steps:
            total += weight_of_pair(i, j)
            if total + best_after < threshold:
                return None
        return total

    def links(self, pairs: Iterable[Pairs]) -> tuple[Indices, Indices, Values]:
        """``weight`` over chunks of pairs: the distinct pairs that reach the threshold, in (i, j) order, with
        their weights. Cheap comparisons first, string ones on the pairs they leave (see the module docstring)."""
        vector = vector_measures(self.records)
        i, j = self._plausible(vector, pairs)
        found = [self._accepted(vector, i[s : s + CHUNK], j[s : s + CHUNK]) for s in range(0, len(i), CHUNK)]
        return (
            np.concatenate([np.empty(0, dtype=np.int32), *(f[0] for f in found)]),
            np.concatenate([np.empty(0, dtype=np.int32), *(f[1] for f in found)]),
            np.concatenate([np.empty(0, dtype=np.float64), *(f[2] for f in found)]),
        )

    def _plausible(self, vector: dict[str, VectorMeasure], pairs: Iterable[Pairs]) -> Pairs:
        """The distinct pairs that may still match after the cheap comparisons, in (i, j) order. Scored
        ``CHUNK`` pairs at a time, so that the temporaries stay small whatever the size of the blocks."""
        n = len(self.records)
        keys = [np.empty(0, dtype=np.int64)]
        for i, j in _chunks(pairs):
            kept_i, kept_j, _ = self._survivors(vector, self._cheap, i, j)
            keys.append(kept_i.astype(np.int64) * n + kept_j)
        unique_keys = _sorted_unique(np.concatenate(keys))
        return (unique_keys // n).astype(np.int32), (unique_keys % n).astype(np.int32)

    def _accepted(self, vector: dict[str, VectorMeasure], i: Indices, j: Indices) -> tuple[Indices, Indices, Values]:
        """The pairs that reach the threshold, with their weights."""
        return self._exact(*self._survivors(vector, self._cheap + self._costly, i, j))

    def _survivors(
        self, vector: dict[str, VectorMeasure], order: list[int], i: Indices, j: Indices
    ) -> tuple[Indices, Indices, dict[int, Values]]:
        """The pairs that may still match after the comparisons ``order``, with their weights: each comparison
        runs on the pairs that the ones before it left (after close dates and amounts, a quarter of them)."""
        known: dict[int, Values] = {}
        for c in order:
            known[c] = self._weights(vector, c, i, j)
            keep = self._may_match(known, len(i))
            if not keep.all():
                i, j, known = i[keep], j[keep], {k: w[keep] for k, w in known.items()}
        return i, j, known

    def _weights(self, vector: dict[str, VectorMeasure], c: int, i: Indices, j: Indices) -> Values:
        comparison = self.comparisons[c]
        return vector_weights(comparison, *vector[comparison.field](i, j))

    def _may_match(self, known: dict[int, Values], size: int) -> Mask:
        """Whether each pair could still reach the threshold, with the comparisons not in ``known`` at their best
        (a pair is dropped only when even rounding in the summation order could not change that)."""
        bound = np.full(size, self.prior, dtype=np.float64)
        for c, best in enumerate(self._best):
            bound += known.get(c, best)
        return ~(bound < self._floor)  # NaN: let the exact sum decide

    def _exact(self, i: Indices, j: Indices, weights: dict[int, Values]) -> tuple[Indices, Indices, Values]:
        """``weight``'s own sum and early stop, in the configured order: the same pairs and weights, bit for bit."""
        total, reached = np.full(len(i), self.prior, dtype=np.float64), np.ones(len(i), dtype=np.bool_)
        for c, (_, best_after) in enumerate(self._steps):
            total += weights[c]
            reached &= ~(total + best_after < self.threshold)
        return i[reached], j[reached], total[reached]

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


def _sorted_unique(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """``np.unique`` by sorting: numpy 2 finds unique integers by hashing, many times slower on millions."""
    values = np.sort(values)
    first = np.ones(len(values), dtype=np.bool_)
    first[1:] = values[1:] != values[:-1]
    return values[first]


def _chunks(pairs: Iterable[Pairs]) -> Iterator[Pairs]:
    for i, j in pairs:
        for start in range(0, len(i), CHUNK):
            yield i[start : start + CHUNK], j[start : start + CHUNK]


def vector_weights(comparison: Comparison, value: Values, missing: Mask) -> Values:
    """Each pair's weight for ``comparison``: its first level that the value reaches, 0 where it is missing."""
    similarity = MEASURE_KINDS[comparison.field] is Kind.SIMILARITY
    weights = np.full(len(value), float(comparison.otherwise.weight))
    for level in reversed(comparison.levels):  # the first level that holds is written last
        weights[value >= level.bound if similarity else value <= level.bound] = level.weight
    weights[missing] = 0.0
    return weights


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
