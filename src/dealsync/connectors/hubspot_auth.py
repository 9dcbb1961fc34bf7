"""HubSpot access tokens: a static private-app token, or OAuth access tokens refreshed before they expire.

HubSpot says a 401 "is not a valid indicator that a new access token must be retrieved": refresh from the
``expires_in`` TTL instead. So an OAuth token is refreshed proactively once ``refresh_at`` (90 %) of its
lifetime has passed, and at most once more when a request is refused with 401 anyway (a revoked token, a clock
jump). The token exchange itself is injected (the connector posts ``grant_type=refresh_token`` to
``{base_url}/oauth/v1/token`` through the SDK), so the timing logic is tested with a fake clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from dealsync.errors import AuthError, FatalError
from dealsync.logging import get_logger, register_secrets

DEFAULT_EXPIRES_IN = 1800.0  # HubSpot's documented OAuth access-token lifetime, when a response omits it
log = get_logger("dealsync.connectors.hubspot")


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: float  # seconds


class TokenSource:
    """The access token to send now; refreshes an OAuth token before it expires."""

    def __init__(
        self,
        connection: str,
        *,
        static_token: SecretStr | None = None,
        exchange: Callable[[], TokenGrant] | None = None,
        clock: Callable[[], float],
        refresh_at: float = 0.9,
    ) -> None:
        if (static_token is None) == (exchange is None):
            raise ValueError("give exactly one of static_token and exchange")
        self.connection = connection
        self._static = static_token
        self._exchange = exchange
        self._clock = clock
        self._refresh_at = refresh_at
        self._token: str | None = None
        self._due = 0.0
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def can_refresh(self) -> bool:
        return self._exchange is not None

    def token(self) -> str:
        """The current token, refreshing first when ``refresh_at`` of its lifetime has passed."""
        if self._static is not None:
            return self._static.get_secret_value()
        with self._lock:
            if self._token is None or self._clock() >= self._due:
                self._refresh_locked()
            assert self._token is not None  # noqa: S101 - set by _refresh_locked or it raised
            return self._token

    def refresh(self) -> None:
        """Get a new token now (after a 401); raises :class:`AuthError` when HubSpot refuses."""
        if self._exchange is None:
            raise AuthError(static_token_refused(self.connection, "it cannot be refreshed"))
        with self._lock:
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        assert self._exchange is not None  # noqa: S101 - only OAuth sources refresh
        try:
            grant = self._exchange()
        except FatalError as exc:  # an AuthError too: the token endpoint refused the client or refresh token
            raise AuthError(refresh_failed(self.connection, str(exc))) from None
        lifetime = grant.expires_in if grant.expires_in > 0 else DEFAULT_EXPIRES_IN
        register_secrets([grant.access_token])
        self._token = grant.access_token
        self._due = self._clock() + self._refresh_at * lifetime
        self.refreshes += 1
        log.info("hubspot access token refreshed", connection=self.connection, expires_in=lifetime)


def static_token_refused(connection: str, detail: str) -> str:
    return (
        f"HubSpot refused the access token of connection {connection!r} ({detail}); create a new private-app "
        f"access token and set connections[{connection}].auth.access_token, or configure OAuth "
        "(client_id, client_secret, refresh_token) so dealsync can refresh it"
    )


def refresh_failed(connection: str, detail: str) -> str:
    return (
        f"refreshing the OAuth access token of HubSpot connection {connection!r} failed ({detail}); re-authorize "
        f"the app and set connections[{connection}].auth.refresh_token, and check client_id and client_secret"
    )


def still_refused(connection: str, detail: str) -> str:
    return (
        f"HubSpot connection {connection!r} still answers 401 with a freshly refreshed OAuth token ({detail}); "
        "check that the app is still installed in the portal and has the CRM scopes dealsync needs"
    )
