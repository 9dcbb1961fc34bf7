"""Normalisation: spellings of one name compare equal; different names stay different."""

from __future__ import annotations

import pytest

from dealsync.quality.dedupe.normalize import ascii_fold, company_name, deal_name, fold, strip_legal_forms, words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACME", "acme"),
        ("Société Générale", "societe generale"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("Łódź", "lodz"),
        ("Øresund", "oresund"),
        ("Ærø", "aero"),
        ("Œuvre", "oeuvre"),
        ("Þór", "thor"),
        ("株式会社", "株式会社"),  # other scripts are kept, never folded away
    ],
)
def test_fold_removes_case_and_accents(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien & Sons", ["obrien", "sons"]),
        ("Smith-Jones", ["smith", "jones"]),
        ("S.A.", ["sa"]),
        ("Acme   Inc.\t(copy)", ["acme", "inc", "copy"]),
        ("Dr. Oetker\u2013Weiß: Q3/Q4", ["dr", "oetker", "weiss", "q3", "q4"]),
        ("L\u2019Oréal", ["loreal"]),
        ("snake_case", ["snake", "case"]),
        ("", []),
    ],
)
def test_words_drop_punctuation_and_whitespace(raw: str, expected: list[str]) -> None:
    assert words(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Inc", "acme"),
        ("ACME, Inc.", "acme"),
        ("Acme Corp", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme LLC", "acme"),
        ("The Acme Company", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme Limited", "acme"),
        ("Acme PLC", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("Acme SAS", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme S. A.", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme K.K.", "acme"),
        ("Acme Sp. z o.o.", "acme"),
        ("Acme A/S", "acme"),
        ("Acme AB", "acme"),
        ("Acme Ltda", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("  acme  ", "acme"),
        ("Société Générale d'Équipement SAS", "societe generale dequipement"),
        ("Müller & Söhne GmbH", "muller sohne"),
        # qualifiers that tell near-namesakes apart are kept
        ("Acme Group Inc", "acme group"),
        ("Acme Holdings", "acme holdings"),
        ("Acme Systems International", "acme systems international"),
        # never stripped to nothing
        ("The Company", "company"),
        ("Inc.", "inc"),
        (None, ""),
        ("", ""),
    ],
)
def test_company_name_drops_legal_forms(raw: str | None, expected: str) -> None:
    assert company_name(raw) == expected


def test_legal_forms_are_only_stripped_at_the_end() -> None:
    assert strip_legal_forms(["co", "op", "bank"]) == ["co", "op", "bank"]
    assert strip_legal_forms(["the", "limited", "edition", "ltd"]) == ["limited", "edition"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme - Platform Renewal 2026", "ACME: platform renewal 2026"),
        ("Acme - Platform Renewal 2026", "Acme \u2013 Platform Renewal 2026"),
        ("Acme - Platform Renewal 2026", "Acme / Platform Renewal 2026 (copy)"),
        ("Acme - Platform Renewal 2026", "Acme Inc. - Platform Renewal 2026"),
        ("Acme - Platform Renewal 2026", "The Acme Company - Platform Renewal 2026 "),
        ("Łódź - API Access 2025", "Łódź Sp. z o.o. - API Access 2025"),
        ("Café Olé - Pilot", "CAFE OLE - PILOT"),
    ],
)
def test_deal_name_spellings_normalise_equal(a: str, b: str) -> None:
    assert deal_name(a) == deal_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme - Platform Renewal 2026", "Acme - Platform Renewal 2027"),
        ("Acme - Platform Renewal 2026", "Acme - Platform Upsell 2026"),
        ("Acme Group - Pilot", "Acme - Pilot"),
    ],
)
def test_different_deal_names_stay_different(a: str, b: str) -> None:
    assert deal_name(a) != deal_name(b)


def test_a_name_of_only_filler_words_is_kept() -> None:
    assert deal_name("The Copy") == "the copy"


def test_ascii_fold_drops_what_it_cannot_spell() -> None:
    assert ascii_fold("Łódź Weiß") == "odz wei"
    assert company_name(ascii_fold("Dr. Oetker-Weiß AG")) == company_name("Dr. Oetker-Wei AG")
