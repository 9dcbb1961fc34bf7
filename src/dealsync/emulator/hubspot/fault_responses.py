"""Injected faults and authentication failures in HubSpot's own error shapes.

429 bodies follow the real ones quoted in hubspot-api-python #117 (``errorType: RATE_LIMIT``, ``policyName``,
``groupName``) with the newer ``category: RATE_LIMITS`` beside them; 401 bodies follow the real
``INVALID_AUTHENTICATION``/``EXPIRED_AUTHENTICATION`` ones (hubspot-api-nodejs #432) and carry
``x-hubspot-auth-failure``. See https://developers.hubspot.com/docs/api/usage-details and
https://developers.hubspot.com/docs/api-reference/error-handling.
"""

from __future__ import annotations

import math

from werkzeug.wrappers import Response

from dealsync.emulator.faults import FaultAction, FaultKind
from dealsync.emulator.hubspot.errors import error_response
from dealsync.emulator.hubspot.serialize import iso_ms, now_ms

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
AUTH_FAILURE = {"x-hubspot-auth-failure": "401 Unauthorized"}
POLICY_TEXT = {
    "TEN_SECONDLY_ROLLING": ("ten_secondly_rolling", "api-calls-ten-secondly"),
    "SECONDLY": ("secondly", "search-api-calls-secondly"),
    "DAILY": ("daily", "api-calls-daily"),
}
SERVER_CATEGORY = {500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


def rate_limited(action: FaultAction, portal_id: int) -> Response:
    policy = action.policy or "TEN_SECONDLY_ROLLING"
    limit_name, group = POLICY_TEXT.get(policy, (policy.lower(), "api-calls"))
    retry_after = str(max(1, math.ceil(action.retry_after)))
    return error_response(
        429,
        f"You have reached your {limit_name} limit.",
        "RATE_LIMITS",
        headers={"Retry-After": retry_after},
        errorType="RATE_LIMIT",
        policyName=policy,
        groupName=f"publicapi:private-app-{group}:{portal_id}",
    )


def expired() -> Response:
    return error_response(
        401,
        "The OAuth token used to make this call expired 0 day(s) ago.",
        "EXPIRED_AUTHENTICATION",
        headers=AUTH_FAILURE,
        context={"expire time": [iso_ms(now_ms())]},
    )


def render(action: FaultAction, portal_id: int) -> Response:
    """The response for a fault the shared WSGI layer decided on."""
    if action.kind is FaultKind.RATE_LIMIT:
        return rate_limited(action, portal_id)
    if action.kind is FaultKind.UNAUTHENTICATED:
        return error_response(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION", headers=AUTH_FAILURE)
    if action.kind is FaultKind.EXPIRED_SESSION:
        return expired()
    status = action.status if action.kind is FaultKind.SERVER_ERROR else 500
    return error_response(status, "internal error", SERVER_CATEGORY.get(status, "INTERNAL_ERROR"))
