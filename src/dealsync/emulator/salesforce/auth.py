"""The OAuth 2.0 token endpoint, ``POST /services/oauth2/token`` (form-encoded).

Username-password flow:
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_username_password_oauth_flow.htm
Client-credentials flow: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm
Refresh-token flow: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
Token responses carry ``access_token, instance_url, id, token_type, issued_at`` (epoch milliseconds as a string)
and ``signature`` (base64 HMAC-SHA256 of ``id + issued_at`` keyed with the client secret). Errors are
``{"error", "error_description"}`` with status 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from dealsync.emulator.backend import Credentials, TokenBook
from dealsync.emulator.state import SalesforceOrg, utc_now
from dealsync.emulator.wsgi import json_response


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        return json_response({"error": self.error, "error_description": self.description}, status=self.status)


def _basic_client(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def check_client(request: Request, credentials: Credentials) -> str:
    """The client secret, once the client id and secret (Basic header or form fields) are right."""
    basic = _basic_client(request)
    client_id, secret = basic or (request.form.get("client_id", ""), request.form.get("client_secret", ""))
    if not secrets.compare_digest(client_id, credentials.client_id):
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not secrets.compare_digest(secret, credentials.client_secret):
        raise OAuthError("invalid_client", "invalid client credentials")
    return secret


def check_grant(request: Request, credentials: Credentials) -> None:
    grant = request.form.get("grant_type", "")
    if grant == "client_credentials":
        return
    if grant == "password":
        password = credentials.password + credentials.security_token
        if request.form.get("username") != credentials.username or not secrets.compare_digest(
            request.form.get("password", ""), password
        ):
            raise OAuthError("invalid_grant", "authentication failure")
        return
    if grant == "refresh_token":
        if not secrets.compare_digest(request.form.get("refresh_token", ""), credentials.refresh_token):
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return
    raise OAuthError("unsupported_grant_type", "grant type not supported")


def token_response(request: Request, tokens: TokenBook, org: SalesforceOrg, instance_url: str) -> Response:
    try:
        if request.method != "POST":
            raise OAuthError("invalid_request", "must use HTTP POST")
        if request.form.get("grant_type") not in ("client_credentials", "password", "refresh_token"):
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        secret = check_client(request, tokens.credentials)
        check_grant(request, tokens.credentials)
    except OAuthError as error:
        return error.response()
    return json_response(token_body(tokens.issue("salesforce"), secret, org, instance_url))


def token_body(access_token: str, secret: str, org: SalesforceOrg, instance_url: str) -> dict[str, Any]:
    user_id = next(iter(org.tables.get("User", {})), "005000000000000AAA")
    identity = f"{instance_url}/id/{org.org_id}/{user_id}"
    issued_at = str(int(utc_now().timestamp() * 1000))
    digest = hmac.new(secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return {
        "access_token": access_token,
        "instance_url": instance_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode(),
    }
