"""The emulator's OAuth token endpoint: the three grants, their errors, and tokens working with simple-salesforce."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from dealsync.emulator import EmulatorHandle

pytestmark = pytest.mark.e2e


@pytest.fixture
def http(emulator: EmulatorHandle) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would override ``verify``
    session.verify = str(emulator.ca_bundle)
    yield session
    session.close()


def token_url(emulator: EmulatorHandle) -> str:
    return f"{emulator.salesforce_url}/services/oauth2/token"


def grants(emulator: EmulatorHandle) -> dict[str, tuple[dict[str, str], tuple[str, str] | None]]:
    c = emulator.credentials
    client = {"client_id": c.client_id, "client_secret": c.client_secret}
    return {
        "password": (
            {"grant_type": "password", **client, "username": c.username, "password": c.password + c.security_token},
            None,
        ),
        "client_credentials_basic": ({"grant_type": "client_credentials"}, (c.client_id, c.client_secret)),
        "client_credentials_form": ({"grant_type": "client_credentials", **client}, None),
        "refresh_token": ({"grant_type": "refresh_token", **client, "refresh_token": c.refresh_token}, None),
    }


@pytest.mark.parametrize("grant", ["password", "client_credentials_basic", "client_credentials_form", "refresh_token"])
def test_grants_issue_working_tokens(emulator: EmulatorHandle, http: requests.Session, grant: str) -> None:
    form, basic = grants(emulator)[grant]
    response = http.post(token_url(emulator), data=form, auth=basic)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
    assert body["instance_url"] == emulator.salesforce_url
    assert body["token_type"] == "Bearer"
    assert body["id"].startswith(f"{emulator.salesforce_url}/id/{emulator.state.salesforce.org_id}/005")
    assert abs(int(body["issued_at"]) - time.time() * 1000) < 60_000
    expected = hmac.new(
        emulator.credentials.client_secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert base64.b64decode(body["signature"]) == expected

    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=http)
    assert sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] > 0


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
        ({"client_id": "someone-else"}, "invalid_client_id", "client identifier invalid"),
        ({"password": "emulator-password"}, "invalid_grant", "authentication failure"),  # security token missing
        ({"username": "nobody@example.com"}, "invalid_grant", "authentication failure"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_password_grant_errors(
    emulator: EmulatorHandle, http: requests.Session, change: dict[str, str], error: str, description: str
) -> None:
    form, _ = grants(emulator)["password"]
    response = http.post(token_url(emulator), data={**form, **change})
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_other_grant_errors(emulator: EmulatorHandle, http: requests.Session) -> None:
    c = emulator.credentials
    bad_basic = http.post(token_url(emulator), data={"grant_type": "client_credentials"}, auth=(c.client_id, "nope"))
    assert bad_basic.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}
    form, _ = grants(emulator)["refresh_token"]
    bad_refresh = http.post(token_url(emulator), data={**form, "refresh_token": "stale"})
    assert (bad_refresh.status_code, bad_refresh.json()["error"]) == (400, "invalid_grant")


def test_unknown_token_is_an_expired_session(emulator: EmulatorHandle, http: requests.Session) -> None:
    sf = Salesforce(instance_url=emulator.salesforce_url, session_id="00Dbogus!token", session=http)
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Opportunity LIMIT 1")
    assert caught.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    missing = http.get(f"{emulator.salesforce_url}/services/data/v59.0/limits")
    assert missing.status_code == 401
    assert missing.json()[0]["errorCode"] == "INVALID_SESSION_ID"
