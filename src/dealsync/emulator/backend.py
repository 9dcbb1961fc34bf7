"""What both API apps share: the current state, the fault injector, the counters and the token book."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from dealsync.emulator.faults import Faults
from dealsync.emulator.state import EmulatorState
from dealsync.emulator.stats import RequestStats


@dataclass(frozen=True)
class Credentials:
    """The credentials the emulator accepts; printed by ``dealsync emulator serve`` and used by the demo."""

    salesforce_token: str = "emulator-sf-session-token"  # noqa: S105 - a fixed, public emulator token
    hubspot_token: str = "emulator-hs-private-app-token"  # noqa: S105
    client_id: str = "dealsync-emulator-client"
    client_secret: str = "emulator-client-secret"  # noqa: S105
    refresh_token: str = "emulator-refresh-token"  # noqa: S105
    username: str = "admin@dealsync.example"
    password: str = "emulator-password"  # noqa: S105
    security_token: str = "emulatorSecurityToken"  # noqa: S105


@dataclass
class TokenBook:
    """Access tokens the emulator issued or accepts, per API."""

    credentials: Credentials
    _issued: dict[str, set[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, api: str) -> str:
        token = f"{api[:2]}-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._issued.setdefault(api, set()).add(token)
        return token

    def is_known(self, api: str, token: str) -> bool:
        static = self.credentials.salesforce_token if api == "salesforce" else self.credentials.hubspot_token
        with self._lock:
            return token == static or token in self._issued.get(api, set())


@dataclass
class Backend:
    """Everything a request handler may touch. ``state`` is replaced whole on reset."""

    state: EmulatorState
    faults: Faults
    stats: RequestStats
    tokens: TokenBook
    reseed: Callable[[], EmulatorState]

    def reset(self) -> None:
        self.state = self.reseed()
        self.stats.clear()
