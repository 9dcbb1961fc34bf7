"""The audit CSV: one row per finding, most severe first, formula-looking CRM values neutralised."""

from __future__ import annotations

import csv
import io

from dealsync.reports import write_csv
from dealsync.reports.csv_report import COLUMNS, safe_cell
from dealsync.sync.audit_result import AuditResult

from .conftest import FORMULA, HOSTILE


def rows_of(result: AuditResult) -> list[dict[str, str]]:
    buffer = io.StringIO()
    write_csv(result, buffer)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def test_one_row_per_finding_most_severe_first(result: AuditResult) -> None:
    rows = rows_of(result)
    assert len(rows) == len(result.flags)
    assert list(rows[0]) == list(COLUMNS)
    assert [r["severity"] for r in rows] == ["error", "warning", "warning", "info"]
    error = rows[0]
    assert (error["connection"], error["id"], error["rule"]) == ("sf-main", "006B", "unmapped_stage")
    assert error["status"] == "open"
    assert error["canonical_stage"] == ""
    stale = next(r for r in rows if r["rule"] == "stale.no_activity")
    assert stale["name"] == HOSTILE  # CSV carries the text as is; it is data, not markup
    assert stale["cluster_id"] == "c-1"
    assert stale["run_id"] == "run-1"


def test_formulas_are_neutralised(result: AuditResult) -> None:
    row = next(r for r in rows_of(result) if r["id"] == "006B")
    assert row["owner"] == "'" + FORMULA
    assert safe_cell("-1+2") == "'-1+2"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Acme") == "Acme"
    assert safe_cell(None) == ""
