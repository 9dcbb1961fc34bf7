"""``dealsync audit``, ``runs`` and ``dedupe`` end to end: the emulator pulled once, then audited per test."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dealsync.canonical import DealRef
from dealsync.cli import app
from dealsync.cli.emulator_cmd import connection_snippet
from dealsync.emulator import EmulatorHandle
from dealsync.store import Store, open_store

pytestmark = pytest.mark.e2e
runner = CliRunner()
CONTRACT_KEYS = {"run_id", "generated_at", "deals", "deals_scored", "duplicates", "flags", "metrics"}
FAMILIES = ("stale.", "mis_valued.", "consistency.", "unmapped_stage")


@pytest.fixture(scope="module")
def pulled(emulator: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with both emulated CRMs pulled into it (done once; each test works on its own copy)."""
    folder = tmp_path_factory.mktemp("pulled")
    config = folder / "dealsync.yml"
    config.write_text(f"store: sqlite:///{folder / 'dealsync.db'}\n{connection_snippet(emulator)}")
    result = runner.invoke(app, ["--config", str(config), "--json", "pull", "--full"])
    assert result.exit_code == 0, result.output
    return folder / "dealsync.db"


@pytest.fixture
def config(pulled: Path, emulator: EmulatorHandle, tmp_path: Path) -> Path:
    shutil.copy(pulled, tmp_path / "dealsync.db")
    path = tmp_path / "dealsync.yml"
    path.write_text(f"store: sqlite:///{tmp_path / 'dealsync.db'}\n{connection_snippet(emulator)}")
    return path


def opened(config: Path) -> Store:
    return open_store(f"sqlite:///{config.parent / 'dealsync.db'}")


