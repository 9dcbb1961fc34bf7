"""``dealsync init`` writes a config that ``dealsync check`` accepts; bad configs exit 2 with the message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealsync.cli import app

runner = CliRunner()


@pytest.fixture
def env() -> dict[str, str]:
    return {"SF_TOKEN": "sf-secret-token-value", "HUBSPOT_TOKEN": "pat-na1-secret-token"}


def test_init_then_check(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "dealsync.yml"
    result = runner.invoke(app, ["--config", str(config), "init"])
    assert result.exit_code == 0, result.output
    assert "# dealsync configuration" in config.read_text()
    checked = runner.invoke(app, ["--config", str(config), "--json", "check", "--offline"], env=env)
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert [c["name"] for c in report["connections"]] == ["sf-main", "hs-main"]
    assert report["connections"][0]["auth"] == "access_token"
    assert "secret" not in checked.stdout


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    config = tmp_path / "dealsync.yml"
    config.write_text("keep me")
    result = runner.invoke(app, ["--config", str(config), "init"])
    assert result.exit_code == 2
    assert "already exists; pass --force" in result.output
    assert config.read_text() == "keep me"


def test_check_with_unset_variable_exits_2_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "dealsync.yml"
    runner.invoke(app, ["--config", str(config), "init"])
    result = runner.invoke(app, ["--config", str(config), "check"], env={"HUBSPOT_TOKEN": "x"})
    assert result.exit_code == 2
    assert "environment variable SF_TOKEN is not set" in result.output


def test_check_without_config_says_run_init(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "none.yml"), "check"])
    assert result.exit_code == 2
    assert "run `dealsync init`" in result.output
