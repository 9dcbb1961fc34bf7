"""Building blocks of the HTML report: escaped tables, inline SVG bar charts, a generic view of the metrics.

Every piece of text goes through :func:`esc` (``html.escape`` with quotes), whatever its origin: deal names,
owners, ids, rule details and metric keys can all come from a CRM.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: its text, an optional sort key (``data-v``) and classes."""

    text: object
    sort: object | None = None
    css: str = ""
    numeric: bool = False


def td(cell: Cell | object) -> str:
    if not isinstance(cell, Cell):
        cell = Cell(cell, numeric=isinstance(cell, int | float) and not isinstance(cell, bool))
    classes = " ".join(c for c in (cell.css, "n" if cell.numeric else "") if c)
    attrs = f' class="{esc(classes)}"' if classes else ""
    if cell.sort is not None:
        attrs += f' data-v="{esc(cell.sort)}"'
    return f"<td{attrs}>{esc(cell.text)}</td>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell | object]],
    *,
    table_id: str | None = None,
    numeric: Sequence[int] = (),
    sortable: bool = True,
) -> str:
    """A ``<table>``; ``numeric`` lists the columns to right-align."""
    attrs = (f' id="{esc(table_id)}"' if table_id else "") + (' class="sortable"' if sortable else "")
    head = "".join(('<th class="n">' if i in numeric else "<th>") + f"{esc(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join("<tr>" + "".join(td(c) for c in row) + "</tr>" for row in rows)
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


CAPTION_ROOM = 200  # px right of the longest bar for its caption ("3,809 reached · 603 now")


def _svg(width: int, height: int) -> str:
    """An SVG drawn at ``width`` x ``height`` that shrinks with its card rather than overflowing it."""
    return (
        f'<svg role="img" viewBox="0 0 {width} {height}" '
        f'style="width:100%;max-width:{width}px;height:auto" preserveAspectRatio="xMinYMin meet">'
    )


def hbar_chart(rows: Sequence[tuple[str, int, str]], *, width: int = 640, label_width: int = 150) -> str:
    """Horizontal bars: (label, value, caption) per row, scaled to the largest value."""
    row_height, bar_room = 26, width - label_width - CAPTION_ROOM
    top = max((value for _, value, _ in rows), default=0) or 1
    height = row_height * len(rows) + 4
    parts = [_svg(width, height)]
    for i, (label, value, caption) in enumerate(rows):
        y = i * row_height + 2
        bar = max(1, round(bar_room * value / top)) if value else 0
        parts.append(f'<text x="0" y="{y + 16}">{esc(label)}</text>')
        parts.append(f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{bar}" height="{row_height - 8}"/>')
        parts.append(f'<text x="{label_width + bar + 6}" y="{y + 16}">{esc(caption)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(columns: Sequence[tuple[str, int]], *, width: int = 560, height: int = 220) -> str:
    """Vertical bars with their label below and their value above."""
    top = max((v for _, v in columns), default=0) or 1
    room = height - 44
    step = width / max(len(columns), 1)
    parts = [_svg(width, height)]
    for i, (label, value) in enumerate(columns):
        bar = round(room * value / top)
        x = round(i * step + 4)
        y = height - 22 - bar
        parts.append(f'<rect class="bar" x="{x}" y="{y}" width="{round(step - 8)}" height="{bar}"/>')
        parts.append(f'<text x="{x + 2}" y="{y - 4}">{esc(value)}</text>')
        parts.append(f'<text x="{x + 2}" y="{height - 6}">{esc(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


# -- metrics: whatever shape the quality layer returns, shown as nested tables ---------------------------------------


def _scalar(value: object) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | tuple) and all(_scalar(v) for v in value):
        return ", ".join(_fmt(v) for v in value)
    return "-" if value is None else str(value)


def metrics_html(metrics: Mapping[str, Any], depth: int = 0) -> str:
    """Scalars as a key/value table; a mapping of flat mappings as a matrix; deeper levels folded."""
    scalars = [(k, v) for k, v in metrics.items() if _scalar(v) or _flat_list(v)]
    parts = [table(("metric", "value"), ((k, _fmt(v)) for k, v in scalars), sortable=False)] if scalars else []
    for key, value in metrics.items():
        if _scalar(value) or _flat_list(value):
            continue
        inner = _nested(value, depth)
        parts.append(f"<details{' open' if depth == 0 else ''}><summary>{esc(key)}</summary>{inner}</details>")
    return "\n".join(parts)


def _flat_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(_scalar(v) for v in value)


def _nested(value: object, depth: int) -> str:
    if isinstance(value, Mapping) and value and all(isinstance(v, Mapping) and _all_scalar(v) for v in value.values()):
        return _matrix([(k, v) for k, v in value.items()])
    if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) and _all_scalar(v) for v in value):
        return _matrix([(str(i + 1), v) for i, v in enumerate(value)])
    if isinstance(value, Mapping) and depth < 4:
        return metrics_html(value, depth + 1)
    return f"<code>{esc(value)}</code>"


def _all_scalar(value: Mapping[str, Any]) -> bool:
    return all(_scalar(v) or _flat_list(v) for v in value.values())


def _matrix(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    columns = list(dict.fromkeys(k for _, row in rows for k in row))
    body = [[Cell(name), *(_metric_cell(row.get(c)) for c in columns)] for name, row in rows]
    numeric = [i + 1 for i, c in enumerate(columns) if all(_is_number(row.get(c)) for _, row in rows)]
    return table(("", *columns), body, numeric=numeric)


def _metric_cell(value: object) -> Cell:
    return Cell(_fmt(value), sort=value if _is_number(value) else None, numeric=_is_number(value))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
