"""The audit JSON renderer: the DESIGN.md §5 keys and types, streamed output that parses, exact values."""

from __future__ import annotations

import io
import json

from dealsync.reports import report_dict, write_json
from dealsync.sync.audit_result import AuditResult


def test_contract_keys_and_types(result: AuditResult) -> None:
    report = report_dict(result)
    assert {"run_id", "generated_at", "deals", "deals_scored", "duplicates", "flags", "metrics"} <= report.keys()
    assert report["run_id"] == "run-1"
    assert report["generated_at"] == "2026-01-31T12:00:00Z"
    assert report["deals"] == 4
    first = report["deals_scored"][0]
    assert {"connection", "id", "canonical_stage", "status", "health_score", "reasons"} <= first.keys()
    by_id = {d["id"]: d for d in report["deals_scored"]}
    assert by_id["006A"]["health_score"] == 72
    assert by_id["006B"]["canonical_stage"] is None  # unmapped
    assert by_id["98765"]["health_score"] is None  # won
    assert by_id["98766"] == by_id["98766"] | {"status": "lost", "canonical_stage": "negotiation", "health_score": None}
    (dup,) = report["duplicates"]
    assert dup["cluster_id"] == "c-1"
    assert dup["confidence"] == 0.97
    assert dup["members"] == [{"connection": "hs-main", "id": "98765"}, {"connection": "sf-main", "id": "006A"}]
    assert set(dup["golden"]) >= {"name", "amount", "currency", "close_date"}
    assert dup["golden"]["amount"] == "1200.00"
    assert report["flags"][0] == {
        "connection": "sf-main",
        "id": "006A",
        "rule": "stale.no_activity",
        "severity": "warning",
        "detail": "no activity for 64 days",
    }
    assert report["metrics"]["by_connection"]["hs-main"] == {"win_rate": 1.0}
    assert report["fx"]["base"] == "USD"
    assert report["summary"]["flags_by_rule"]["stale.no_activity"] == 1


def test_empty_sections_are_empty_lists(result: AuditResult) -> None:
    from dataclasses import replace

    empty = replace(result, scored=[], clusters=[], flags=[], deals=0, metrics={})
    buffer = io.StringIO()
    write_json(empty, buffer)
    report = json.loads(buffer.getvalue())
    assert report["deals_scored"] == []
    assert report["duplicates"] == []
    assert report["flags"] == []
    assert report["metrics"] == {}


def test_one_deal_per_line_so_big_reports_stream(result: AuditResult) -> None:
    buffer = io.StringIO()
    write_json(result, buffer)
    lines = [line for line in buffer.getvalue().splitlines() if '"health_score"' in line]
    assert len(lines) == 4
