"""The audit as one self-contained HTML file: inline CSS, JavaScript and SVG, no network, opens offline.

Sections: summary cards, funnel by canonical stage, conversion rates, health-score distribution, stale deals by
owner, findings by rule, sortable tables of findings and duplicates, metrics. Every CRM string is escaped, and a
Content-Security-Policy allows only this file's own style and script (by hash): even a deal named
``<script>…`` could not run anything.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from statistics import median
from typing import TextIO

from dealsync.canonical import Status
from dealsync.reports import figures
from dealsync.reports.html_parts import Cell, column_chart, esc, hbar_chart, metrics_html, percent, table
from dealsync.reports.json_report import iso_utc
from dealsync.sync.audit_result import SEVERITY_ORDER, AuditResult, by_severity

MAX_FINDINGS = 5000  # rows in the findings table; the JSON and CSV reports carry all of them
MAX_CLUSTERS = 2000
MAX_OWNERS = 100


def _asset(name: str) -> str:
    return (resources.files("dealsync.reports") / "templates" / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def render_html(result: AuditResult) -> str:
    css, js = _asset("report.css"), _asset("report.js")
    policy = f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; img-src data:"
    title = f"dealsync audit {iso_utc(result.generated_at)}"
    steps = figures.funnel(result.scored)
    body = "\n".join(
        (
            _header(result),
            _cards(result),
            '<div class="grid">',
            _funnel(result, steps),
            _conversion(result, steps),
            _health(result),
            _stale(result),
            "</div>",
            _rules(result),
            _findings(result),
            _duplicates(result),
            f'<section id="metrics"><h2>Metrics</h2>{metrics_html(result.metrics)}</section>',
            _footer(result),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{css}</style></head>\n<body>\n{body}\n"
        f"<script>{js}</script>\n</body></html>\n"
    )


def write_html(result: AuditResult, out: TextIO) -> None:
    out.write(render_html(result))


def _header(result: AuditResult) -> str:
    where = ", ".join(result.connections) or "no connection"
    return (
        "<header><h1>Pipeline audit</h1>"
        f'<p class="muted">Run <code>{esc(result.run_id)}</code> · {esc(iso_utc(result.generated_at))} · '
        f"{result.deals:,} live deals from {esc(where)}</p></header>\n<main>"
    )


def _cards(result: AuditResult) -> str:
    open_scores = [d.health for d in result.scored if d.health is not None]
    severities = result.flags_by_severity()
    cards = [
        ("live deals", f"{result.deals:,}"),
        ("open deals", f"{len(open_scores):,}"),
        ("median health", f"{median(open_scores):.0f}" if open_scores else "-"),
        ("findings", f"{len(result.flags):,}"),
        ("errors", f"{severities.get('error', 0):,}"),
        ("warnings", f"{severities.get('warning', 0):,}"),
        ("duplicate clusters", f"{len(result.clusters):,}"),
    ]
    inner = "".join(f'<div class="card"><b>{esc(v)}</b>{esc(k)}</div>' for k, v in cards)
    return f'<section class="cards">{inner}</section>'


def _funnel(result: AuditResult, steps: list[figures.FunnelStep]) -> str:
    rows = [(s.stage.value, s.reached, f"{s.reached:,} reached · {s.current:,} now") for s in steps]
    unmapped = sum(1 for d in result.scored if d.stage is None and d.status is not Status.WON)
    note = f'<p class="muted">{unmapped:,} deals with an unmapped stage are not in the funnel.</p>' if unmapped else ""
    return (
        '<section id="funnel"><h2>Funnel by canonical stage</h2>'
        '<p class="muted">Deals that reached each stage (lost deals by their last open stage; '
        f"post_sale = won).</p>{hbar_chart(rows)}{note}</section>"
    )


def _conversion(result: AuditResult, steps: list[figures.FunnelStep]) -> str:
    derived = figures.conversion_rates(steps)
    rows = [(a.value, b.value, Cell(percent(r), sort=r, numeric=True)) for a, b, r in derived]
    parts = [
        '<section id="conversion"><h2>Conversion rates</h2>',
        '<p class="muted">Funnel: of the deals that reached a stage, the share that reached the next.</p>',
        table(("from", "to", "funnel conversion"), rows, numeric=(2,)),
    ]
    history = [c for c in figures.metric_conversion_rates(result.metrics) or [] if c.reached]
    if history:
        moved = [
            (c.source, c.target, Cell(c.reached, numeric=True), Cell(percent(c.rate), sort=c.rate, numeric=True))
            for c in history
        ]
        parts += [
            '<p class="muted">From stage history: of the decided deals that passed a stage, the share that moved '
            "on to the next.</p>",
            table(("from", "to", "deals", "conversion"), moved, numeric=(2, 3)),
        ]
    return "".join(parts) + "</section>"


def _health(result: AuditResult) -> str:
    histogram = figures.health_histogram(result.scored)
    return (
        '<section id="health"><h2>Health-score distribution</h2>'
        '<p class="muted">Open deals per band of health score (0-100, higher is healthier).</p>'
        f"{column_chart(histogram)}</section>"
    )


def _stale(result: AuditResult) -> str:
    owners = figures.stale_by_owner(result)
    shown = owners[:MAX_OWNERS]
    more = f'<p class="muted">and {len(owners) - len(shown):,} more owners.</p>' if len(owners) > len(shown) else ""
    bars = [(o, n, f"{n:,} deal{'s' if n != 1 else ''}") for o, n, _ in shown[:12]]
    chart = hbar_chart(bars, label_width=220) if shown else ""
    rows = [(o, n, f) for o, n, f in shown]
    listing = table(("owner", "stale deals", "stale findings"), rows, numeric=(1, 2))
    return f'<section id="stale"><h2>Stale deals by owner</h2>{chart}{listing}{more}</section>'


def _rules(result: AuditResult) -> str:
    rows = [(rule, Cell(sev, css=f"sev sev-{sev}"), n) for rule, sev, n in figures.rule_table(result.flags)]
    return (
        f'<section id="rules"><h2>Findings by rule</h2>'
        f"{table(('rule', 'severity', 'findings'), rows, numeric=(2,))}</section>"
    )


def _findings(result: AuditResult) -> str:
    flags = by_severity(result.flags, MAX_FINDINGS)
    deals = figures.names_of(result, {f.key for f in flags})
    rows = []
    for flag in flags:
        deal = deals.get(flag.key)
        sev = Cell(flag.severity, sort=SEVERITY_ORDER.get(flag.severity, 9), css=f"sev sev-{flag.severity}")
        rows.append((sev, flag.rule, flag.connection, flag.id, deal.name if deal else "", _owner(deal), flag.detail))
    note = _capped(len(result.flags), len(flags))
    return (
        f'<section id="findings"><h2>Findings ({len(result.flags):,})</h2>{note}'
        '<input class="filter" type="search" placeholder="Filter findings…" data-table="findings-table">'
        f"{table(('severity', 'rule', 'connection', 'id', 'deal', 'owner', 'detail'), rows, table_id='findings-table')}"
        "</section>"
    )


def _owner(deal: object) -> str:
    owner = getattr(deal, "owner", None)
    return owner if isinstance(owner, str) else ""


def _duplicates(result: AuditResult) -> str:
    clusters = sorted(result.clusters, key=lambda c: (-c.confidence, c.id))[:MAX_CLUSTERS]
    rows = [
        (
            Cell(f"{c.confidence:.2f}", sort=c.confidence, numeric=True),
            " + ".join(str(m) for m in c.members),
            str(c.golden.get("name") or ""),
            Cell(f"{c.golden.get('amount') or ''} {c.golden.get('currency') or ''}".strip()),
            str(c.golden.get("close_date") or ""),
            "; ".join(c.reasons),
        )
        for c in clusters
    ]
    headers = ("confidence", "members", "golden name", "golden amount", "golden close date", "reasons")
    return (
        f'<section id="duplicates"><h2>Duplicates ({len(result.clusters):,} clusters)</h2>'
        f"{_capped(len(result.clusters), len(clusters))}{table(headers, rows, table_id='duplicates-table')}</section>"
    )


def _capped(total: int, shown: int) -> str:
    if total <= shown:
        return ""
    return (
        f'<p class="muted">The first {shown:,} of {total:,}, most severe first; the JSON and CSV reports list all.</p>'
    )


def _footer(result: AuditResult) -> str:
    rates = ", ".join(f"{code} {rate:.6g}" for code, rate in sorted(result.fx.table.rates.items()))
    return (
        f"</main><footer>Amounts compared in {esc(result.fx.table.base)} (units per unit: {esc(rates)}). "
        "Generated by dealsync; this file needs no network.</footer>"
    )
