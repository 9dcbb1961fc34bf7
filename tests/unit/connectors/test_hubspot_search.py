"""The incremental search reader: every deal in the range exactly once, past the 10,000 cap and huge ties."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from dealsync.connectors.hubspot_search import MODIFIED, OBJECT_ID, AfterTokens, Hit, modified_between
from dealsync.errors import FatalError

PROPS = ["dealname", MODIFIED]
OPS = {
    "EQ": lambda a, b: a == b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
}


class SearchCapExceeded(Exception):
    """HubSpot's 400 for paging past the first 10,000 results."""


class FakeSearch:
    """HubSpot search semantics: AND filters, one sort, ties in no particular order, limit <= 200, 10,000 cap."""

    def __init__(self, deals: dict[str, int], seed: int = 1) -> None:
        self.deals = deals  # id -> hs_lastmodifieddate (epoch ms)
        self.rng = random.Random(seed)
        self.bodies: list[dict[str, Any]] = []

    def value(self, deal_id: str, name: str) -> int:
        return self.deals[deal_id] if name == MODIFIED else int(deal_id)

    def __call__(self, body: dict[str, Any]) -> list[Hit]:
        self.bodies.append(body)
        (group,) = body["filterGroups"]
        (sort,) = body["sorts"]  # HubSpot sorts by one property only
        limit, after = body["limit"], int(body.get("after") or 0)
        assert limit <= 200
        if after + limit > 10_000:
            raise SearchCapExceeded
        found = [
            d
            for d in self.deals
            if all(OPS[f["operator"]](self.value(d, f["propertyName"]), int(f["value"])) for f in group["filters"])
        ]
        found.sort(key=lambda d: (self.value(d, sort["propertyName"]), self.rng.random()))
        return [Hit(d, self.deals[d], {"id": d}) for d in found[after : after + limit]]


def read_all(search: FakeSearch, lower: int, upper: int, **kwargs: Any) -> list[Hit]:
    return [hit for page in modified_between(search, lower, upper, PROPS, **kwargs) for hit in page]


def spread(count: int, start_id: int, seed: int, low: int = 1_000, high: int = 9_000_000) -> dict[str, int]:
    rng = random.Random(seed)
    return {str(start_id + i): rng.randrange(low, high) for i in range(count)}


def test_more_than_ten_thousand_with_ten_thousand_five_hundred_sharing_one_instant() -> None:
    pipeline_edit = 5_000_000
    deals = spread(14_500, 1_000_000, seed=3)
    deals.update({str(2_000_000 + i): pipeline_edit for i in range(10_500)})
    search = FakeSearch(deals)
    hits = read_all(search, 0, 10_000_000)
    counts = Counter(hit.id for hit in hits)
    assert set(counts) == set(deals)
    assert max(counts.values()) == 1
    stamps = [hit.modified_ms for hit in hits]
    assert stamps == sorted(stamps)  # oldest first, so a per-page cursor is safe
    assert all(int(b.get("after") or 0) == 0 for b in search.bodies)  # never pages by offset
    assert len(search.bodies) <= 25_000 / 200 * 1.1 + 5
    id_walk = [b for b in search.bodies if b["sorts"][0]["propertyName"] == OBJECT_ID]
    assert 10_500 / 200 <= len(id_walk) <= 10_500 / 200 + 2


def test_everything_at_the_lower_bound_instant() -> None:
    deals = {str(10 + i): 777 for i in range(1_000)}
    deals.update(spread(300, 50_000, seed=4, low=778, high=900))
    hits = read_all(FakeSearch(deals), 777, 900)
    assert sorted(h.id for h in hits) == sorted(deals)


def test_only_the_inclusive_range_is_read() -> None:
    deals = {"1": 99, "2": 100, "3": 150, "4": 200, "5": 201}
    hits = read_all(FakeSearch(deals), 100, 200)
    assert [h.id for h in hits] == ["2", "3", "4"]


@pytest.mark.parametrize("count", [0, 1, 199, 200, 201, 400, 1_000])
def test_page_boundaries(count: int) -> None:
    deals = {str(100 + i): 1_000 + i // 3 for i in range(count)}
    hits = read_all(FakeSearch(deals, seed=count), 0, 10**9)
    assert sorted(h.id for h in hits) == sorted(deals)
    assert len(hits) == count


def test_small_pages_and_ties_bigger_than_a_page() -> None:
    deals = {str(1000 + i): 50 + i // 7 for i in range(300)}
    search = FakeSearch(deals)
    hits = read_all(search, 0, 10**6, limit=5)
    assert Counter(h.id for h in hits) == Counter(deals.keys())


def test_a_deal_edited_mid_read_does_not_make_the_reader_skip_another() -> None:
    """Offset paging would skip one deal here: the edited one leaves the range and every later one moves up."""
    deals = {str(100 + i): 1_000 + i for i in range(600)}
    search = FakeSearch(deals)
    pages = modified_between(search, 0, 5_000, PROPS)
    first = next(pages)
    search.deals[first[0].id] = 9_999  # a person edits a deal already read: now past the upper bound
    rest = [hit.id for page in pages for hit in page]
    assert set(rest) | {h.id for h in first} == set(deals)


def test_a_search_that_does_not_move_forward_raises() -> None:
    def stuck(body: dict[str, Any]) -> list[Hit]:
        return [Hit(str(i), 500) for i in range(200)]

    with pytest.raises(FatalError, match="did not move past"):
        read_all(stuck, 0, 1_000)  # type: ignore[arg-type]


def test_a_search_that_returns_results_below_the_bound_raises() -> None:
    calls = {"n": 0}

    def backwards(body: dict[str, Any]) -> list[Hit]:
        calls["n"] += 1
        base = 500 if calls["n"] == 1 else 100
        return [Hit(str(calls["n"] * 1000 + i), base + (i if calls["n"] == 1 else 0)) for i in range(200)]

    with pytest.raises(FatalError, match="below the requested bound"):
        read_all(backwards, 0, 1_000)  # type: ignore[arg-type]


def test_query_shape() -> None:
    search = FakeSearch({"1": 5})
    read_all(search, 3, 9)
    (body,) = search.bodies
    assert body["filterGroups"] == [
        {
            "filters": [
                {"propertyName": MODIFIED, "operator": "GTE", "value": "3"},
                {"propertyName": MODIFIED, "operator": "LTE", "value": "9"},
            ]
        }
    ]
    assert body["sorts"] == [{"propertyName": MODIFIED, "direction": "ASCENDING"}]
    assert body["limit"] == 200
    assert body["properties"] == PROPS
    assert "after" not in body


def test_after_tokens_raise_on_a_repeat() -> None:
    tokens = AfterTokens("the deal list")
    assert tokens.next("100") == "100"
    assert tokens.next(None) is None
    assert tokens.next("200") == "200"
    with pytest.raises(FatalError, match="'100' twice while reading the deal list"):
        tokens.next("100")
