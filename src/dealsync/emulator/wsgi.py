"""The WSGI layer both APIs share: authentication, fault injection, counting, and the ``/__emulator`` routes.

Each API supplies an :class:`ApiApp`; this module decides *whether* a fault happens and the API renders it in
its own documented error shape.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterable
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from dealsync.emulator.backend import Backend
from dealsync.emulator.faults import FaultAction, FaultKind

WSGIEnviron = dict[str, Any]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status=status, headers=headers, mimetype="application/json"
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class ApiApp(Protocol):
    """One emulated API (Salesforce or HubSpot)."""

    api: str  # "salesforce" | "hubspot"

    def endpoint_key(self, request: Request) -> str:
        """A stable label for counting, e.g. ``GET query`` or ``POST /crm/v3/objects/deals/search``."""

    def is_public(self, request: Request) -> bool:
        """True for endpoints that need no token (OAuth token endpoint, versions list)."""

    def is_search(self, request: Request) -> bool:
        """True for requests under a separate search rate limit."""

    def render_fault(self, action: FaultAction, request: Request) -> Response:
        """The API's own error response for an injected fault or a bad token."""

    def handle(self, request: Request) -> Response:
        """Serve a request that passed authentication and fault injection."""

    def decorate(self, response: Response) -> None:
        """Add headers every response carries (rate-limit or API-usage headers)."""


class EmulatorWsgi:
    """Wraps one :class:`ApiApp` with the cross-cutting behaviour."""

    def __init__(self, app: ApiApp, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request, environ)
        if response is None:  # connection dropped on purpose
            return []
        return response(environ, start_response)

    def dispatch(self, request: Request, environ: WSGIEnviron) -> Response | None:
        if request.path.startswith("/__emulator/"):
            return self.control(request)
        api = self.app.api
        self.backend.stats.count_request(api, self.app.endpoint_key(request))
        if not self.app.is_public(request):
            token = bearer_token(request)
            if token is None or not self.backend.tokens.is_known(api, token):
                return self.finish(self.app.render_fault(FaultAction(FaultKind.UNAUTHENTICATED), request))
            action = self.backend.faults.on_request(api, token=token, search=self.app.is_search(request))
            if action is not None:
                self.backend.stats.count_fault(api, action.kind.value)
                if action.kind is FaultKind.DROP_CONNECTION:
                    drop_connection(environ)
                    return None
                if action.kind is FaultKind.SLOW:
                    time.sleep(action.delay)
                else:
                    return self.finish(self.app.render_fault(action, request))
        return self.finish(self.app.handle(request))

    def finish(self, response: Response) -> Response:
        self.app.decorate(response)
        return response

    def control(self, request: Request) -> Response:
        if request.path == "/__emulator/stats" and request.method == "GET":
            return json_response(self.backend.stats.to_json())
        if request.path == "/__emulator/reset" and request.method == "POST":
            self.backend.reset()
            return json_response({"reset": True})
        if request.path == "/__emulator/truth" and request.method == "GET":
            return json_response(self.backend.state.truth.to_json())
        return json_response({"error": f"no emulator route {request.method} {request.path}"}, status=404)


def drop_connection(environ: WSGIEnviron) -> None:
    """Close the client's socket without a response, as a reset connection looks to the client."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
