"""A proactive, per-connection rate limiter that mirrors the CRM's own rolling window.

HubSpot counts requests in a rolling window (100 per 10 s for a private app; search 5 per second). A token
bucket would allow a burst of ``capacity`` on top of the steady rate and so overshoot a rolling window; this
limiter keeps the send times of the last ``limit`` requests and waits until the oldest leaves the window, which
is exactly the server's rule. A small margin absorbs the difference between our send time and the server's
arrival time. The CRM's headers (``X-HubSpot-RateLimit-Max`` / ``-Interval-Milliseconds``) reset the limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping


class RollingWindowLimiter:
    """At most ``limit`` acquisitions in any ``window`` seconds (plus ``margin``)."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> None:
        """Block until one more request fits in the window, then record it."""
        while True:
            with self._lock:
                delay = self._delay(self._clock())
                if delay <= 0:
                    self._sent.append(self._clock())
                    return
            self.waited += delay
            self._sleep(delay)

    def _delay(self, now: float) -> float:
        span = self.window + self.margin
        while self._sent and now - self._sent[0] >= span:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        return span - (now - self._sent[0])

    def penalise(self, seconds: float) -> None:
        """After a 429 anyway (another app shares the quota): hold everything for ``seconds``."""
        with self._lock:
            until = self._clock() + seconds - self.window - self.margin
            self._sent.extend([until] * max(0, self.limit - len(self._sent)))

    def update(self, limit: int | None = None, window: float | None = None) -> None:
        with self._lock:
            if limit is not None and limit >= 1:
                self.limit = limit
            if window is not None and window > 0:
                self.window = window


def update_from_hubspot_headers(limiter: RollingWindowLimiter, headers: Mapping[str, str]) -> None:
    """Adopt the window HubSpot reports, so a higher tier (190 or 250 per 10 s) is used in full."""
    lowered = {k.lower(): v for k, v in headers.items()}
    limit = _int(lowered.get("x-hubspot-ratelimit-max"))
    interval = _int(lowered.get("x-hubspot-ratelimit-interval-milliseconds"))
    limiter.update(limit=limit, window=interval / 1000 if interval else None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
