"""Getting a Salesforce access token for each auth mode of DESIGN.md §3.

OAuth flows post to ``{login_url}/services/oauth2/token``; username + password + security token without a
client id uses the SOAP ``login`` call, parsed with simple-salesforce's own helper. Failures raise
:class:`AuthError` naming the connection and the Salesforce error, never the credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import requests
from simple_salesforce.util import getUniqueElementValueFromXmlString

from dealsync.config import SalesforceConnection
from dealsync.errors import AuthError, RetryableError

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a URL path, not a secret


@dataclass(frozen=True)
class SalesforceSession:
    access_token: str
    instance_url: str


def can_refresh(config: SalesforceConnection) -> bool:
    """Only a login mode can get a new token; a bare access token cannot."""
    return config.auth.mode != "access_token"


def login(config: SalesforceConnection, session: requests.Session) -> SalesforceSession:
    auth = config.auth
    if auth.access_token is not None:
        # the config model refuses an access token without instance_url
        return SalesforceSession(auth.access_token.get_secret_value(), (config.instance_url or "").rstrip("/"))
    if auth.username is not None and auth.password is not None and auth.client_id is None:
        token = auth.security_token.get_secret_value() if auth.security_token else ""
        return _soap_login(config, session, auth.username, auth.password.get_secret_value() + token)
    return _oauth_login(config, session)


def _oauth_login(config: SalesforceConnection, session: requests.Session) -> SalesforceSession:
    auth = config.auth
    secret = auth.client_secret.get_secret_value() if auth.client_secret else ""
    form: dict[str, str]
    basic: tuple[str, str] | None = None
    if auth.username is not None and auth.password is not None and auth.security_token is not None:
        form = {
            "grant_type": "password",
            "client_id": auth.client_id or "",
            "client_secret": secret,
            "username": auth.username,
            "password": auth.password.get_secret_value() + auth.security_token.get_secret_value(),
        }
    elif auth.refresh_token is not None:
        form = {
            "grant_type": "refresh_token",
            "client_id": auth.client_id or "",
            "client_secret": secret,
            "refresh_token": auth.refresh_token.get_secret_value(),
        }
    else:
        form = {"grant_type": "client_credentials"}
        basic = (auth.client_id or "", secret)
    response = _post(session, config.login_url.rstrip("/") + TOKEN_PATH, config.name, data=form, auth=basic)
    body = _json(response)
    if response.status_code != 200 or "access_token" not in body:
        error = body.get("error", f"HTTP {response.status_code}")
        detail = body.get("error_description", "no description")
        raise AuthError(
            f"Salesforce login for connection {config.name!r} ({form['grant_type']} grant at {config.login_url}) "
            f"failed: {error}: {detail}; check the connection's auth settings"
        )
    instance = str(body.get("instance_url") or config.instance_url or "").rstrip("/")
    return SalesforceSession(str(body["access_token"]), instance)


def _soap_login(
    config: SalesforceConnection, session: requests.Session, username: str, password: str
) -> SalesforceSession:
    envelope = (
        '<?xml version="1.0" encoding="utf-8" ?>'
        '<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">'
        "<env:Body><urn:login>"
        f"<urn:username>{escape(username)}</urn:username><urn:password>{escape(password)}</urn:password>"
        "</urn:login></env:Body></env:Envelope>"
    )
    url = f"{config.login_url.rstrip('/')}/services/Soap/u/{config.api_version}"
    headers = {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}
    response = _post(session, url, config.name, data=envelope.encode(), headers=headers)
    if response.status_code != 200:
        code = getUniqueElementValueFromXmlString(response.content, "sf:exceptionCode") or "UNKNOWN"
        message = getUniqueElementValueFromXmlString(response.content, "sf:exceptionMessage") or "login refused"
        raise AuthError(f"Salesforce login for connection {config.name!r} failed: {code}: {message}")
    session_id = getUniqueElementValueFromXmlString(response.content, "sessionId")
    server_url = getUniqueElementValueFromXmlString(response.content, "serverUrl")
    if not session_id or not server_url:
        raise AuthError(f"Salesforce login for connection {config.name!r} returned no session; is login_url right?")
    scheme, _, rest = server_url.partition("://")
    return SalesforceSession(session_id, f"{scheme}://{rest.split('/')[0].replace('-api', '')}")


def _post(session: requests.Session, url: str, name: str, **kwargs: object) -> requests.Response:
    try:
        return session.post(url, **kwargs)  # type: ignore[arg-type]
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise RetryableError(f"cannot reach Salesforce login for connection {name!r} at {url}: {exc}") from None


def _json(response: requests.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
