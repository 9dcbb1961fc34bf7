"""The rich tables of ``dealsync audit``: counts, top findings, duplicates, metrics; markup in names is inert."""

from __future__ import annotations

from rich.console import Console

from dealsync.reports import print_tables
from dealsync.reports.table_report import flatten
from dealsync.sync.audit_result import AuditResult


def rendered(result: AuditResult) -> str:
    console = Console(record=True, width=200, color_system=None)
    print_tables(result, console)
    return console.export_text()


def test_tables_show_findings_duplicates_and_metrics(result: AuditResult) -> None:
    text = rendered(result)
    assert "Audit run-1: 4 live deals, 4 findings (1 error, 2 warning, 1 info)" in text
    for title in ("Findings by rule", "Top findings", "Duplicates", "Pipeline metrics"):
        assert title in text
    assert "stale.no_activity" in text
    assert "0.97" in text
    assert "sf-main:006A" in text
    assert "win rate" in text
    assert "25.0%" in text  # sf-main's win rate, in its own column


def test_rich_markup_in_crm_strings_prints_as_written(result: AuditResult) -> None:
    from dataclasses import replace

    from dealsync.sync.audit_result import Flag

    flags = [Flag("sf-main", "006A", "stale.no_activity", "warning", "[bold red]owner[/] left")]
    assert "[bold red]owner[/] left" in rendered(replace(result, flags=flags))


def test_flatten_walks_nested_metrics_breadth_first() -> None:
    pairs = list(flatten({"b": {"x": 1}, "a": 2, "c": {"d": {"e": 3}}}))
    assert pairs == [("a", 2), ("b.x", 1), ("c.d.e", 3)]
