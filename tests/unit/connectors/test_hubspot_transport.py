"""Token refresh before expiry, the 401/429/5xx paths of the choke point, and limiter stamping."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hubspot.crm.deals import ApiException
from pydantic import SecretStr
from urllib3.exceptions import NewConnectionError

from dealsync.connectors.base import PullStats
from dealsync.connectors.hubspot_auth import TokenGrant, TokenSource
from dealsync.connectors.hubspot_errors import Refused
from dealsync.connectors.hubspot_transport import Transport, WindowLimiter, acquire_all
from dealsync.connectors.retry import RetryPolicy
from dealsync.errors import AuthError, FatalError, RetryableError

SECRET = "pat-na1-very-secret-token"
NO_CONN: Any = None  # urllib3 names the failed connection; a test has none


@dataclass
class FakeTime:
    now: float = 1_000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Exchange:
    """A fake token endpoint: grants token-1, token-2, ... or fails."""

    expires_in: float = 100.0
    failure: Exception | None = None
    calls: int = 0

    def __call__(self) -> TokenGrant:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return TokenGrant(f"token-{self.calls}", self.expires_in)


def api_error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> ApiException:
    exc = ApiException(status=status, reason="x")
    exc.body = json.dumps(body)
    exc.headers = headers or {}
    return exc


class FakeSend:
    """Answers with each scripted outcome in turn (an exception to raise, or headers to return)."""

    def __init__(self, *outcomes: Exception | dict[str, str]) -> None:
        self.outcomes = list(outcomes)
        self.auth: list[str | None] = []

    def __call__(self, kwargs: dict[str, Any]) -> Any:
        self.auth.append(kwargs.get("_request_auth", {}).get("value"))
        assert kwargs["_request_timeout"]
        outcome = self.outcomes.pop(0) if self.outcomes else {}
        if isinstance(outcome, Exception):
            raise outcome
        return "data", 200, outcome


def transport(time: FakeTime, *, exchange: Exchange | None = None, limit: int = 100) -> Transport:
    tokens = TokenSource(
        "hs-main", static_token=None if exchange else SecretStr(SECRET), exchange=exchange, clock=time.clock
    )
    return Transport(
        "hs-main",
        tokens=tokens,
        limiter=WindowLimiter(limit, 10.0, clock=time.clock, sleep=time.sleep),
        search_limiter=WindowLimiter(5, 1.0, clock=time.clock, sleep=time.sleep),
        policy=RetryPolicy(attempts=4, budget_seconds=60),
        stats=PullStats(),
        sleep=time.sleep,
    )


# -- token source -----------------------------------------------------------------------------------------------


def test_oauth_token_is_refreshed_at_ninety_percent_of_its_lifetime() -> None:
    time, exchange = FakeTime(), Exchange(expires_in=100)
    tokens = TokenSource("hs-main", exchange=exchange, clock=time.clock)
    assert tokens.token() == "token-1"
    time.now += 89.9
    assert tokens.token() == "token-1"
    time.now += 0.1
    assert tokens.token() == "token-2"
    assert exchange.calls == 2
    time.now += 50
    assert tokens.token() == "token-2"


def test_missing_expires_in_uses_hubspots_default_lifetime() -> None:
    time, exchange = FakeTime(), Exchange(expires_in=0)
    tokens = TokenSource("hs-main", exchange=exchange, clock=time.clock)
    tokens.token()
    time.now += 1_600
    tokens.token()
    assert exchange.calls == 1
    time.now += 100
    tokens.token()
    assert exchange.calls == 2


def test_a_refused_refresh_is_an_auth_error_that_says_what_to_do() -> None:
    refused = Refused(
        "HubSpot (hs-main) answered 400 BAD_REFRESH_TOKEN: missing or unknown refresh token",
        status=400,
        category="BAD_REFRESH_TOKEN",
    )
    tokens = TokenSource("hs-main", exchange=Exchange(failure=refused), clock=FakeTime().clock)
    with pytest.raises(AuthError, match=r"BAD_REFRESH_TOKEN.*connections\[hs-main\]\.auth\.refresh_token"):
        tokens.token()


def test_static_token_is_never_refreshed() -> None:
    tokens = TokenSource("hs-main", static_token=SecretStr(SECRET), clock=FakeTime().clock)
    assert tokens.token() == SECRET
    assert not tokens.can_refresh
    with pytest.raises(AuthError, match="private-app"):
        tokens.refresh()


def test_exactly_one_mode() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        TokenSource("x", clock=FakeTime().clock)


# -- transport: auth --------------------------------------------------------------------------------------------

EXPIRED = {
    "status": "error",
    "message": "The OAuth token used to make this call expired 0 day(s) ago.",
    "category": "EXPIRED_AUTHENTICATION",
}


def test_static_token_401_is_an_auth_error_at_once() -> None:
    time = FakeTime()
    send = FakeSend(api_error(401, EXPIRED))
    with pytest.raises(AuthError) as caught:
        transport(time).call(send)
    assert len(send.auth) == 1
    message = str(caught.value)
    assert "hs-main" in message
    assert "auth.access_token" in message
    assert SECRET not in message
    assert send.auth == [f"Bearer {SECRET}"]


def test_oauth_401_refreshes_once_and_resends() -> None:
    time, exchange = FakeTime(), Exchange()
    send = FakeSend(api_error(401, EXPIRED), {})
    assert transport(time, exchange=exchange).call(send) == "data"
    assert send.auth == ["Bearer token-1", "Bearer token-2"]
    assert exchange.calls == 2


def test_oauth_401_that_persists_after_a_refresh_is_an_auth_error() -> None:
    time, exchange = FakeTime(), Exchange()
    send = FakeSend(api_error(401, EXPIRED), api_error(401, EXPIRED))
    with pytest.raises(AuthError, match="still answers 401"):
        transport(time, exchange=exchange).call(send)
    assert exchange.calls == 2
    assert len(send.auth) == 2


def test_proactive_refresh_happens_before_the_request() -> None:
    time, exchange = FakeTime(), Exchange(expires_in=100)
    link = transport(time, exchange=exchange)
    send = FakeSend({}, {})
    link.call(send)
    time.now += 95
    link.call(send)
    assert send.auth == ["Bearer token-1", "Bearer token-2"]


def test_unauthenticated_calls_send_no_token() -> None:
    send = FakeSend({})
    transport(FakeTime()).call(send, auth=False)
    assert send.auth == [None]


# -- transport: limits and retries ------------------------------------------------------------------------------

TEN_SECONDLY = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "policyName": "TEN_SECONDLY_ROLLING",
}
SECONDLY = {"status": "error", "message": "You have reached your secondly limit.", "policyName": "SECONDLY"}


def test_429_without_retry_after_waits_until_the_window_frees() -> None:
    time = FakeTime()
    link = transport(time, limit=10)
    for _ in range(3):
        link.call(FakeSend({}))  # three of our own requests in the window
    time.now += 4.0
    send = FakeSend(api_error(429, TEN_SECONDLY), {})
    assert link.call(send) == "data"
    # someone else filled the window and no Retry-After says when it frees: wait one whole window from the 429
    assert time.now == pytest.approx(1_000 + 4 + 10, abs=0.01)
    assert link.stats.retries == 1
    assert link.stats.rate_limit_wait_seconds >= 5.9
    assert link.stats.requests == 5


def test_429_with_retry_after_is_honoured() -> None:
    time = FakeTime()
    link = transport(time)
    send = FakeSend(api_error(429, TEN_SECONDLY, {"Retry-After": "2"}), {})
    link.call(send)
    assert sum(time.slept) >= 2.0


def test_secondly_429_holds_the_search_limiter() -> None:
    time = FakeTime()
    link = transport(time)
    send = FakeSend(api_error(429, SECONDLY), {})
    link.call(send, search=True)
    assert sum(time.slept) >= 1.0
    assert link.search_limiter.delay() == 0.0


def test_server_errors_are_retried_then_raised() -> None:
    time = FakeTime()
    failure = api_error(503, {"message": "internal error", "category": "SERVICE_UNAVAILABLE"})
    send = FakeSend(failure, failure, failure, failure)
    link = transport(time)
    with pytest.raises(RetryableError, match="503"):
        link.call(send)
    assert len(send.auth) == 4
    assert link.stats.retries == 3


def test_a_request_that_is_not_idempotent_is_not_resent_after_it_may_have_landed() -> None:
    send = FakeSend(api_error(502, {"message": "bad gateway"}), {})
    with pytest.raises(FatalError, match="not idempotent"):
        transport(FakeTime()).call(send, idempotent=False)
    assert len(send.auth) == 1


def test_a_request_that_is_not_idempotent_is_resent_when_it_never_left() -> None:
    send = FakeSend(NewConnectionError(NO_CONN, "refused"), {})
    assert transport(FakeTime()).call(send, idempotent=False) == "data"
    assert len(send.auth) == 2


def test_client_errors_are_not_retried() -> None:
    send = FakeSend(api_error(400, {"message": "bad", "category": "VALIDATION_ERROR"}), {})
    with pytest.raises(Refused):
        transport(FakeTime()).call(send)
    assert len(send.auth) == 1


def test_rate_limit_headers_resize_the_window() -> None:
    link = transport(FakeTime())
    link.call(FakeSend({"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}))
    assert (link.limiter.limit, link.limiter.window) == (190, 10.0)


def test_requests_are_held_to_the_window() -> None:
    time = FakeTime()
    link = transport(time, limit=5)
    for _ in range(12):
        link.call(FakeSend({}))
    assert time.now - 1_000 == pytest.approx(2 * (10 + link.limiter.margin), abs=0.01)


# -- limiter ----------------------------------------------------------------------------------------------------


def test_acquire_all_stamps_every_limiter_at_the_moment_of_sending() -> None:
    time = FakeTime()
    slow = WindowLimiter(1, 1.0, clock=time.clock, sleep=time.sleep)
    busy = WindowLimiter(2, 10.0, clock=time.clock, sleep=time.sleep)
    for _ in range(2):
        acquire_all([slow, busy], time.sleep)
    # both stamps of the second request were taken after waiting for the slow limiter, none before
    assert time.now == pytest.approx(1_000 + 1 + slow.margin)
    assert busy.delay() == pytest.approx(10 + busy.margin - (time.now - 1_000))
    waited, stamps = acquire_all([slow, busy], time.sleep)
    assert waited == pytest.approx(10 + busy.margin - 1 - slow.margin)
    assert stamps == [time.now, time.now]


def test_a_slot_is_stamped_when_the_response_arrives() -> None:
    """HubSpot counts the request on arrival; a slow round trip must not free our slot before the server's."""
    time = FakeTime()
    link = transport(time, limit=1)

    def slow(kwargs: dict[str, Any]) -> Any:
        time.now += 0.4  # the request is on the wire (or queued at HubSpot) for 0.4 s
        return "data", 200, {}

    link.call(slow)
    link.call(FakeSend({}))
    assert time.now == pytest.approx(1_000 + 0.4 + 10 + link.limiter.margin)


