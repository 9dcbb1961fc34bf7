"""Blocking: far fewer comparisons than all pairs, yet every kind of known duplicate pair is among them."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dealsync.canonical import Deal
from dealsync.quality.dedupe.blocking import BlockingSettings, blocks, candidate_pairs
from dealsync.quality.dedupe.records import Records, build_records
from dealsync.quality.model import FxTable

MakeDeal = Callable[..., Deal]
FX = FxTable(base="USD")

PRODUCTS = ["Platform", "Analytics", "Security", "Training", "Support"]
KINDS = ["Renewal", "Upsell", "Pilot", "Migration"]


def _company(a: int) -> str:
    """A made-up, pronounceable company name per number."""
    rng = random.Random(a)
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(4)).title()


def _population(make_deal: MakeDeal, accounts: int) -> list[Deal]:
    """Four distinct deals per account, no duplicates."""
    deals = []
    for a in range(accounts):
        for k in range(4):
            deals.append(
                make_deal(
                    f"sf:{a:04d}-{k}",
                    name=f"{_company(a)} - {PRODUCTS[(a + k) % 5]} {KINDS[k]} 2026",
                    account_name=f"{_company(a)} Inc",
                    amount=Decimal(1000 + 37 * a + k),
                    close_date=date(2026, 1, 1) + timedelta(days=(a * 7 + k * 40) % 365),
                )
            )
    return deals


def _pairs(records: Records, settings: BlockingSettings | None = None) -> list[tuple[str, str]]:
    labels = [records.label(i) for i in range(len(records))]
    return [(labels[i], labels[j]) for i, j in candidate_pairs(records, settings or BlockingSettings())]


@pytest.mark.parametrize(
    ("name", "original", "duplicate"),
    [
        ("account spelled differently, deal renamed", {}, {"account_name": "KAKAKAVI, INC.", "name": "Q3 deal"}),
        ("no account on one side", {}, {"account_name": None}),
        (
            "no account, typo at a start",
            {"account_name": None},
            {"account_name": None, "name": "Akkakavi - Pilot 2026"},
        ),
        ("no account, typo at an end", {"account_name": None}, {"account_name": None, "name": "Kakakavi - Pilto 2026"}),
        ("no account, year left out", {"account_name": None}, {"account_name": None, "name": "Kakakavi - Pilot"}),
        (
            "no account, legal name in it",
            {"account_name": None},
            {"account_name": None, "name": "Kakakavi Inc - Pilot"},
        ),
        ("accents lost by the other system", {"account_name": "Łódź Weiß AG"}, {"account_name": "odz Wei AG"}),
    ],
)
def test_known_duplicates_are_candidates(
    make_deal: MakeDeal, name: str, original: dict[str, object], duplicate: dict[str, object]
) -> None:
    base = {"name": "Kakakavi - Pilot 2026", "account_name": "Kakakavi Inc"}  # not one of _company's names
    deals = [
        *_population(make_deal, 50),
        make_deal("sf:orig", **{**base, **original}),
        make_deal("hs:dup", **{**base, **duplicate}),
    ]
    assert ("hs:dup", "sf:orig") in set(_pairs(build_records(deals, FX))), name


def test_work_grows_with_the_deals_not_their_square(make_deal: MakeDeal) -> None:
    for accounts in (100, 400):
        deals = _population(make_deal, accounts)
        pairs = _pairs(build_records(deals, FX))
        all_pairs = len(deals) * (len(deals) - 1) // 2
        assert len(pairs) <= 6 * len(deals), (len(pairs), len(deals))  # the 6 pairs of each account's 4 deals
        assert len(pairs) < all_pairs / 50


def test_an_oversized_block_is_compared_by_sorted_neighbourhood(make_deal: MakeDeal) -> None:
    deals = [
        make_deal(f"sf:{i:04d}", name=f"Big deal {i:04d}", account_name="Giant Corp", close_date=date(2026, 1, 1))
        for i in range(500)
    ]
    deals.append(make_deal("hs:dup", name="Big deal 0250", account_name="GIANT CORP", close_date=date(2026, 1, 1)))
    settings = BlockingSettings(rules=("account",), max_block_size=50, window=5)
    pairs = _pairs(build_records(deals, FX), settings)
    assert len(pairs) <= len(deals) * 2 * (settings.window - 1)
    assert len(pairs) == len(set(pairs))  # each pair once per block
    assert ("hs:dup", "sf:0250") in pairs


def test_small_blocks_are_compared_all_pairs(make_deal: MakeDeal) -> None:
    deals = [make_deal(f"sf:{i}", name=f"Deal {i}", account_name="Acme") for i in range(5)]
    assert len(_pairs(build_records(deals, FX), BlockingSettings(rules=("account",)))) == 10


def test_blocks_group_equal_non_empty_keys_in_first_seen_order() -> None:
    assert list(blocks(["b", "", "a", "b", "c", "a", "", "b"])) == [[0, 3, 7], [2, 5]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rules": ("account", "zip_code")}, "unknown blocking rule"),
        ({"max_block_size": 1}, "at least 2"),
        ({"window": 1}, "at least 2"),
    ],
)
def test_settings_are_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BlockingSettings(**kwargs)  # type: ignore[arg-type]
