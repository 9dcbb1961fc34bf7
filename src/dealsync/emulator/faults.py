"""Fault profiles: the failures real CRMs produce, decided here and rendered by each API in its own error shape.

Profiles: ``none``; ``rate-limit`` (enforce the real windows: HubSpot 100 requests per rolling 10 s and search
5 per second, answered with 429 ``TEN_SECONDLY_ROLLING``/``SECONDLY``; Salesforce a per-second budget answered
with 403 ``REQUEST_LIMIT_EXCEEDED``); ``flaky`` (short 5xx bursts, dropped connections, slow responses);
``expired-session`` (a token dies after ``expire_after`` requests); ``partial-failure`` (some records of a batch
write rejected with real error codes); ``concurrent-edit`` (a person edits some records just after they are
read); ``mix`` (all of them, gentler). Every random choice comes from one seeded generator.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

PROFILES = ("none", "rate-limit", "flaky", "expired-session", "partial-failure", "concurrent-edit", "mix")


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    DROP_CONNECTION = "drop_connection"
    SLOW = "slow"
    EXPIRED_SESSION = "expired_session"
    UNAUTHENTICATED = "unauthenticated"


@dataclass(frozen=True)
class FaultAction:
    kind: FaultKind
    retry_after: float = 0.0  # seconds, for RATE_LIMIT
    delay: float = 0.0  # seconds, for SLOW
    status: int = 503  # for SERVER_ERROR
    policy: str = ""  # for RATE_LIMIT: TEN_SECONDLY_ROLLING, SECONDLY, ...


@dataclass
class RateWindow:
    """A rolling window: at most ``limit`` requests in any ``seconds``."""

    limit: int
    seconds: float
    _stamps: deque[float] = field(default_factory=deque)

    def try_acquire(self, now: float) -> float:
        """Record a request and return 0, or return how long until one would be allowed."""
        while self._stamps and now - self._stamps[0] >= self.seconds:
            self._stamps.popleft()
        if len(self._stamps) >= self.limit:
            return self.seconds - (now - self._stamps[0])
        self._stamps.append(now)
        return 0.0

    def remaining(self, now: float) -> int:
        while self._stamps and now - self._stamps[0] >= self.seconds:
            self._stamps.popleft()
        return max(0, self.limit - len(self._stamps))


@dataclass
class FaultSettings:
    profile: str = "none"
    seed: int = 0
    hubspot_window_limit: int = 100
    hubspot_window_seconds: float = 10.0
    hubspot_search_per_second: int = 5
    salesforce_per_second: int = 25
    expire_after: int = 40
    server_error_rate: float = 0.04
    drop_rate: float = 0.015
    slow_rate: float = 0.03
    slow_seconds: float = 0.3
    reject_rate: float = 0.05
    person_edit_rate: float = 0.02

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown fault profile {self.profile!r}; choose one of: {', '.join(PROFILES)}")
        if self.profile == "mix":
            self.server_error_rate /= 2
            self.drop_rate /= 2
            self.slow_rate /= 2
            self.reject_rate /= 2
            self.person_edit_rate /= 2
            self.expire_after *= 3


class Faults:
    """Decides, per request or per record, whether a failure happens. Thread-safe."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.settings = settings or FaultSettings()
        self._rng = random.Random(self.settings.seed)
        self._lock = threading.Lock()
        self._burst_left: dict[str, int] = {}
        self._token_uses: dict[str, int] = {}
        self._expired: set[str] = set()
        s = self.settings
        self.hubspot_window = RateWindow(s.hubspot_window_limit, s.hubspot_window_seconds)
        self.hubspot_search_window = RateWindow(s.hubspot_search_per_second, 1.0)
        self.salesforce_window = RateWindow(s.salesforce_per_second, 1.0)

    def _on(self, *names: str) -> bool:
        return self.settings.profile in (*names, "mix")

    def on_request(self, api: str, *, token: str | None, search: bool = False) -> FaultAction | None:
        """Called for every authenticated API request before it is handled."""
        with self._lock:
            return self._rate_limit(api, search) or self._expiry(api, token) or self._flakiness(api)

    def _rate_limit(self, api: str, search: bool) -> FaultAction | None:
        if not self._on("rate-limit"):
            return None
        now = time.monotonic()
        if api == "hubspot":
            if search:
                wait = self.hubspot_search_window.try_acquire(now)
                if wait:
                    return FaultAction(FaultKind.RATE_LIMIT, retry_after=wait, policy="SECONDLY")
            wait = self.hubspot_window.try_acquire(now)
            policy = "TEN_SECONDLY_ROLLING"
        else:
            wait = self.salesforce_window.try_acquire(now)
            policy = "REQUEST_LIMIT_EXCEEDED"
        return FaultAction(FaultKind.RATE_LIMIT, retry_after=wait, policy=policy) if wait else None

    def _expiry(self, api: str, token: str | None) -> FaultAction | None:
        if token is None:
            return None
        key = f"{api}:{token}"
        if key in self._expired:
            return FaultAction(FaultKind.EXPIRED_SESSION)
        if not self._on("expired-session"):
            return None
        uses = self._token_uses.get(key, 0) + 1
        self._token_uses[key] = uses
        if uses > self.settings.expire_after:
            self._expired.add(key)
            return FaultAction(FaultKind.EXPIRED_SESSION)
        return None

    def _flakiness(self, api: str) -> FaultAction | None:
        if not self._on("flaky"):
            return None
        s = self.settings
        if self._burst_left.get(api, 0) > 0:
            self._burst_left[api] -= 1
            return FaultAction(FaultKind.SERVER_ERROR, status=self._rng.choice((500, 502, 503)))
        roll = self._rng.random()
        if roll < s.server_error_rate:
            self._burst_left[api] = self._rng.randint(0, 2)
            return FaultAction(FaultKind.SERVER_ERROR, status=self._rng.choice((500, 502, 503)))
        if roll < s.server_error_rate + s.drop_rate:
            return FaultAction(FaultKind.DROP_CONNECTION)
        if roll < s.server_error_rate + s.drop_rate + s.slow_rate:
            return FaultAction(FaultKind.SLOW, delay=s.slow_seconds * (1 + self._rng.random()))
        return None

    def is_token_expired(self, api: str, token: str) -> bool:
        with self._lock:
            return f"{api}:{token}" in self._expired

    def reject_record(self, api: str, record_id: str) -> bool:  # noqa: ARG002 - kept for per-API/record rules
        """partial-failure: should this record of a batch write be rejected?"""
        if not self._on("partial-failure"):
            return False
        with self._lock:
            return self._rng.random() < self.settings.reject_rate

    def person_edits(self, ids: Sequence[str]) -> list[str]:
        """concurrent-edit: which of the records just read a person edits before the next write."""
        if not self._on("concurrent-edit"):
            return []
        with self._lock:
            return [i for i in ids if self._rng.random() < self.settings.person_edit_rate]

    def hubspot_rate_headers(self) -> dict[str, str]:
        """The documented ``X-HubSpot-RateLimit-*`` headers, from the live window."""
        with self._lock:
            now = time.monotonic()
            s = self.settings
            return {
                "X-HubSpot-RateLimit-Daily": "1000000",
                "X-HubSpot-RateLimit-Daily-Remaining": "999000",
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(s.hubspot_window_seconds * 1000)),
                "X-HubSpot-RateLimit-Max": str(s.hubspot_window_limit),
                "X-HubSpot-RateLimit-Remaining": str(self.hubspot_window.remaining(now)),
                "X-HubSpot-RateLimit-Secondly": str(s.hubspot_search_per_second),
                "X-HubSpot-RateLimit-Secondly-Remaining": str(self.hubspot_search_window.remaining(now)),
            }
