"""A SOQL subset: tokenizer and recursive-descent parser producing a small syntax tree.

Grammar (https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select.html)::

    query   := SELECT (COUNT '(' ')' | path (',' path)*) FROM name [WHERE cond]
               [ORDER BY path [ASC|DESC] [NULLS FIRST|LAST] (',' ...)*] [LIMIT n] [OFFSET n]
    cond    := unary (AND unary)* | unary (OR unary)*       -- mixing AND and OR needs parentheses, as in SOQL
    unary   := NOT unary | '(' cond ')' | path op value | path [NOT] IN '(' value, ... ')' | path LIKE 'text'
    value   := 'string' | number | date | datetime | TRUE | FALSE | NULL | TODAY | LAST_N_DAYS:n | ...

String escapes (https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select-quotedstringescapes.html):
``\\' \\" \\\\ \\n \\t \\r \\b \\f \\_ \\%``; any other backslash sequence is a syntax error. Date and dateTime literals
are unquoted (https://developer.salesforce.com/docs/platform/salesforce-soql-sosl/guide/sforce-api-calls-soql-select-dateformats.md).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from dealsync.emulator.salesforce.errors import SoqlError

RESERVED = frozenset(
    {
        "AND",
        "ASC",
        "DESC",
        "EXCLUDES",
        "FIRST",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INCLUDES",
        "LAST",
        "LIKE",
        "LIMIT",
        "NOT",
        "NULL",
        "NULLS",
        "OR",
        "SELECT",
        "WHERE",
        "WITH",
    }
)
RELATIVE_DATES = frozenset(
    {
        "TODAY",
        "YESTERDAY",
        "TOMORROW",
        "THIS_MONTH",
        "LAST_MONTH",
        "THIS_YEAR",
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
    }
)
N_DAY_LITERALS = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS"})
OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "_": "_", "%": "%"}

_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:\d{2}|[+-]\d{4})")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\dT:])")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?![A-Za-z_])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | number | date | datetime | op | punct | eof
    text: str
    value: Any
    line: int
    column: int
    like: str | None = None  # for strings: the LIKE pattern as a regular expression

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words

    def shown(self) -> str:
        return "<EOF>" if self.kind == "eof" else f"'{self.text}'"


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def error(self, offset: int, detail: str) -> SoqlError:
        line, column = self.where(offset)
        return SoqlError("MALFORMED_QUERY", self.text, line, column, detail)

    def tokens(self) -> list[Token]:
        found: list[Token] = []
        while True:
            space = _SPACE.match(self.text, self.pos)
            if space:
                self.pos = space.end()
            if self.pos >= len(self.text):
                found.append(self.token("eof", "", None, self.pos))
                return found
            found.append(self.next_token())

    def token(self, kind: str, text: str, value: Any, offset: int, like: str | None = None) -> Token:
        line, column = self.where(offset)
        return Token(kind, text, value, line, column, like)

    def next_token(self) -> Token:
        start, ch = self.pos, self.text[self.pos]
        if ch == "'":
            return self.string(start)
        for kind, pattern in (("datetime", _DATETIME), ("date", _DATE), ("number", _NUMBER), ("ident", _IDENT)):
            match = pattern.match(self.text, start)
            if match:
                self.pos = match.end()
                return self.token(kind, match.group(0), self.literal_value(kind, match, start), start)
        for op in OPERATORS:
            if self.text.startswith(op, start):
                self.pos = start + len(op)
                return self.token("op", op, op, start)
        if ch in ",().:":
            self.pos += 1
            return self.token("punct", ch, ch, start)
        line, column = self.where(start)
        raise self.error(start, f"line {line}:{column - 1} no viable alternative at character '{ch}'")

    def literal_value(self, kind: str, match: re.Match[str], start: int) -> Any:
        try:
            if kind == "datetime":
                return _datetime_value(match)
            if kind == "date":
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise self.error(start, f"unexpected token: '{match.group(0)}'") from None
        if kind == "number":
            return float(match.group(0))
        return match.group(0)

    def string(self, start: int) -> Token:
        chars: list[str] = []
        like: list[str] = []
        pos = start + 1
        while pos < len(self.text):
            ch = self.text[pos]
            if ch == "'":
                self.pos = pos + 1
                return self.token("string", self.text[start : pos + 1], "".join(chars), start, "".join(like))
            if ch == "\\":
                escaped = self.text[pos + 1 : pos + 2]
                if escaped not in ESCAPES:
                    raise self.error(
                        start,
                        f"Invalid string literal '{self.text[start + 1 : pos + 2]}'. "
                        f"Illegal character sequence '\\{escaped}' in string literal.",
                    )
                chars.append(ESCAPES[escaped])
                like.append(re.escape(ESCAPES[escaped]))
                pos += 2
                continue
            chars.append(ch)
            like.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
            pos += 1
        raise self.error(
            start, f"line {self.where(start)[0]}:{self.where(start)[1] - 1} mismatched character '<EOF>' expecting '''"
        )


def _datetime_value(match: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    millis = int((match.group(7) or "0").ljust(3, "0"))
    zone = match.group(8)
    if zone == "Z":
        tz: timezone = UTC
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = timezone(offset if zone[0] == "+" else -offset)
    return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=tz)


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class FieldPath:
    parts: tuple[str, ...]
    token: Token

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    token: Token

    @property
    def kind(self) -> str:
        """string | number | date | datetime | bool | null | relative"""
        if self.token.kind == "ident":
            word = self.token.text.upper()
            return "bool" if word in ("TRUE", "FALSE") else "null" if word == "NULL" else "relative"
        return self.token.kind

    @property
    def value(self) -> Any:
        kind = self.kind
        if kind == "bool":
            return self.token.text.upper() == "TRUE"
        return None if kind == "null" else self.token.value


@dataclass(frozen=True)
class Compare:
    field: FieldPath
    op: str
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldPath
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    field: FieldPath
    pattern: Literal


@dataclass(frozen=True)
class Not:
    expr: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    parts: tuple[Expr, ...]


Expr = Compare | InList | Like | Not | BoolOp


@dataclass(frozen=True)
class OrderItem:
    field: FieldPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    text: str
    fields: tuple[FieldPath, ...]
    count: bool
    object_name: str
    object_token: Token
    where: Expr | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None


# ---------------------------------------------------------------- parser


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = Lexer(text).tokens()
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def fail(self, token: Token | None = None) -> SoqlError:
        token = token or self.peek()
        return SoqlError("MALFORMED_QUERY", self.text, token.line, token.column, f"unexpected token: {token.shown()}")

    def expect_word(self, word: str) -> Token:
        if not self.peek().is_word(word):
            raise self.fail()
        return self.advance()

    def expect_punct(self, ch: str) -> Token:
        if not (self.peek().kind == "punct" and self.peek().text == ch):
            raise self.fail()
        return self.advance()

    def at_punct(self, ch: str) -> bool:
        return self.peek().kind == "punct" and self.peek().text == ch

    def parse(self) -> Query:
        self.expect_word("SELECT")
        count, fields = self.select_list()
        self.expect_word("FROM")
        name_token = self.name()
        where = self.where()
        order_by = self.order_by()
        limit = self.number_clause("LIMIT")
        offset = self.number_clause("OFFSET")
        if self.peek().kind != "eof":
            raise self.fail()
        return Query(self.text, fields, count, name_token.text, name_token, where, order_by, limit, offset)

    def name(self) -> Token:
        token = self.peek()
        if token.kind != "ident" or token.text.upper() in RESERVED:
            raise self.fail()
        return self.advance()

    def select_list(self) -> tuple[bool, tuple[FieldPath, ...]]:
        if self.peek().is_word("COUNT") and self.tokens[self.pos + 1].text == "(":
            self.advance()
            self.expect_punct("(")
            self.expect_punct(")")
            return True, ()
        fields = [self.path()]
        while self.at_punct(","):
            self.advance()
            fields.append(self.path())
        return False, tuple(fields)

    def path(self) -> FieldPath:
        first = self.name()
        parts = [first.text]
        while self.at_punct("."):
            self.advance()
            parts.append(self.name().text)
        return FieldPath(tuple(parts), first)

    def where(self) -> Expr | None:
        if not self.peek().is_word("WHERE"):
            return None
        self.advance()
        return self.condition()

    def condition(self) -> Expr:
        parts = [self.unary()]
        joiner = self.peek().text.upper() if self.peek().is_word("AND", "OR") else None
        while joiner and self.peek().is_word(joiner):
            self.advance()
            parts.append(self.unary())
        if self.peek().is_word("AND", "OR"):  # AND and OR mixed without parentheses
            raise self.fail()
        return parts[0] if joiner is None else BoolOp(joiner, tuple(parts))

    def unary(self) -> Expr:
        if self.peek().is_word("NOT"):
            self.advance()
            return Not(self.unary())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Expr:
        field = self.path()
        token = self.peek()
        if token.kind == "op":
            self.advance()
            return Compare(field, "!=" if token.text == "<>" else token.text, self.value())
        if token.is_word("LIKE"):
            self.advance()
            pattern = self.value()
            if pattern.kind != "string":
                raise self.fail(pattern.token)
            return Like(field, pattern)
        negated = token.is_word("NOT")
        if negated:
            self.advance()
        self.expect_word("IN")
        return InList(field, self.value_list(), negated)

    def value_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.value()]
        while self.at_punct(","):
            self.advance()
            values.append(self.value())
        self.expect_punct(")")
        return tuple(values)

    def value(self) -> Literal:
        token = self.peek()
        if token.kind in ("string", "number", "date", "datetime"):
            return Literal(self.advance())
        if token.is_word("TRUE", "FALSE", "NULL"):
            return Literal(self.advance())
        if token.kind == "ident" and token.text.upper() in RELATIVE_DATES:
            return self.relative_date()
        raise self.fail()

    def relative_date(self) -> Literal:
        token = self.advance()
        word = token.text.upper()
        amount = 0
        if word in N_DAY_LITERALS:
            self.expect_punct(":")
            number = self.peek()
            if number.kind != "number" or not float(number.value).is_integer() or number.value < 0:
                raise self.fail()
            amount = int(self.advance().value)
        return Literal(Token("ident", token.text, (word, amount), token.line, token.column))

    def order_by(self) -> tuple[OrderItem, ...]:
        if not self.peek().is_word("ORDER"):
            return ()
        self.advance()
        self.expect_word("BY")
        items = [self.order_item()]
        while self.at_punct(","):
            self.advance()
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        field = self.path()
        descending = False
        if self.peek().is_word("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_first = not descending
        if self.peek().is_word("NULLS"):
            self.advance()
            if not self.peek().is_word("FIRST", "LAST"):
                raise self.fail()
            nulls_first = self.advance().text.upper() == "FIRST"
        return OrderItem(field, descending, nulls_first)

    def number_clause(self, word: str) -> int | None:
        if not self.peek().is_word(word):
            return None
        self.advance()
        token = self.peek()
        if token.kind != "number" or not float(token.value).is_integer() or token.value < 0:
            raise self.fail()
        return int(self.advance().value)


def parse(text: str) -> Query:
    """Parse one SOQL statement; raises :class:`SoqlError` (``MALFORMED_QUERY``) on a syntax error."""
    return Parser(text).parse()