def test_settle_moves_a_stamp_that_is_not_the_newest() -> None:
    time = FakeTime()
    limiter = WindowLimiter(2, 10.0, clock=time.clock, sleep=time.sleep)
    first = limiter.take()
    time.now += 1
    limiter.take()
    time.now += 1
    limiter.settle(first)
    limiter.settle(12345.0)  # unknown stamps are ignored
    time.now += 8.5
    assert limiter.delay() == pytest.approx(10 + limiter.margin - 8.5 - 1)


def test_a_short_retry_after_is_not_stretched_to_the_whole_window() -> None:
    time = FakeTime()
    link = transport(time, limit=100)
    for _ in range(5):
        link.call(FakeSend({}))
    send = FakeSend(api_error(429, TEN_SECONDLY, {"Retry-After": "1"}), {})
    link.call(send)
    assert 1.0 <= time.now - 1_000 < 1.5
    assert link.limiter.delay() == 0.0


def test_penalise_keeps_stamps_in_time_order() -> None:
    time = FakeTime()
    limiter = WindowLimiter(4, 10.0, clock=time.clock, sleep=time.sleep)
    limiter.take()
    time.now += 5
    limiter.penalise(2.0)
    assert limiter.delay() == pytest.approx(2.0)
    time.now += 2.001
    assert limiter.delay() == 0.0  # the three penalty slots expired; the real request still counts
    for _ in range(3):
        limiter.take()
    assert limiter.delay() == pytest.approx(10 + limiter.margin - 7.001)
