"""The emulated HubSpot API: the :class:`~dealsync.emulator.wsgi.ApiApp` for ``api = "hubspot"``.

Routes live in :mod:`.routes`; each endpoint family has its own module. The portal is read from
``backend.state.hubspot`` on every request (the state is replaced on reset) and its lookup index follows it.
"""

from __future__ import annotations

import logging
import threading

from werkzeug.wrappers import Request, Response

from dealsync.emulator.backend import Backend
from dealsync.emulator.faults import FaultAction
from dealsync.emulator.hubspot import fault_responses
from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.errors import CORRELATION_HEADER, HubSpotError, correlation_id, error_response
from dealsync.emulator.hubspot.index import PortalIndex
from dealsync.emulator.hubspot.people import PersonEditor
from dealsync.emulator.hubspot.routes import RouteMatch, match

log = logging.getLogger("dealsync.emulator.hubspot")


class HubSpotApp:
    """HubSpot CRM v3/v4, owners, currencies and OAuth over the shared emulator backend."""

    api = "hubspot"

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._index: PortalIndex | None = None
        self._index_lock = threading.Lock()
        self._people = PersonEditor(backend.faults.settings.seed)

    def index(self) -> PortalIndex:
        """The index of the live portal, rebuilt when the state was swapped."""
        portal = self.backend.state.hubspot
        current = self._index
        if current is not None and current.portal is portal:
            return current
        with self._index_lock:
            if self._index is None or self._index.portal is not portal:
                self._index = PortalIndex(portal)
            return self._index

    def endpoint_key(self, request: Request) -> str:
        found = match(request)
        return found.key if found.route else f"{request.method} UNROUTED"

    def is_public(self, request: Request) -> bool:
        route = match(request).route
        return route is not None and route.public

    def is_search(self, request: Request) -> bool:
        route = match(request).route
        return route is not None and route.search

    def render_fault(self, action: FaultAction, request: Request) -> Response:  # noqa: ARG002 - protocol
        return fault_responses.render(action, self.backend.state.hubspot.portal_id)

    def handle(self, request: Request) -> Response:
        found = match(request)
        if found.route is None:
            return unrouted(found, request)
        ctx = Ctx(request, found.params, self.backend, self.index())
        try:
            response = found.route.handler(ctx)
        except HubSpotError as error:
            return error.response()
        except Exception:
            log.exception("hubspot emulator failed on %s %s", request.method, request.path)
            return error_response(500, "internal error", "INTERNAL_ERROR")
        self.after_read(ctx)
        return response

    def after_read(self, ctx: Ctx) -> None:
        """concurrent-edit: a person edits some of the deals just served (the response is already built)."""
        if ctx.served_deals:
            edited = self.backend.faults.person_edits(ctx.served_deals)
            if edited:
                self._people.edit(ctx.index, edited)

    def decorate(self, response: Response) -> None:
        response.headers.update(self.backend.faults.hubspot_rate_headers())
        if CORRELATION_HEADER not in response.headers:
            response.headers[CORRELATION_HEADER] = correlation_id()


def unrouted(found: RouteMatch, request: Request) -> Response:
    if found.path_known:
        return error_response(405, f"HTTP {request.method} is not supported by this URL", "VALIDATION_ERROR")
    return error_response(
        404, f"Unable to route {request.method} {request.path}: no such endpoint.", "OBJECT_NOT_FOUND"
    )
