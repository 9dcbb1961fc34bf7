"""``dealsync demo`` now audits after the pull and writes the HTML report into its work folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealsync.cli import app
from dealsync.store import RunKind, open_store

pytestmark = pytest.mark.e2e
runner = CliRunner()


def test_demo_audits_and_prints_the_report_path(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--deals", "120", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = tmp_path / "audit.html"
    assert f"Audit report (HTML): {report}" in result.output
    assert "Findings by rule" in result.output
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Funnel by canonical stage" in page
    with open_store(f"sqlite:///{tmp_path / 'dealsync.db'}") as store:
        run = store.latest_run(RunKind.AUDIT)
        assert run is not None
        assert run.summary is not None
        assert run.summary["deals"] == store.count_deals()


def test_demo_json_names_the_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--json", "demo", "--deals", "60", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)["audit"]
    assert audit["report"] == str(tmp_path / "audit.html")
    assert Path(audit["report"]).is_file()
    assert audit["summary"]["deals"] > 0
