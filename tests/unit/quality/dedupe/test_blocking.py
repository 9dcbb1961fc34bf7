"""Blocking: far fewer comparisons than all pairs, yet every kind of known duplicate pair is among them."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations, pairwise

import pytest

from dealsync.canonical import Deal
from dealsync.quality.dedupe.blocking import KEY_FUNCTIONS, BlockingSettings, candidate_pairs, codes, distinct
from dealsync.quality.dedupe.records import Records, build_records, without_years
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
    return [
        (labels[i], labels[j])
        for chunk_i, chunk_j in candidate_pairs(records, settings or BlockingSettings())
        for i, j in zip(chunk_i.tolist(), chunk_j.tolist(), strict=True)
    ]


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
    assert ("hs:dup", "sf:0250") in pairs


def test_small_blocks_are_compared_all_pairs(make_deal: MakeDeal) -> None:
    deals = [make_deal(f"sf:{i}", name=f"Deal {i}", account_name="Acme") for i in range(5)]
    assert len(_pairs(build_records(deals, FX), BlockingSettings(rules=("account",)))) == 10


def test_equal_non_empty_keys_get_one_block_number_in_first_seen_order() -> None:
    assert codes(["b", "", "a", "b", "c", "a", "", "b"], missing=("",)).tolist() == [0, -1, 2, 0, 3, 2, -1, 0]
    unique, numbers = distinct(["b", None, "a", "b"])
    assert (unique, numbers.tolist()) == (["b", None, "a"], [0, 1, 2, 0])


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


# ---- the arrays are the documented semantics -----------------------------------------------------------------
WORDS = ["acme", "acne", "platform", "platfrom", "plat", "renewal", "renewl", "pilot", "émile", "zeta", "2025", "2026"]
ACCOUNTS = [("", ""), ("acme", "acme"), ("globex", "globex"), ("łódź", "odz"), ("odz", "odz"), ("zeta", "zeta")]


def _random_records(rng: random.Random, count: int) -> Records:
    """Records with only what blocking reads: few accounts (large blocks), many names (small ones), close dates
    that tie, and keys that are empty or vanish without their years."""
    records = Records()
    for n in range(count):
        account, ascii_account = rng.choice(ACCOUNTS)
        records.ids.append(str(n))
        records.name_keys.append(" ".join(sorted(set(rng.sample(WORDS, rng.randint(0, 3))))))
        records.account_keys.append(account)
        records.account_ascii_keys.append(ascii_account)
        records.close_days.append(rng.choice([0, 739_000, 739_001, 739_002]))
    return records


def _reference_keys(records: Records, rule: str) -> list[str]:
    """The blocking keys of ``rule``, one string per record, as the module docstring defines them."""
    if rule == "account":
        return records.account_keys
    if rule == "account_ascii":
        return [a if a != k else "" for a, k in zip(records.account_ascii_keys, records.account_keys, strict=True)]
    names = [without_years(key) for key in records.name_keys]
    if rule == "deal_name":
        return names
    words = [name.split() for name in names]
    if rule == "deal_name_prefixes":
        return [" ".join([w[:3] for w in ws]) if len(ws) > 1 else "" for ws in words]
    return [" ".join(sorted([w[-3:] for w in ws])) if len(ws) > 1 else "" for ws in words]


def _reference_blocks(records: Records, rule: str) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(_reference_keys(records, rule)):
        if key:
            groups.setdefault(key, []).append(i)
    return [block for block in groups.values() if len(block) > 1]


def _reference_pairs(records: Records, settings: BlockingSettings) -> set[tuple[int, int]]:
    """Brute force: all pairs of a small block; in a large one, each record with its ``window - 1`` next ones
    sorted by (name, record) and by (close date, name, record)."""
    names, days = records.name_keys, records.close_days
    found: set[tuple[int, int]] = set()
    for rule in settings.rules:
        for block in _reference_blocks(records, rule):
            if len(block) <= settings.max_block_size:
                found.update(combinations(block, 2))
                continue
            for order in (
                sorted(block, key=lambda i: (names[i], i)),
                sorted(block, key=lambda i: (days[i], names[i], i)),
            ):
                for n, i in enumerate(order):
                    found.update((min(i, j), max(i, j)) for j in order[n + 1 : n + settings.window])
    return found


@pytest.mark.parametrize("seed", range(25))
def test_candidate_pairs_are_exactly_those_of_the_documented_semantics(seed: int) -> None:
    rng = random.Random(seed)
    records = _random_records(rng, rng.randint(40, 160))
    rules = ["account", "deal_name", *rng.sample(sorted(KEY_FUNCTIONS.keys() - {"account", "deal_name"}), 2)]
    rng.shuffle(rules)
    settings = BlockingSettings(rules=tuple(rules), max_block_size=rng.randint(2, 6), window=rng.randint(2, 5))
    chunks = list(candidate_pairs(records, settings))
    found = {pair for i, j in chunks for pair in zip(i.tolist(), j.tolist(), strict=True)}
    assert found == _reference_pairs(records, settings)
    assert all((i < j).all() for i, j in chunks)
    sizes = {len(block) for rule in rules for block in _reference_blocks(records, rule)}
    assert min(sizes) <= settings.max_block_size < max(sizes)  # both kinds of block were compared


def test_an_oversized_block_orders_names_as_python_does() -> None:
    names = ["b", "a\x00", "ä", "a", "Z"]  # "Z" < "a" < "a\x00" < "b" < "ä" (numpy strings would drop the NUL)
    records = Records()
    for n, name in enumerate(names):
        records.ids.append(str(n))
        records.name_keys.append(name)
        records.account_keys.append("acme")
        records.account_ascii_keys.append("acme")
        records.close_days.append(739_000)
    by_name = sorted(range(len(names)), key=names.__getitem__)
    settings = BlockingSettings(rules=("account",), max_block_size=2, window=2)
    found = {pair for i, j in candidate_pairs(records, settings) for pair in zip(i.tolist(), j.tolist(), strict=True)}
    assert found == {(min(a, b), max(a, b)) for a, b in pairwise(by_name)}
