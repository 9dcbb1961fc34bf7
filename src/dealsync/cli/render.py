"""Tables the commands print: pull summaries and the unified pipeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rich.markup import escape
from rich.table import Table

from dealsync.canonical import Deal, Stage, Status
from dealsync.sync.pull import PullResult

UNMAPPED = "(unmapped stage)"


def pull_table(results: Sequence[PullResult]) -> Table:
    table = Table(title="Pull")
    for column in (
        "connection",
        "new",
        "changed",
        "unchanged",
        "deleted",
        "unmapped stages",
        "pages",
        "API calls",
        "seconds",
        "status",
    ):
        table.add_column(column, justify="left" if column in ("connection", "status") else "right")
    for r in results:
        status = f"[red]{escape(r.error)}[/]" if r.error else "[green]ok[/]"
        table.add_row(
            r.connection,
            str(r.new),
            str(r.changed),
            str(r.unchanged),
            str(r.deleted),
            str(len(r.unmapped_stages)),
            str(r.pages),
            str(r.requests),
            f"{r.seconds:.1f}",
            status,
        )
    return table


@dataclass
class Cell:
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def pipeline_rows(deals: Iterable[Deal]) -> dict[str, dict[str, Cell]]:
    """Row (canonical stage, won, lost or unmapped) -> connection -> deals and amount per currency."""
    cells: dict[str, dict[str, Cell]] = defaultdict(dict)
    for deal in deals:
        cell = cells[_row_of(deal)].setdefault(deal.ref.connection, Cell())
        cell.count += 1
        if deal.amount is not None and deal.currency is not None:
            cell.amounts[deal.currency] += deal.amount
    return cells


def _row_of(deal: Deal) -> str:
    if deal.status is Status.WON:
        return "won (post_sale)"
    if deal.status is Status.LOST:
        return "lost"
    return deal.stage.value if deal.stage is not None else UNMAPPED


def pipeline_table(deals: Iterable[Deal], connections: Sequence[str]) -> Table:
    rows = pipeline_rows(deals)
    table = Table(title="Unified pipeline (open deals by canonical stage; amounts in their own currencies)")
    table.add_column("stage")
    for name in connections:
        table.add_column(name, justify="right")
    order = [s.value for s in Stage if s is not Stage.POST_SALE] + [UNMAPPED, "won (post_sale)", "lost"]
    for row in order:
        if row not in rows:
            continue
        table.add_row(row, *(_cell(rows[row].get(name)) for name in connections))
    return table


def _cell(value: Cell | None) -> str:
    if value is None:
        return "-"
    count, amounts = value.count, value.amounts
    money = ", ".join(f"{cur} {amt:,.0f}" for cur, amt in sorted(amounts.items(), key=lambda kv: -kv[1])[:3])
    more = f" +{len(amounts) - 3}" if len(amounts) > 3 else ""
    return f"{count} deals\n{money}{more}" if money else f"{count} deals"
