"""Config loading: interpolation, defaults, and the exact message a user sees for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealsync.canonical import Stage
from dealsync.config import HubSpotConnection, SalesforceConnection, load_settings, parse_settings, resolve_path
from dealsync.errors import ConfigError

SF = "connections:\n  - name: sf-main\n    type: salesforce\n    instance_url: https://acme.my.salesforce.com\n"


def parse(text: str, **env: str) -> object:
    return parse_settings(text, source="dealsync.yml", environ=env)


def test_full_example_loads_with_interpolation() -> None:
    text = (
        "store: sqlite:///x.db\n" + SF + "    auth:\n      access_token: ${SF_TOKEN}\n"
        "    stage_map: {Discovery: qualification}\n"
        "    stage_write_map: {qualification: Discovery}\n"
        "  - name: hs-main\n    type: hubspot\n"
        "    auth:\n      client_id: abc\n      client_secret: ${HS_SECRET}\n      refresh_token: r-$${literal}\n"
        "sync:\n  conflict_policy: prefer:hs-main\n  max_change_ratio: 0.1\n"
        "quality:\n  stale_days_without_activity: 14\n  fx_rates: {EUR: 1.08}\n"
    )
    settings = parse_settings(text, source="t", environ={"SF_TOKEN": "tok-123", "HS_SECRET": "sec-456"})
    sf, hs = settings.connections
    assert isinstance(sf, SalesforceConnection)
    assert isinstance(hs, HubSpotConnection)
    assert sf.auth.access_token is not None
    assert sf.auth.access_token.get_secret_value() == "tok-123"
    assert sf.stage_map == {"Discovery": Stage.QUALIFICATION}
    assert sf.fields.health_score == "DealSync_Health_Score__c"
    assert hs.auth.mode == "oauth"
    assert hs.auth.refresh_token is not None
    assert hs.auth.refresh_token.get_secret_value() == "r-${literal}"
    assert settings.sync.max_change_ratio == 0.1
    assert settings.secrets() == ["tok-123", "sec-456", "r-${literal}"]
    assert "tok-123" not in repr(settings)


def test_empty_file_gives_defaults() -> None:
    settings = parse("")
    assert settings.store == "sqlite:///dealsync.db"  # type: ignore[attr-defined]
    assert settings.connections == []  # type: ignore[attr-defined]


MALFORMED = [
    (
        "store: x\nbogus: 1\n",
        "dealsync.yml: bogus: unknown key; remove it or check its spelling against `dealsync init`",
    ),
    (
        SF + "    auth: {access_token: x}\n    stage_map: {Discovery: qualif}\n",
        "dealsync.yml: connections[0].stage_map.Discovery: 'qualif' is not a canonical stage; use one of "
        "lead_generation, prospecting, qualification, initial_contact, proposal, negotiation, post_sale",
    ),
    (
        "connections:\n  - name: pd\n    type: pipedrive\n    auth: {access_token: x}\n",
        "dealsync.yml: connections[0].type: 'pipedrive' is not a connection type; use salesforce or hubspot",
    ),
    (
        "connections:\n  - name: sf\n    auth: {access_token: x}\n",
        "dealsync.yml: connections[0]: connection has no type; add `type: salesforce` or `type: hubspot`",
    ),
    (
        "connections:\n  - name: hs\n    type: hubspot\n    auth:\n      access_token: ${HS_TOKEN}\n",
        "connections[0].auth.access_token: environment variable HS_TOKEN is not set; "
        "export HS_TOKEN=... before running dealsync",
    ),
    (
        "connections:\n  - name: hs\n    type: hubspot\n    auth: {access_token: a, client_id: b}\n",
        "dealsync.yml: connections[0].auth: got ['access_token', 'client_id']; give exactly one of: access_token | "
        "client_id + client_secret + refresh_token",
    ),
    (
        "connections:\n  - name: sf\n    type: salesforce\n    auth: {access_token: x}\n",
        "dealsync.yml: connections[0]: auth.access_token needs instance_url (e.g. https://acme.my.salesforce.com); "
        "add instance_url or use an OAuth login",
    ),
    (
        "connections:\n  - name: SF_Main\n    type: hubspot\n    auth: {access_token: x}\n",
        "dealsync.yml: connections[0].name: 'SF_Main' is not a valid name; use lowercase letters, digits and "
        "hyphens (sf-main)",
    ),
    (
        "connections:\n - name: sf\n  type: x\n",
        "dealsync.yml: YAML syntax error at line 3, column 3: expected <block end>, but found "
        "'<block mapping start>'; fix the indentation or quoting (quote a value such as \"${VAR}\" inside { })",
    ),
    ("sync: {max_change_ratio: 2}\n", "dealsync.yml: sync.max_change_ratio: Input should be less than or equal to 1"),
    (
        "sync: {conflict_policy: 'prefer:nope'}\n",
        "dealsync.yml: (top level): sync.conflict_policy 'prefer:nope' names no connection; use prefer:<name> with "
        "one of: (no connections defined)",
    ),
    (
        SF + "    auth: {access_token: x}\n    stage_write_map: {won: X}\n",
        "dealsync.yml: connections[0].stage_write_map.won: 'won' is not a canonical stage; use one of "
        "lead_generation, prospecting, qualification, initial_contact, proposal, negotiation, post_sale",
    ),
    ("- a\n", "dealsync.yml: the top level must be a mapping of keys (store, connections, sync, quality)"),
    (
        "connections:\n  - {name: a, type: hubspot, auth: {access_token: x}}\n"
        "  - {name: a, type: hubspot, auth: {access_token: y}}\n",
        "dealsync.yml: (top level): connection names must be unique; a appears more than once",
    ),
    (
        "connections:\n  - {name: hs, type: hubspot, auth: {access_token: x}, base_url: 'api.hubapi.com'}\n",
        "dealsync.yml: connections[0].base_url: 'api.hubapi.com' is not a base URL; write scheme and host only "
        "(https://host)",
    ),
    (
        "connections:\n  - {name: hs, type: hubspot}\n",
        "dealsync.yml: connections[0].auth: required key is missing; add it",
    ),
    (
        "connections:\n  - {name: hs, type: hubspot, auth: {access_token: x}, ca_bundle: /nonexistent/ca.pem}\n",
        "dealsync.yml: connections[0].ca_bundle: file '/nonexistent/ca.pem' does not exist; give the path of a PEM "
        "CA bundle",
    ),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED, ids=[m[1][:60] for m in MALFORMED])
def test_malformed_config_names_the_key_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found; run `dealsync init`"):
        load_settings(tmp_path / "absent.yml")


def test_path_resolution_order(tmp_path: Path) -> None:
    explicit = tmp_path / "a.yml"
    assert resolve_path(explicit, {"DEALSYNC_CONFIG": "b.yml"}) == explicit
    assert resolve_path(None, {"DEALSYNC_CONFIG": "b.yml"}) == Path("b.yml")
    assert resolve_path(None, {}) == Path("dealsync.yml")


def test_unknown_connection_lookup_lists_known_ones() -> None:
    settings = parse_settings(SF + "    auth: {access_token: x}\n", source="t", environ={})
    with pytest.raises(ConfigError, match="no connection named 'hs' in the config; known connections: sf-main"):
        settings.connection("hs")
