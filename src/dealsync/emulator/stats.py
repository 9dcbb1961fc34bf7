"""Request counters, so tests and benchmarks can count API calls against their lower bound."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    """Thread-safe counters: requests per endpoint, faults injected, 429s sent, records written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()

    def count_request(self, api: str, endpoint: str) -> None:
        with self._lock:
            self.requests[f"{api} {endpoint}"] += 1

    def count_fault(self, api: str, kind: str) -> None:
        with self._lock:
            self.faults[f"{api} {kind}"] += 1
            if kind == "rate_limit":
                self.rate_limited[api] += 1

    def count_writes(self, api: str, records: int) -> None:
        with self._lock:
            self.writes[api] += records

    def total(self, api: str | None = None) -> int:
        with self._lock:
            return sum(n for key, n in self.requests.items() if api is None or key.startswith(f"{api} "))

    def clear(self) -> None:
        with self._lock:
            for counter in (self.requests, self.faults, self.writes, self.rate_limited):
                counter.clear()

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "requests_total": sum(self.requests.values()),
                "faults": dict(sorted(self.faults.items())),
                "rate_limited": dict(self.rate_limited),
                "writes": dict(self.writes),
            }