def audit_json(config: Path) -> dict[str, Any]:
    out = config.parent / "report.json"
    result = runner.invoke(app, ["--config", str(config), "audit", "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def test_json_report_honours_the_contract(config: Path) -> None:
    with opened(config) as store:
        deleted = [d.ref for d in store.iter_deals()][:5]
        store.mark_deleted(deleted[0].connection, [r.id for r in deleted if r.connection == deleted[0].connection])
        gone = {(r.connection, r.id) for r in deleted if r.connection == deleted[0].connection}
        live = {(d.ref.connection, d.ref.id): d for d in store.iter_deals()}
    report = audit_json(config)

    assert report.keys() >= CONTRACT_KEYS
    assert isinstance(report["run_id"], str)
    assert report["generated_at"].endswith("Z")
    assert report["deals"] == len(live)
    keys = [(d["connection"], d["id"]) for d in report["deals_scored"]]
    assert len(keys) == len(set(keys))  # every live deal once
    assert set(keys) == set(live)
    assert not gone & set(keys)  # deleted deals never appear
    for item in report["deals_scored"]:
        deal = live[(item["connection"], item["id"])]
        assert item["status"] == deal.status.value
        assert item["canonical_stage"] == (None if deal.stage is None else deal.stage.value)
        assert isinstance(item["reasons"], list)
        if deal.is_open:
            assert isinstance(item["health_score"], int)
            assert 0 <= item["health_score"] <= 100
        else:
            assert item["health_score"] is None
    assert {d["status"] for d in report["deals_scored"]} == {"open", "won", "lost"}
    assert any(d["canonical_stage"] is None for d in report["deals_scored"])  # the seed has unmapped stages

    assert report["duplicates"]
    for dup in report["duplicates"]:
        assert isinstance(dup["cluster_id"], str)
        assert 0 <= dup["confidence"] <= 1
        assert len(dup["members"]) >= 2
        assert all(set(m) == {"connection", "id"} for m in dup["members"])
        assert dup["golden"].keys() >= {"name", "amount", "currency", "close_date"}
        assert not gone & {(m["connection"], m["id"]) for m in dup["members"]}

    assert report["flags"]
    for flag in report["flags"]:
        assert set(flag) >= {"connection", "id", "rule", "severity", "detail"}
        assert flag["rule"].startswith(FAMILIES)
        assert flag["severity"] in ("info", "warning", "error")
        assert (flag["connection"], flag["id"]) in live
    assert {f["rule"] for f in report["flags"]} >= {"unmapped_stage", "stale.no_activity"}
    assert isinstance(report["metrics"], dict)
    assert report["metrics"]


def test_reports_never_carry_secrets(config: Path, emulator: EmulatorHandle) -> None:
    secrets = [emulator.credentials.salesforce_token, emulator.credentials.hubspot_token]
    for fmt in ("json", "csv", "html", "table"):
        out = config.parent / f"report.{fmt}"
        result = runner.invoke(app, ["--config", str(config), "audit", "-f", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert text
        assert not [s for s in secrets if s in text], fmt


def test_table_is_the_default_and_csv_goes_to_stdout(config: Path) -> None:
    table = runner.invoke(app, ["--config", str(config), "audit"])
    assert table.exit_code == 0, table.output
    for title in ("Findings by rule", "Top findings", "Duplicates", "Pipeline metrics"):
        assert title in table.output
    as_csv = runner.invoke(app, ["--config", str(config), "audit", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows
    assert {"connection", "id", "rule", "severity", "detail"} <= set(rows[0])
    as_json = runner.invoke(app, ["--config", str(config), "--json", "audit"])  # --json: the JSON report
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout).keys() >= CONTRACT_KEYS


def test_bad_format_and_missing_config_are_usage_errors(config: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["--config", str(config), "audit", "--format", "pdf"])
    assert bad.exit_code == 2
    missing = runner.invoke(app, ["--config", str(tmp_path / "nope.yml"), "audit"])
    assert missing.exit_code == 2
    assert "config file not found" in missing.output
    folder = runner.invoke(app, ["--config", str(config), "audit", "-f", "json", "-o", str(tmp_path / "no/x.json")])
    assert folder.exit_code == 2


def _pair_in_a_cluster(report: dict[str, Any]) -> tuple[str, str]:
    cluster = next(d for d in report["duplicates"] if len(d["members"]) == 2)
    a, b = (f"{m['connection']}:{m['id']}" for m in cluster["members"])
    return a, b


def _together(report: dict[str, Any], a: str, b: str) -> bool:
    return any({a, b} <= {f"{m['connection']}:{m['id']}" for m in d["members"]} for d in report["duplicates"])


def test_not_duplicate_decisions_are_respected_and_can_be_forgotten(config: Path) -> None:
    first = audit_json(config)
    a, b = _pair_in_a_cluster(first)
    marked = runner.invoke(app, ["--config", str(config), "dedupe", "--not-duplicate", a, b, "--note", "different"])
    assert marked.exit_code == 0, marked.output
    assert "not duplicates" in marked.output
    listed = runner.invoke(app, ["--config", str(config), "--json", "dedupe"])
    (decision,) = json.loads(listed.stdout)["not_duplicates"]
    assert decision["note"] == "different"

    assert not _together(audit_json(config), a, b)

    forgot = runner.invoke(app, ["--config", str(config), "dedupe", "--forget", b, a])
    assert forgot.exit_code == 0, forgot.output
    assert _together(audit_json(config), a, b)


def test_dedupe_refuses_unknown_or_malformed_deals(config: Path) -> None:
    with opened(config) as store:
        known = next(iter(store.iter_deals())).ref
    ref = f"{known.connection}:{known.id}"
    unknown = runner.invoke(app, ["--config", str(config), "dedupe", "--not-duplicate", ref, "sf-emulator:nope"])
    assert unknown.exit_code == 2
    assert "no deal sf-emulator:nope" in unknown.output
    malformed = runner.invoke(app, ["--config", str(config), "dedupe", "--not-duplicate", ref, "justanid"])
    assert malformed.exit_code == 2
    same = runner.invoke(app, ["--config", str(config), "dedupe", "--not-duplicate", ref, ref])
    assert same.exit_code == 2
    with opened(config) as store:
        assert store.not_duplicates() == []
        assert not store.is_not_duplicate(known, DealRef(connection="sf-emulator", id="nope"))


def test_runs_lists_audits_and_show_lists_their_flags_and_clusters(config: Path) -> None:
    report = audit_json(config)
    run_id = report["run_id"]
    listing = runner.invoke(app, ["--config", str(config), "runs"])
    assert listing.exit_code == 0, listing.output
    assert run_id[:8] in listing.output
    assert "audit" in listing.output

    shown = runner.invoke(app, ["--config", str(config), "--json", "runs", "show", run_id[:13]])
    assert shown.exit_code == 0, shown.output
    details = json.loads(shown.stdout)
    assert details["run"]["id"] == run_id
    assert details["run"]["status"] == "ok"
    assert details["run"]["summary"]["flags"] == len(report["flags"])
    stored = sorted((f["connection"], f["id"], f["rule"]) for f in details["flags"])
    assert stored == sorted((f["connection"], f["id"], f["rule"]) for f in report["flags"])
    assert {d["cluster_id"] for d in details["duplicates"]} == {d["cluster_id"] for d in report["duplicates"]}

    table = runner.invoke(app, ["--config", str(config), "runs", "show", run_id, "--limit", "500"])
    assert table.exit_code == 0, table.output
    assert "Findings" in table.output
    assert report["flags"][0]["rule"] in table.output
    assert "Duplicate clusters" in table.output

    unknown = runner.invoke(app, ["--config", str(config), "runs", "show", "no-such-run"])
    assert unknown.exit_code == 2


def test_a_second_audit_stores_its_own_clusters(config: Path) -> None:
    first, second = audit_json(config), audit_json(config)
    assert first["run_id"] != second["run_id"]
    assert [d["cluster_id"] for d in first["duplicates"]] == [d["cluster_id"] for d in second["duplicates"]]
    with opened(config) as store:
        assert len(store.clusters_for_run(first["run_id"])) == len(first["duplicates"])
        assert len(store.clusters_for_run(second["run_id"])) == len(second["duplicates"])
