"""No secret reaches a log line: by key, by value, by shape, from structlog and from standard logging alike."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from dealsync.config import parse_settings
from dealsync.logging import REDACTED, configure_logging, get_logger, register_secrets

CONFIG = """
connections:
  - name: sf-token
    type: salesforce
    instance_url: https://acme.my.salesforce.com
    auth: {access_token: "00Dx0000000BV7z!AR8AQAxo9UfVkh8AlV0Gomt9Czx9LjHnSSpwBMmbRcgKFmxOtvx"}
  - name: sf-cc
    type: salesforce
    auth: {client_id: 3MVG9client, client_secret: "sf-client-secret-9f8e7d6c"}
  - name: sf-refresh
    type: salesforce
    auth: {client_id: 3MVG9client, client_secret: "sf-client-secret-2", refresh_token: "5Aep861refresh.Token=="}
  - name: sf-password
    type: salesforce
    auth: {username: admin@acme.com, password: "hunter2-Pa55word!", security_token: "SecTok3nXyZ123"}
  - name: hs-token
    type: hubspot
    auth: {access_token: "pat-na1-11111111-2222-3333-4444-555555555555"}
  - name: hs-oauth
    type: hubspot
    auth: {client_id: hs-client, client_secret: "hs-client-secret-abcdef", refresh_token: "na1-refresh-0f0f0f0f"}
"""


@pytest.fixture(params=["console", "json"])
def captured(request: pytest.FixtureRequest) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(request.param, "DEBUG", stream=stream)
    yield stream
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def all_secrets() -> list[str]:
    settings = parse_settings(CONFIG, source="t", environ={})
    secrets = settings.secrets()
    assert len(secrets) == 9  # every secret of every auth mode is known to the redactor
    register_secrets(secrets)
    return secrets


def test_secrets_never_reach_a_log_line(captured: io.StringIO) -> None:
    secrets = all_secrets()
    log = get_logger("dealsync.test")
    settings = parse_settings(CONFIG, source="t", environ={})
    for secret in secrets:
        # by key, nested in headers, in free text, in an exception, and in a dumped config
        log.info("auth", access_token=secret, password=secret, client_secret=secret)
        log.info("request", headers={"Authorization": f"Bearer {secret}", "X-Other": "ok"})
        log.warning(f"token endpoint answered for refresh_token={secret}")
        log.error("login failed", error=RuntimeError(f"invalid grant for {secret}"))
        logging.getLogger("urllib3.connectionpool").debug("send: Authorization: Bearer %s", secret)
        logging.getLogger("simple_salesforce").warning("session %s expired", secret)
    log.info("config", settings=settings.model_dump(mode="json"))
    try:
        raise ValueError(f"boom with {secrets[0]}")
    except ValueError:
        log.exception("crashed")
    output = captured.getvalue()
    assert output.count(REDACTED) > 40
    for secret in secrets:
        assert secret not in output
    assert "X-Other" in output  # the rest of the line survives


def test_unregistered_bearer_tokens_are_masked_by_shape(captured: io.StringIO) -> None:
    get_logger("t").info("GET /crm/v3/objects/deals Authorization: Bearer pat-eu1-abcdef0123456789")
    logging.getLogger("urllib3").warning("retrying with access_token=abc.def.ghi&x=1")
    output = captured.getvalue()
    assert "pat-eu1-abcdef0123456789" not in output
    assert "abc.def.ghi" not in output


def test_json_format_emits_one_json_object_per_line() -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    try:
        get_logger("t").info("pulled", records=3, access_token="should-not-appear")
        line = json.loads(stream.getvalue().strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert line["event"] == "pulled"
    assert line["records"] == 3
    assert line["access_token"] == REDACTED
