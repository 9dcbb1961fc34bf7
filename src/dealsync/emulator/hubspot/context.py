"""What a route handler gets: the request, its path parameters, the backend and the live portal's index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from dealsync.emulator.backend import Backend
from dealsync.emulator.hubspot.catalog import DEALS
from dealsync.emulator.hubspot.index import PortalIndex, for_kind
from dealsync.emulator.state import HubSpotPortal


@dataclass
class Ctx:
    request: Request
    params: dict[str, str]
    backend: Backend
    index: PortalIndex
    served_deals: list[str] = field(default_factory=list)  # deals a read returned, for person edits

    @property
    def portal(self) -> HubSpotPortal:
        return self.index.portal

    @property
    def kind(self) -> str:
        return for_kind(self.params.get("kind", DEALS))

    def served(self, kind: str, ids: list[str]) -> None:
        if kind == DEALS:
            self.served_deals.extend(ids)


Handler = Callable[[Ctx], Response]
