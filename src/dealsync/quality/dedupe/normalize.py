"""Normalising deal and account names so that spellings of one thing compare equal.

``fold`` lower-cases (``casefold``: ß → ss), strips accents (NFKD, combining marks dropped) and spells out the
Latin letters that carry no combining mark (ł → l, ø → o, æ → ae, œ → oe, đ → d, þ → th). Scripts other than
Latin are kept as they are, lower-cased: a name is never folded away to nothing.

``words`` deletes apostrophes and dots first (``O'Brien`` → ``obrien``, ``S.A.`` → ``sa``), then splits on every
other non-alphanumeric character (``Smith-Jones`` → ``smith jones``; ``&``, ``/``, ``:``, dashes separate words).

``company_name`` then drops a leading "the" and trailing legal forms, repeatedly ("GmbH & Co. KG", "Co., Ltd.",
"Sp. z o.o."), but never the last word. ``deal_words`` drops legal forms and filler words ("the", "copy", "of",
"and") wherever they stand, since a deal name may embed its account's full legal name.
"""

from __future__ import annotations

import re
import unicodedata

# Latin letters that NFKD does not decompose into a base letter and a combining mark
_SPELLED_OUT = {
    "ł": "l",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "\u0131": "i",
    "ŧ": "t",
}  # \u0131: dotless i
_COMBINING = dict.fromkeys(range(0x300, 0x370))  # combining diacritical marks
_TRANSLITERATE = str.maketrans({**_COMBINING, **{ord(k): v for k, v in _SPELLED_OUT.items()}})
_DELETED = re.compile("['\u2019`\u00b4.]")  # apostrophes and dots join what they separate: O'Brien, S.A.
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")  # the same for folded ASCII text, twice as fast

# Legal forms, as word sequences after ``words`` (dots and apostrophes deleted, other punctuation splits).
LEGAL_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(form.split())
    for form in (
        "inc incorporated llc lc ltd limited corp corporation co company cos plc llp lp pty pte pvt",
        "gmbh mbh ag kg ohg ug ev kgaa",
        "sa sas sasu sarl eurl sca sl slu srl spa snc",
        "bv nv vof bvba sprl",
        "ab aps oy oyj asa hf",
        "kk yk gk",
        "ltda eireli",
        "se",
    )
    for form in form.split()
) | frozenset({("a", "s"), ("sp", "z", "oo"), ("s", "a"), ("s", "l"), ("s", "r", "l"), ("k", "k")})
_LONGEST_FORM = max(len(form) for form in LEGAL_FORMS)
_SINGLE_WORD_FORMS = frozenset(form[0] for form in LEGAL_FORMS if len(form) == 1)
_MULTI_WORD_SIZES = sorted({len(form) for form in LEGAL_FORMS if len(form) > 1}, reverse=True)
_MULTI_WORD_FIRSTS = frozenset(form[0] for form in LEGAL_FORMS if len(form) > 1)
FILLER_WORDS = frozenset({"the", "copy", "of", "and", "und", "et"})
_DROPPED_FROM_DEALS = _SINGLE_WORD_FORMS | FILLER_WORDS


def fold(text: str) -> str:
    """Lower-case, accent-free text (``"Société Générale"`` → ``"societe generale"``)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return unicodedata.normalize("NFKD", folded).translate(_TRANSLITERATE)


def ascii_fold(text: str) -> str:
    """What a system that drops non-ASCII characters makes of ``text``, lower-cased (``"Łódź"`` → ``"odz"``).

    Not a good spelling, but a common one: used as a second blocking key, so that such a copy still meets its
    original.
    """
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, punctuation removed."""
    folded = _DELETED.sub("", fold(text))
    return (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)


def strip_legal_forms(tokens: list[str]) -> list[str]:
    """``tokens`` without a leading "the" and trailing legal forms; never empty when ``tokens`` is not."""
    start = 1 if len(tokens) > 1 and tokens[0] == "the" else 0
    end = len(tokens)
    while end - start > 1:
        size = next(
            (
                n
                for n in range(min(_LONGEST_FORM, end - start - 1), 0, -1)
                if tuple(tokens[end - n : end]) in LEGAL_FORMS
            ),
            0,
        )
        if not size:
            break
        end -= size
    return tokens[start:end]


def company_name(text: str | None) -> str:
    """An account name without case, accents, punctuation, "the" and legal forms; ``""`` when missing.

    ``"The Acme Company"``, ``"ACME, Inc."`` and ``"Acme Corp"`` all become ``"acme"``.
    """
    if not text:
        return ""
    return " ".join(strip_legal_forms(words(text)))


def deal_words(text: str) -> list[str]:
    """The words of a deal name without legal forms and filler words (all of them when nothing else is left)."""
    tokens = words(text)
    if not _MULTI_WORD_FIRSTS.isdisjoint(tokens):
        tokens = _without_multi_word_forms(tokens)
    kept = [t for t in tokens if t not in _DROPPED_FROM_DEALS]
    return kept or tokens


def _without_multi_word_forms(tokens: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        size = next((n for n in _MULTI_WORD_SIZES if tuple(tokens[i : i + n]) in LEGAL_FORMS), 0)
        if not size:
            kept.append(tokens[i])
        i += size or 1
    return kept


def deal_name(text: str) -> str:
    """A deal name for comparison: ``"ACME Inc. - Platform Renewal (copy)"`` → ``"acme platform renewal"``."""
    return " ".join(deal_words(text))
