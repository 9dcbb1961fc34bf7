"""The audit as rich tables (the default ``--format``): findings by rule, top findings, duplicates, metrics.

CRM strings go into cells as ``rich.text.Text``, never as markup, so a deal named ``[red]x`` prints as written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dealsync.reports import figures
from dealsync.reports.html_parts import percent
from dealsync.sync.audit_result import AuditResult, by_severity

TOP_FINDINGS = 20
TOP_CLUSTERS = 10
MAX_METRIC_ROWS = 40
WIDE = 140  # columns from which the top findings also show the deal's name
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_tables(result: AuditResult, console: Console) -> None:
    console.print(summary_line(result), highlight=False)
    tables = (
        rules_table(result),
        top_findings_table(result, width=console.width),
        duplicates_table(result, width=console.width),
        metrics_table(result),
    )
    for table in tables:
        if table.row_count:
            console.print(table)


def summary_line(result: AuditResult) -> Text:
    severities = result.flags_by_severity()
    parts = ", ".join(f"{n:,} {s}" for s, n in severities.items()) or "none"
    return Text(
        f"Audit {result.run_id}: {result.deals:,} live deals, {len(result.flags):,} findings ({parts}), "
        f"{len(result.clusters):,} duplicate clusters; amounts compared in {result.fx.table.base}."
    )


def rules_table(result: AuditResult) -> Table:
    table = Table(title="Findings by rule")
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("findings", justify="right")
    for rule, severity, count in figures.rule_table(result.flags):
        table.add_row(Text(rule), Text(severity, style=_STYLE.get(severity, "")), f"{count:,}")
    return table


def top_findings_table(result: AuditResult, *, width: int = 160) -> Table:
    """The most severe findings; the deal's name only when the terminal is wide enough to show it."""
    flags = by_severity(result.flags, TOP_FINDINGS)
    deals = figures.names_of(result, {f.key for f in flags})
    with_names = width >= WIDE
    table = Table(title=f"Top findings ({len(flags)} of {len(result.flags):,}, most severe first)")
    table.add_column("severity", no_wrap=True)
    table.add_column("rule / deal" if not with_names else "rule", no_wrap=True)
    if with_names:
        table.add_column("deal", no_wrap=True)
        table.add_column("name", overflow="fold", ratio=1)
    table.add_column("detail", overflow="fold", ratio=2)
    for flag in flags:
        deal = deals.get(flag.key)
        severity = Text(flag.severity, style=_STYLE.get(flag.severity, ""))
        ref = f"{flag.connection}:{flag.id}"
        if with_names:
            cells = [severity, Text(flag.rule), Text(ref), Text(deal.name if deal else "")]
        else:
            cells = [severity, Text(f"{flag.rule}\n{ref}")]
        table.add_row(*cells, Text(flag.detail))
    return table


def duplicates_table(result: AuditResult, *, width: int = 160, top: int = TOP_CLUSTERS) -> Table:
    """The most confident clusters; their reasons only when the terminal is wide enough to show them."""
    clusters = sorted(result.clusters, key=lambda c: (-c.confidence, c.id))[:top]
    wide = width >= WIDE
    table = Table(title=f"Duplicates ({len(clusters)} of {len(result.clusters):,} clusters)")
    table.add_column("confidence", justify="right", no_wrap=True)
    table.add_column("members", no_wrap=True)
    table.add_column("golden record", overflow="fold")
    if wide:
        table.add_column("reasons", overflow="fold")
    for cluster in clusters:
        golden = cluster.golden
        money = f"{golden.get('amount') or ''} {golden.get('currency') or ''}".strip()
        cells = [
            Text(f"{cluster.confidence:.2f}"),
            Text("\n".join(str(m) for m in cluster.members)),
            Text(" · ".join(str(v) for v in (golden.get("name"), money, golden.get("close_date")) if v)),
        ]
        if wide:
            cells.append(Text("; ".join(cluster.reasons)))
        table.add_row(*cells)
    return table


def metrics_table(result: AuditResult) -> Table:
    """Headline pipeline figures, unified and per connection; stage-to-stage conversion from the history."""
    metrics = result.metrics
    if not isinstance(metrics.get("unified"), Mapping):
        return _flat_metrics_table(metrics)
    scopes, rows = figures.headline_metrics(metrics)
    table = Table(title=f"Pipeline metrics (amounts in {result.fx.table.base})")
    table.add_column("metric", overflow="fold")
    for scope in scopes:
        table.add_column(scope, justify="right", overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    blank = ["" for _ in scopes[1:]]
    for a, b, rate in figures.conversion_rates(figures.funnel(result.scored)):
        table.add_row(Text(f"funnel {a.value} → {b.value}"), percent(rate), *blank)
    for step in figures.metric_conversion_rates(metrics) or []:
        if step.reached:
            label = f"converted {step.source} → {step.target} (history, {step.reached:,} decided)"
            table.add_row(Text(label), percent(step.rate), *blank)
    return table


def _flat_metrics_table(metrics: Mapping[str, Any]) -> Table:
    table = Table(title="Metrics")
    table.add_column("metric", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    for key, value in flatten(metrics):
        if table.row_count >= MAX_METRIC_ROWS:
            break
        table.add_row(Text(key), Text(_fmt(value)))
    return table


def flatten(metrics: Mapping[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, object]]:
    """(dotted key, scalar) pairs, breadth first so the headline figures come before the details."""
    nested: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in metrics.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested.append((path, value))
        elif not isinstance(value, list | tuple):
            yield path, value
    if depth < 2:
        for path, value in nested:
            yield from flatten(value, f"{path}.", depth + 1)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "-" if value is None else str(value)
