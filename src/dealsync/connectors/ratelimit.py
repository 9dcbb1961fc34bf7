"""A proactive, per-connection rate limiter that mirrors the CRM's own rolling window.

HubSpot counts requests in a rolling window (100 per 10 s for a private app; search 5 per second). A token
bucket would allow a burst of ``capacity`` on top of the steady rate and so overshoot a rolling window; this
limiter keeps the times of the last ``limit`` requests and waits until the oldest leaves the window, which is
exactly the server's rule. A request's slot is stamped when it is sent and may be moved to when its response
arrives (:meth:`settle`): the server counts a request on arrival, somewhere in between, so a stamp taken at the
response is never early. The CRM's headers (``X-HubSpot-RateLimit-Max`` / ``-Interval-Milliseconds``) reset
the limit, so a higher tier (190 or 250 per 10 s) is used in full.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

MIN_SLEEP = 0.001  # float rounding can leave a sliver of a delay; never spin on it


class RollingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds (plus ``margin``). Stamps stay in time order."""

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

    def acquire(self) -> float:
        """Block until one more request fits in the window, then take a slot; returns its stamp."""
        while True:
            wait = self.delay()
            if wait <= 0:
                return self.take()
            wait = max(wait, MIN_SLEEP)
            self.waited += wait
            self._sleep(wait)

    def delay(self) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        with self._lock:
            now = self._clock()
            span = self.window + self.margin
            while self._sent and now - self._sent[0] >= span:
                self._sent.popleft()
            if len(self._sent) < self.limit:
                return 0.0
            return max(0.0, span - (now - self._sent[-self.limit]))

    def take(self) -> float:
        """Record a request now; returns its stamp for :meth:`settle`."""
        with self._lock:
            stamp = self._clock()
            self._sent.append(stamp)
            return stamp

    def settle(self, stamp: float) -> None:
        """Move the slot stamped ``stamp`` to now, when its response has arrived."""
        with self._lock:
            now = self._clock()
            if self._sent and self._sent[-1] == stamp:
                self._sent[-1] = now
                return
            try:
                self._sent.remove(stamp)
            except ValueError:
                return
            self._sent.append(now)  # now is the newest stamp: the deque stays in time order

    def penalise(self, seconds: float) -> None:
        """After a 429 anyway (another app shares the quota): no request for ``seconds`` from now.

        Every stamp is moved to at least the instant that makes it expire ``seconds`` from now, and the window
        is filled, so the wait is exactly ``seconds`` whatever was in the window before.
        """
        with self._lock:
            until = self._clock() + seconds - self.window - self.margin
            stamps = [max(stamp, until) for stamp in self._sent]
            stamps += [until] * max(0, self.limit - len(stamps))
            self._sent = deque(sorted(stamps))

    def update(self, limit: int | None = None, window: float | None = None) -> None:
        with self._lock:
            if limit is not None and limit >= 1:
                self.limit = limit
            if window is not None and window > 0:
                self.window = window


def update_from_hubspot_headers(limiter: RollingWindowLimiter, headers: Mapping[str, str]) -> None:
    """Adopt the window HubSpot reports."""
    lowered = {k.lower(): v for k, v in headers.items()}
    limit = _int(lowered.get("x-hubspot-ratelimit-max"))
    interval = _int(lowered.get("x-hubspot-ratelimit-interval-milliseconds"))
    limiter.update(limit=limit, window=interval / 1000 if interval else None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
