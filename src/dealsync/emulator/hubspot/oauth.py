"""OAuth 2.0 token endpoint (public: no bearer token needed).

Docs: https://developers.hubspot.com/docs/api/oauth/tokens (``POST /oauth/v1/token``, form-encoded
``grant_type=refresh_token|authorization_code``, ``client_id``, ``client_secret``, ``refresh_token``/``code``,
``redirect_uri``) and ``GET /oauth/v1/access-tokens/{token}``. Success returns ``token_type, refresh_token,
access_token, expires_in`` (1800) plus ``hub_id, scopes, token_use``; refresh tokens do not rotate. Failures are
400 with HubSpot's ``status``/``message`` and the RFC 6749 ``error``/``error_description`` beside them; the
``BAD_REFRESH_TOKEN`` body is documented, the other statuses are as the community reports them.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import CORRELATION_HEADER, correlation_id, not_found
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]

EXPIRES_IN = 1800
SCOPES = [
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.companies.read",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
    "crm.objects.owners.read",
    "oauth",
]


class OAuthError(Exception):
    def __init__(self, status: str, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def response(self) -> Response:
        cid = correlation_id()
        body = {
            "status": self.status,
            "message": self.message,
            "correlationId": cid,
            "error": self.error,
            "error_description": self.message,
        }
        return json_response(body, status=400, headers={CORRELATION_HEADER: cid})


def check_client(ctx: Ctx) -> None:
    form, credentials = ctx.request.form, ctx.backend.tokens.credentials
    if form.get("client_id") != credentials.client_id:
        raise OAuthError("BAD_CLIENT_ID", "invalid_client", "missing or unknown client id")
    if form.get("client_secret") != credentials.client_secret:
        raise OAuthError("BAD_CLIENT_SECRET", "invalid_client", "missing or invalid client secret")


def check_grant(ctx: Ctx) -> None:
    form, credentials = ctx.request.form, ctx.backend.tokens.credentials
    grant = form.get("grant_type")
    if grant == "refresh_token":
        if form.get("refresh_token") != credentials.refresh_token:
            raise OAuthError("BAD_REFRESH_TOKEN", "invalid_grant", "refresh token is invalid, expired or revoked")
    elif grant == "authorization_code":
        if not form.get("code") or not form.get("redirect_uri"):
            raise OAuthError("BAD_AUTH_CODE", "invalid_grant", "missing or unknown auth code")
    else:
        raise OAuthError("BAD_GRANT_TYPE", "unsupported_grant_type", f"unsupported grant type: {grant}")


def token(ctx: Ctx) -> Response:
    """``POST /oauth/v1/token``."""
    try:
        check_client(ctx)
        check_grant(ctx)
    except OAuthError as error:
        return error.response()
    body = {
        "token_type": "bearer",
        "refresh_token": ctx.backend.tokens.credentials.refresh_token,
        "access_token": ctx.backend.tokens.issue("hubspot"),
        "expires_in": EXPIRES_IN,
        "hub_id": ctx.portal.portal_id,
        "scopes": SCOPES,
        "token_use": "access_token",
    }
    return json_response(body)


def access_token_info(ctx: Ctx) -> Response:
    """``GET /oauth/v1/access-tokens/{token}``: metadata for a token the emulator knows."""
    value = ctx.params["token"]
    if not ctx.backend.tokens.is_known("hubspot", value):
        raise not_found("Token not found.")
    credentials = ctx.backend.tokens.credentials
    return json_response(
        {
            "token": value,
            "user": credentials.username,
            "hub_domain": "dealsync-emulator.com",
            "scopes": SCOPES,
            "hub_id": ctx.portal.portal_id,
            "app_id": 4_242_001,
            "expires_in": EXPIRES_IN,
            "user_id": 1,
            "token_type": "access",
        }
    )
