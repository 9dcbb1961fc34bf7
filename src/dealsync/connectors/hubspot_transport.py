"""The one choke point every HubSpot request passes: token, rate limiters, the call, error translation, retry.

Order of one attempt: take the access token (an OAuth refresh happens here, before any limiter is touched), wait
until every limiter the request counts against has room and stamp them all at once, send, move the stamps to
the moment the response arrived, then adopt the window HubSpot reports in ``X-HubSpot-RateLimit-*``. HubSpot
counts a request when it arrives, which is after we send it and before we hear back: a stamp taken at sending
(or earlier, while a second limiter made us wait) would free its slot before the server's does whenever the
request was delayed on the way, and the next request would meet a 429. A stamp at the response never can.

Search requests count against both the search limit (5 per second) and the general rolling window: the
emulator counts them in both, and HubSpot's documentation is unclear on it, so counting both is the safe side.
The SDK is built with urllib3 retries off, so :func:`~dealsync.connectors.retry.call_with_retry` is the only
retry layer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from dealsync.connectors.base import PullStats
from dealsync.connectors.hubspot_auth import TokenSource, static_token_refused, still_refused
from dealsync.connectors.hubspot_errors import RateLimited, Unauthorized, may_resend, translate
from dealsync.connectors.ratelimit import MIN_SLEEP, RollingWindowLimiter, update_from_hubspot_headers
from dealsync.connectors.retry import RetryPolicy, call_with_retry
from dealsync.errors import AuthError, FatalError, RetryableError

Send = Callable[[dict[str, Any]], Any]  # SDK kwargs (auth, timeout) -> (data, status, headers)
REQUEST_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds


WindowLimiter = RollingWindowLimiter  # the HubSpot name for the shared limiter


def acquire_all(limiters: Sequence[WindowLimiter], sleep: Callable[[float], None]) -> tuple[float, list[float]]:
    """Wait until every limiter has room, then stamp them together; returns the seconds waited and the stamps."""
    waited = 0.0
    while True:
        delay = max((limiter.delay() for limiter in limiters), default=0.0)
        if delay <= 0:
            return waited, [limiter.take() for limiter in limiters]
        delay = max(delay, MIN_SLEEP)
        sleep(delay)
        waited += delay


class Transport:
    """Sends SDK calls for one connection; counts them in ``stats``."""

    def __init__(
        self,
        connection: str,
        *,
        tokens: TokenSource,
        limiter: WindowLimiter,
        search_limiter: WindowLimiter,
        policy: RetryPolicy,
        stats: PullStats,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self.tokens = tokens
        self.limiter = limiter
        self.search_limiter = search_limiter
        self.policy = policy
        self.stats = stats
        self._sleep = sleep

    def call(self, send: Send, *, search: bool = False, idempotent: bool = True, auth: bool = True) -> Any:
        """Send with retries; after a 401 refresh an OAuth token once and send again, else raise AuthError."""
        try:
            return self._with_retry(send, search, idempotent, auth)
        except Unauthorized as exc:
            if not auth:
                raise
            if not self.tokens.can_refresh:
                raise AuthError(static_token_refused(self.connection, str(exc))) from None
        self.tokens.refresh()
        try:
            return self._with_retry(send, search, idempotent, auth)
        except Unauthorized as exc:
            raise AuthError(still_refused(self.connection, str(exc))) from None

    def _with_retry(self, send: Send, search: bool, idempotent: bool, auth: bool) -> Any:
        attempts = 0

        def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                self.stats.retries += 1
            return self._once(send, search, idempotent, auth)

        return call_with_retry(attempt, self.policy, sleep=self._sleep)

    def _once(self, send: Send, search: bool, idempotent: bool, auth: bool) -> Any:
        kwargs: dict[str, Any] = {"_request_timeout": REQUEST_TIMEOUT}
        if auth:
            token = self.tokens.token()
            kwargs["_request_auth"] = {
                "in": "header",
                "key": "Authorization",
                "value": f"Bearer {token}",
                "type": "oauth2",
            }
        limiters = [self.search_limiter, self.limiter] if search else [self.limiter]
        waited, stamps = acquire_all(limiters, self._sleep)
        self.stats.rate_limit_wait_seconds += waited
        self.stats.requests += 1
        try:
            data, _status, headers = send(kwargs)
        except Exception as exc:  # every SDK and transport failure is translated here, then re-raised
            raise self._failure(exc, search, idempotent) from exc
        finally:
            for limiter, stamp in zip(limiters, stamps, strict=True):
                limiter.settle(stamp)
        if headers:
            update_from_hubspot_headers(self.limiter, headers)
        return data

    def _failure(self, exc: Exception, search: bool, idempotent: bool) -> Exception:
        error = translate(exc, self.connection)
        if isinstance(error, RateLimited):
            self._penalise(error, search)
        if isinstance(error, RetryableError) and not idempotent and not may_resend(error):
            return FatalError(
                f"{error}; the request is not idempotent and may have been applied, so dealsync does not resend "
                "it: check the CRM before running again"
            )
        return error

    def _penalise(self, error: RateLimited, search: bool) -> None:
        """Tell the limiter the server's window is full, and work out how long to hold off."""
        if error.code == "SECONDLY" or (search and error.code != "TEN_SECONDLY_ROLLING"):
            self.search_limiter.penalise(error.retry_after or self.search_limiter.window)
        elif error.retry_after is not None:
            self.limiter.penalise(error.retry_after)
        else:
            # Someone else shares the quota and no Retry-After says when it frees: hold a whole window.
            self.limiter.penalise(self.limiter.window)
            error.retry_after = self.limiter.delay()
        self.stats.rate_limit_wait_seconds += error.retry_after or 0.0
