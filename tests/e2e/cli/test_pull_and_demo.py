"""The CLI end to end against the emulator: demo, pull (table and --json), exit codes, several orgs, the lock."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from dealsync.cli import app
from dealsync.cli.emulator_cmd import connection_snippet
from dealsync.emulator import EmulatorHandle, run_emulator
from dealsync.store import open_store

pytestmark = pytest.mark.e2e
runner = CliRunner()


def write_config(path: Path, body: str) -> Path:
    path.write_text(f"store: sqlite:///{path.parent / 'dealsync.db'}\n{body}")
    return path


def test_demo_pulls_both_crms_and_prints_the_unified_pipeline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--deals", "200", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Unified pipeline" in result.output
    for stage in ("qualification", "initial_contact", "proposal", "negotiation", "won (post_sale)", "lost"):
        assert stage in result.output
    with open_store(f"sqlite:///{tmp_path / 'dealsync.db'}") as store:
        assert store.count_deals("sf-emulator") > 150
        assert store.count_deals("hs-emulator") > 150


def test_pull_json_then_incremental(emulator: EmulatorHandle, tmp_path: Path) -> None:
    config = write_config(tmp_path / "dealsync.yml", connection_snippet(emulator))
    first = runner.invoke(app, ["--config", str(config), "--json", "pull", "--full"])
    assert first.exit_code == 0, first.output
    rows = {r["connection"]: r for r in json.loads(first.stdout)["connections"]}
    assert rows["sf-emulator"]["new"] > 0
    assert rows["hs-emulator"]["new"] > 0
    assert rows["sf-emulator"]["unmapped_stages"]  # the seed has custom stages nobody mapped
    second = runner.invoke(app, ["--config", str(config), "--json", "pull", "--connection", "hs-emulator"])
    assert second.exit_code == 0, second.output
    (only,) = json.loads(second.stdout)["connections"]
    assert only["connection"] == "hs-emulator"
    assert only["new"] == 0
    assert only["changed"] == 0


def test_pull_table_and_unmapped_stage_lines(emulator: EmulatorHandle, tmp_path: Path) -> None:
    config = write_config(tmp_path / "dealsync.yml", connection_snippet(emulator))
    result = runner.invoke(app, ["--config", str(config), "pull"])
    assert result.exit_code == 0, result.output
    assert "Pull" in result.output
    assert "add it under connections[sf-emulator].stage_map" in result.output


def test_unreachable_connection_exits_1_and_others_still_pull(emulator: EmulatorHandle, tmp_path: Path) -> None:
    dead = "  - name: hs-dead\n    type: hubspot\n    base_url: http://127.0.0.1:9\n    auth: {access_token: x-token}\n"
    config = write_config(tmp_path / "dealsync.yml", connection_snippet(emulator) + dead)
    result = runner.invoke(app, ["--config", str(config), "--json", "pull"])
    assert result.exit_code == 1
    rows = {r["connection"]: r for r in json.loads(result.stdout)["connections"]}
    assert rows["hs-dead"]["error"]
    assert rows["sf-emulator"]["error"] is None
    assert rows["sf-emulator"]["new"] > 0


def test_unknown_connection_is_a_usage_error(emulator: EmulatorHandle, tmp_path: Path) -> None:
    config = write_config(tmp_path / "dealsync.yml", connection_snippet(emulator))
    result = runner.invoke(app, ["--config", str(config), "pull", "--connection", "nope"])
    assert result.exit_code == 2
    assert "no connection named 'nope'" in result.output


def test_a_second_pull_of_the_same_connection_is_refused(emulator: EmulatorHandle, tmp_path: Path) -> None:
    config = write_config(tmp_path / "dealsync.yml", connection_snippet(emulator))
    with open_store(f"sqlite:///{tmp_path / 'dealsync.db'}") as store:
        store.acquire_lock("pull:sf-emulator", holder="other-host:4242")
        result = runner.invoke(app, ["--config", str(config), "--json", "pull", "--connection", "sf-emulator"])
    assert result.exit_code == 1
    (row,) = json.loads(result.stdout)["connections"]
    assert "other-host:4242" in row["error"]


def test_check_reaches_each_crm_and_lists_unmapped_stages(emulator: EmulatorHandle, tmp_path: Path) -> None:
    config = write_config(tmp_path / "dealsync.yml", connection_snippet(emulator))
    result = runner.invoke(app, ["--config", str(config), "check"])
    assert result.exit_code == 0, result.output
    assert '"Discovery": <lead_generation | prospecting' in result.output
    assert "dealsync_health_score is missing or read-only" in result.output  # not created in the seeded portal
    report = json.loads(runner.invoke(app, ["--config", str(config), "--json", "check"]).stdout)
    checks = {c["connection"]: c for c in report["checks"]}
    assert checks["sf-emulator"]["write_fields"] == {"health_score": True}
    assert checks["hs-emulator"]["write_fields"] == {"health_score": False}


@pytest.fixture
def four_crms() -> Iterator[list[EmulatorHandle]]:
    with ExitStack() as stack:
        yield [stack.enter_context(run_emulator(deals=150, seed=seed)) for seed in (21, 22)]


def test_two_orgs_and_two_portals_in_one_store_without_collisions(
    four_crms: list[EmulatorHandle], tmp_path: Path
) -> None:
    first, second = four_crms

    def renamed(handle: EmulatorHandle, suffix: str) -> str:
        return (
            connection_snippet(handle)
            .replace("name: sf-emulator", f"name: sf-{suffix}")
            .replace("name: hs-emulator", f"name: hs-{suffix}")
        )

    body = renamed(first, "one") + renamed(second, "two").removeprefix("connections:\n")
    config = write_config(tmp_path / "dealsync.yml", body)
    result = runner.invoke(app, ["--config", str(config), "--json", "pull"])
    assert result.exit_code == 0, result.output
    with open_store(f"sqlite:///{tmp_path / 'dealsync.db'}") as store:
        for name, handle in (("sf-one", first), ("sf-two", second)):
            live = {i for i, r in handle.state.salesforce.table("Opportunity").items() if not r["IsDeleted"]}
            assert {d.ref.id for d in store.iter_deals(name)} == live
        for name, handle in (("hs-one", first), ("hs-two", second)):
            live = {i for i, d in handle.state.hubspot.deals.items() if not d.archived}
            assert {d.ref.id for d in store.iter_deals(name)} == live
        assert store.count_deals() == sum(store.count_deals(n) for n in ("sf-one", "sf-two", "hs-one", "hs-two"))


def test_no_secret_reaches_the_logs_on_any_auth_path(emulator: EmulatorHandle, tmp_path: Path) -> None:
    creds = emulator.credentials
    ca = emulator.ca_bundle
    sf, hs = emulator.salesforce_url, emulator.hubspot_url
    body = (
        "connections:\n"
        f"  - {{name: sf-token, type: salesforce, instance_url: '{sf}', ca_bundle: '{ca}',"
        f" auth: {{access_token: '{creds.salesforce_token}'}}}}\n"
        f"  - {{name: sf-cc, type: salesforce, login_url: '{sf}', ca_bundle: '{ca}',"
        f" auth: {{client_id: '{creds.client_id}', client_secret: '{creds.client_secret}'}}}}\n"
        f"  - {{name: sf-refresh, type: salesforce, login_url: '{sf}', ca_bundle: '{ca}',"
        f" auth: {{client_id: '{creds.client_id}', client_secret: '{creds.client_secret}',"
        f" refresh_token: '{creds.refresh_token}'}}}}\n"
        f"  - {{name: sf-password, type: salesforce, login_url: '{sf}', ca_bundle: '{ca}',"
        f" auth: {{username: '{creds.username}', password: '{creds.password}',"
        f" security_token: '{creds.security_token}'}}}}\n"
        f"  - {{name: hs-token, type: hubspot, base_url: '{hs}', auth: {{access_token: '{creds.hubspot_token}'}}}}\n"
        f"  - {{name: hs-oauth, type: hubspot, base_url: '{hs}', auth: {{client_id: '{creds.client_id}',"
        f" client_secret: '{creds.client_secret}', refresh_token: '{creds.refresh_token}'}}}}\n"
        "  - {name: hs-bad, type: hubspot, base_url: '" + hs + "', auth: {access_token: 'pat-na1-wrong-secret-x'}}\n"
    )
    config = write_config(tmp_path / "dealsync.yml", body)
    stream = io.StringIO()
    try:
        for fmt in ("console", "json"):
            result = runner.invoke(
                app, ["--config", str(config), "--log-format", fmt, "--log-level", "debug", "--json", "pull"]
            )
            assert result.exit_code == 1  # hs-bad fails, the others pull
            stream.write(result.output)
            stream.write(result.stderr if result.stderr_bytes is not None else "")
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    output = stream.getvalue()
    assert "pulled" in output  # debug logging really ran
    secrets = [
        creds.salesforce_token,
        creds.client_secret,
        creds.refresh_token,
        creds.password,
        creds.security_token,
        creds.hubspot_token,
        "pat-na1-wrong-secret-x",
    ]
    for secret in secrets:
        assert secret not in output, secret
