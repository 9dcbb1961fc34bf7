"""Every failure the HubSpot SDK or urllib3 raises maps to one dealsync error, whichever SDK package raised it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.deals import ApiException as DealsApiException
from hubspot.crm.pipelines import ApiException as PipelinesApiException
from hubspot.oauth import ApiException as OAuthApiException
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from dealsync.connectors.hubspot_errors import (
    RateLimited,
    Refused,
    Unauthorized,
    headers_of,
    may_resend,
    retry_after,
    translate,
)
from dealsync.errors import AuthError, FatalError, RetryableError

NO_POOL: Any = None  # urllib3's errors name the pool or connection they came from; a test has none
NO_CONN: Any = None


def api_error(
    status: int, body: Any = None, headers: dict[str, str] | None = None, cls: type = DealsApiException
) -> Exception:
    exc: Exception = cls(status=status, reason="reason")
    exc.body = json.dumps(body) if isinstance(body, dict) else body  # type: ignore[attr-defined]
    exc.headers = headers  # type: ignore[attr-defined]
    return exc


TEN_SECONDLY = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "correlationId": "c93e",
    "policyName": "TEN_SECONDLY_ROLLING",
}
SECONDLY = {
    "status": "error",
    "message": "You have reached your secondly limit.",
    "errorType": "RATE_LIMIT",
    "policyName": "SECONDLY",
    "category": "RATE_LIMITS",
}
DAILY = {
    "status": "error",
    "message": "You have reached your daily limit.",
    "policyName": "DAILY",
    "category": "RATE_LIMITS",
}
EXPIRED = {
    "status": "error",
    "message": "The OAuth token used to make this call expired 2 day(s) ago.",
    "category": "EXPIRED_AUTHENTICATION",
}
VALIDATION = {"status": "error", "message": "Property values were not valid: [...]", "category": "VALIDATION_ERROR"}
BAD_REFRESH = {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token", "correlationId": "x"}


@pytest.mark.parametrize(
    ("exc", "kind", "code", "retry", "words"),
    [
        (
            api_error(429, TEN_SECONDLY, {"Retry-After": "3"}),
            RateLimited,
            "TEN_SECONDLY_ROLLING",
            3.0,
            ["429", "ten_secondly_rolling limit"],
        ),
        (api_error(429, TEN_SECONDLY), RateLimited, "TEN_SECONDLY_ROLLING", None, ["RATE_LIMIT"]),
        (api_error(429, SECONDLY), RateLimited, "SECONDLY", 1.0, ["RATE_LIMITS", "secondly limit"]),
        (api_error(429, SECONDLY, {"retry-after": "2"}, PipelinesApiException), RateLimited, "SECONDLY", 2.0, []),
        (api_error(429, "not json"), RateLimited, "RATE_LIMIT", None, ["not json"]),
        (api_error(429, DAILY), FatalError, None, None, ["daily", "midnight"]),
        (api_error(401, EXPIRED), Unauthorized, None, None, ["EXPIRED_AUTHENTICATION", "expired 2 day(s) ago"]),
        (api_error(401, EXPIRED, cls=PipelinesApiException), Unauthorized, None, None, ["401"]),
        (
            api_error(500, {"message": "internal error", "category": "INTERNAL_ERROR"}),
            RetryableError,
            "SERVER_ERROR",
            None,
            ["500 INTERNAL_ERROR: internal error"],
        ),
        (api_error(502, ""), RetryableError, "SERVER_ERROR", None, ["502"]),
        (api_error(503, None, cls=PipelinesApiException), RetryableError, "SERVER_ERROR", None, ["503"]),
        (api_error(400, VALIDATION), Refused, None, None, ["400 VALIDATION_ERROR", "Property values were not valid"]),
        (
            api_error(403, {"message": "no scope", "category": "MISSING_SCOPES"}),
            Refused,
            None,
            None,
            ["MISSING_SCOPES", "scopes"],
        ),
        (
            api_error(404, {"message": "Object not found.", "category": "OBJECT_NOT_FOUND"}),
            Refused,
            None,
            None,
            ["404 OBJECT_NOT_FOUND"],
        ),
        (
            api_error(400, BAD_REFRESH, cls=OAuthApiException),
            Refused,
            None,
            None,
            ["BAD_REFRESH_TOKEN", "unknown refresh token"],
        ),
        (
            MaxRetryError(NO_POOL, "/x", NewConnectionError(NO_CONN, "refused")),
            RetryableError,
            "CONNECT",
            None,
            ["connect"],
        ),
        (NewConnectionError(NO_CONN, "refused"), RetryableError, "CONNECT", None, ["cannot connect"]),
        (MaxRetryError(NO_POOL, "/x", ConnectTimeoutError("slow")), RetryableError, "CONNECT", None, []),
        (ReadTimeoutError(NO_POOL, "/x", "read timed out"), RetryableError, "TIMEOUT", None, ["in time"]),
        (ProtocolError("Connection aborted.", ConnectionResetError()), RetryableError, "DROPPED", None, ["dropped"]),
        (MaxRetryError(NO_POOL, "/x", ProtocolError("aborted")), RetryableError, "DROPPED", None, []),
        (MaxRetryError(NO_POOL, "/x", SSLError("CERTIFICATE_VERIFY_FAILED")), FatalError, None, None, ["ca_bundle"]),
        (
            DealsApiException(status=0, reason="SSLError\n[SSL: CERTIFICATE_VERIFY_FAILED]"),
            FatalError,
            None,
            None,
            ["ca_bundle"],
        ),
        (ValueError("surprise"), FatalError, None, None, ["unexpected", "ValueError: surprise"]),
    ],
)
def test_translate_table(exc: Exception, kind: type, code: str | None, retry: float | None, words: list[str]) -> None:
    error = translate(exc, "hs-main")
    assert type(error) is kind
    if code is not None:
        assert isinstance(error, RetryableError)
        assert error.code == code
    if isinstance(error, RetryableError):
        assert error.retry_after == retry
    for word in words:
        assert word in str(error)
    assert "hs-main" in str(error)


def test_refused_keeps_status_and_category() -> None:
    error = translate(api_error(400, VALIDATION))
    assert isinstance(error, Refused)
    assert (error.status, error.category) == (400, "VALIDATION_ERROR")


def test_unauthorized_is_an_auth_error_but_not_retryable() -> None:
    error = translate(api_error(401, EXPIRED))
    assert isinstance(error, AuthError)
    assert not isinstance(error, RetryableError)


def test_a_dealsync_error_passes_through_unchanged() -> None:
    original = RetryableError("already translated")
    assert translate(original) is original


def test_messages_are_clipped() -> None:
    error = translate(api_error(400, {"message": "x" * 5000, "category": "VALIDATION_ERROR"}))
    assert len(str(error)) < 500


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "10"}, 10.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-1"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


def test_headers_of_tolerates_missing_headers() -> None:
    assert headers_of(ValueError()) == {}
    assert headers_of(api_error(429, TEN_SECONDLY, {"Retry-After": "1"})) == {"Retry-After": "1"}


@pytest.mark.parametrize(
    ("error", "resend"),
    [
        (RetryableError("x", code="CONNECT"), True),
        (RateLimited("x", code="TEN_SECONDLY_ROLLING"), True),
        (RetryableError("x", code="SERVER_ERROR"), False),
        (RetryableError("x", code="DROPPED"), False),
        (RetryableError("x", code="TIMEOUT"), False),
    ],
)
def test_may_resend_only_what_never_reached_hubspot(error: RetryableError, resend: bool) -> None:
    assert may_resend(error) is resend
