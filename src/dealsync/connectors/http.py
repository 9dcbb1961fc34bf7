"""The ``requests`` session Salesforce calls go through: a pinned CA, rate limiting and call counting.

``requests`` lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` silently replace a session's own ``verify``; a
connection configured with ``ca_bundle`` must trust exactly that CA, so this session re-applies it after the
environment is merged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from dealsync.connectors.ratelimit import RollingWindowLimiter

HeaderHook = Callable[[Mapping[str, str]], None]


class ConnectorSession(requests.Session):
    """One per connection: every request waits for the limiter, is counted, and its headers observed."""

    def __init__(
        self,
        *,
        ca_bundle: Path | None = None,
        limiter: RollingWindowLimiter | None = None,
        on_headers: HeaderHook | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__()
        self.pinned_ca = str(ca_bundle) if ca_bundle is not None else None
        if self.pinned_ca is not None:
            self.verify = self.pinned_ca
        self.limiter = limiter
        self.on_headers = on_headers
        self.default_timeout = timeout
        self.request_count = 0
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.pinned_ca is not None:
            settings["verify"] = self.pinned_ca
        return settings

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        kwargs.setdefault("timeout", self.default_timeout)
        self.request_count += 1
        response = super().request(method, url, *args, **kwargs)
        if self.on_headers is not None:
            self.on_headers(response.headers)
        return response
