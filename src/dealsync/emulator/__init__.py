"""A local emulator of the Salesforce REST API and the HubSpot CRM v3 API.

It answers over real HTTP(S) with the documented paths, shapes, status codes, headers and error bodies, so
that the real client libraries run against it unchanged. It imports nothing else of dealsync's.
The server is imported lazily so that ``dealsync --help`` does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dealsync.emulator.server import EmulatorHandle, run_emulator

__all__ = ["EmulatorHandle", "run_emulator"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dealsync.emulator import server

        return getattr(server, name)
    raise AttributeError(name)
