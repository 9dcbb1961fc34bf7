"""The emulator's SOQL tokenizer and parser: literals, escapes, grammar, and the real error shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from dealsync.emulator.salesforce.errors import SoqlError
from dealsync.emulator.salesforce.soql import BoolOp, Compare, InList, Like, Not, parse


def where_of(condition: str) -> Compare | InList | Like | Not | BoolOp:
    query = parse(f"SELECT Id FROM Opportunity WHERE {condition}")  # noqa: S608
    assert query.where is not None
    return query.where


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (r"'plain'", "plain"),
        (r"'O\'Brien'", "O'Brien"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'line\nbreak\ttab\rcr\bbs\fff'", "line\nbreak\ttab\rcr\bbs\fff"),
        (r"'under\_score and 100\%'", "under_score and 100%"),
        (r"'\' OR Name != \''", "' OR Name != '"),
        (r"'\\\' OR Name != \''", "\\' OR Name != '"),
        (r"'; DELETE FROM Opportunity --'", "; DELETE FROM Opportunity --"),
        (r"''", ""),
        (r"'Ünïcødé ✓'", "Ünïcødé ✓"),
    ],
)
def test_string_literals_decode_soql_escapes_and_stay_one_literal(literal: str, expected: str) -> None:
    node = where_of(f"Name = {literal}")
    assert isinstance(node, Compare)
    assert node.field.parts == ("Name",)
    assert node.value.kind == "string"
    assert node.value.value == expected


def test_an_escaped_backslash_ends_the_string_so_the_or_is_real() -> None:
    node = where_of(r"Name = 'a\\' OR Name != ''")
    assert isinstance(node, BoolOp)
    assert node.op == "OR"
    first, second = node.parts
    assert isinstance(first, Compare)
    assert first.value.value == "a\\"
    assert isinstance(second, Compare)
    assert second.op == "!="
    assert second.value.value == ""


@pytest.mark.parametrize(
    ("literal", "kind", "value"),
    [
        ("2024-01-31", "date", date(2024, 1, 31)),
        ("2024-01-31T10:20:30Z", "datetime", datetime(2024, 1, 31, 10, 20, 30, tzinfo=UTC)),
        ("2024-01-31T10:20:30.250Z", "datetime", datetime(2024, 1, 31, 10, 20, 30, 250_000, tzinfo=UTC)),
        (
            "2024-01-31T10:20:30+02:00",
            "datetime",
            datetime(2024, 1, 31, 10, 20, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2024-01-31T10:20:30-05:30",
            "datetime",
            datetime(2024, 1, 31, 10, 20, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("42", "number", 42.0),
        ("-3.5", "number", -3.5),
        ("true", "bool", True),
        ("FALSE", "bool", False),
        ("null", "null", None),
        ("TODAY", "relative", ("TODAY", 0)),
        ("LAST_N_DAYS:30", "relative", ("LAST_N_DAYS", 30)),
    ],
)
def test_unquoted_literals(literal: str, kind: str, value: object) -> None:
    node = where_of(f"CloseDate = {literal}")
    assert isinstance(node, Compare)
    assert node.value.kind == kind
    assert node.value.value == value


def test_full_grammar() -> None:
    query = parse(
        "select Id, Name, Account.Name, Owner.Name from Opportunity "
        "where (StageName IN ('Prospecting', 'Qualification') or Amount >= 1000) "
        "and not IsDeleted = true and Id not in ('006A', '006B') and Name like 'Acme%' "
        "order by CloseDate desc nulls last, Name limit 50 offset 10"
    )
    assert [f.text for f in query.fields] == ["Id", "Name", "Account.Name", "Owner.Name"]
    assert query.object_name == "Opportunity"
    assert not query.count
    assert isinstance(query.where, BoolOp)
    assert query.where.op == "AND"
    grouped, negated, not_in, like = query.where.parts
    assert isinstance(grouped, BoolOp)
    assert grouped.op == "OR"
    assert isinstance(negated, Not)
    assert isinstance(not_in, InList)
    assert not_in.negated
    assert [v.value for v in not_in.values] == ["006A", "006B"]
    assert isinstance(like, Like)
    assert like.pattern.token.like == "Acme.*"
    assert [(o.field.text, o.descending, o.nulls_first) for o in query.order_by] == [
        ("CloseDate", True, False),
        ("Name", False, True),
    ]
    assert (query.limit, query.offset) == (50, 10)


def test_count_query_and_not_equal_spellings() -> None:
    query = parse("SELECT COUNT() FROM Opportunity WHERE Amount <> null")
    assert query.count
    assert query.fields == ()
    assert isinstance(query.where, Compare)
    assert query.where.op == "!="


def test_like_pattern_keeps_escaped_wildcards_literal() -> None:
    node = where_of(r"Name LIKE '100\%\_done_%'")
    assert isinstance(node, Like)
    assert node.pattern.token.like == r"100%_done..*"


@pytest.mark.parametrize(
    ("soql", "column", "detail"),
    [
        ("SELECT Id FROM Opportunity WHERE", 33, "unexpected token: <EOF>"),
        ("SELECT Id Name FROM Opportunity", 11, "unexpected token: 'Name'"),
        ("SELECT FROM Opportunity", 8, "unexpected token: 'FROM'"),
        ("SELECT Id FROM Opportunity WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", 60, "unexpected token: 'OR'"),
        ("SELECT Id FROM Opportunity WHERE Name = foo", 41, "unexpected token: 'foo'"),
        ("SELECT Id FROM Opportunity LIMIT -1", 34, "unexpected token: '-1'"),
        ("SELECT Id FROM Opportunity GROUP BY Name", 28, "unexpected token: 'GROUP'"),
        ('SELECT Id FROM Opportunity WHERE Name = "x"', 41, "line 1:40 no viable alternative at character '\"'"),
        (
            "SELECT Id FROM Opportunity WHERE Name = 'a\\q'",
            41,
            "Invalid string literal 'a\\q'. Illegal character sequence '\\q' in string literal.",
        ),
        ("SELECT Id FROM Opportunity WHERE Name = 'open", 41, "line 1:40 mismatched character '<EOF>' expecting '''"),
    ],
)
def test_syntax_errors_are_malformed_query_with_caret(soql: str, column: int, detail: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    error = caught.value
    assert error.code == "MALFORMED_QUERY"
    assert error.status == 400
    assert error.detail == detail
    assert error.message == f"\n{soql}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n{detail}"


def test_error_position_on_a_later_line() -> None:
    soql = "SELECT Id\nFROM Opportunity\nWHERE Amount >"
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    assert (caught.value.line, caught.value.column) == (3, 15)
    assert caught.value.message.startswith("\nWHERE Amount >\n              ^\nERROR at Row:3:Column:15\n")
