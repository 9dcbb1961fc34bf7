"""The HTML report: one self-contained file (no network), every section present, hostile CRM strings escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from dealsync.reports import render_html
from dealsync.reports.html_report import MAX_FINDINGS
from dealsync.sync.audit_result import AuditResult, Flag, ScoredDeal

from .conftest import HOSTILE


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_hostile_names_are_escaped_everywhere(result: AuditResult) -> None:
    page = render_html(result)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    tags = parsed(page).tags
    assert [t for t, _ in tags].count("script") == 1  # only the report's own script
    assert not [t for t, _ in tags if t == "img"]
    assert all(not any(k.startswith("on") for k in attrs) for _, attrs in tags)


def test_self_contained_and_locked_down(result: AuditResult) -> None:
    page = render_html(result)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page
    csp = next(a["content"] for t, a in parsed(page).tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None
    assert "default-src 'none'" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)


def test_sections_and_figures(result: AuditResult) -> None:
    page = render_html(result)
    for heading in (
        "Funnel by canonical stage",
        "Conversion rates",
        "Health-score distribution",
        "Stale deals by owner",
        "Findings by rule",
        "Findings (4)",
        "Duplicates (1 clusters)",
        "Metrics",
    ):
        assert heading in page, heading
    assert page.count("<svg") >= 3
    assert 'class="sortable"' in page
    assert "ana@example.com" in page  # the owner of the stale deal
    assert "unmapped stage are not in the funnel" in page


def test_large_audits_cap_the_finding_rows(result: AuditResult) -> None:
    many = [Flag("sf-main", f"{i:06d}", "stale.no_activity", "warning", "x") for i in range(MAX_FINDINGS + 10)]
    deals = [ScoredDeal("sf-main", f"{i:06d}", "d", None, None, result.scored[0].status, 50) for i in range(10)]
    page = render_html(replace(result, flags=many, scored=deals))
    assert f"The first {MAX_FINDINGS:,} of {MAX_FINDINGS + 10:,}" in page
    assert page.count("<tr>") < MAX_FINDINGS + 100
