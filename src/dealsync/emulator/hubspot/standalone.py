"""Serve only the HubSpot API over plain HTTP for a backend built by hand (tests and benchmarks).

``run_emulator`` serves both CRMs from a seed; this is for a hand-made :class:`EmulatorState` or custom fault
settings, e.g. a portal with more than 10,000 deals to hit the search cap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from dealsync.emulator.backend import Backend, Credentials, TokenBook
from dealsync.emulator.faults import Faults, FaultSettings
from dealsync.emulator.hubspot.app import HubSpotApp
from dealsync.emulator.server import QuietHandler
from dealsync.emulator.state import EmulatorState
from dealsync.emulator.stats import RequestStats
from dealsync.emulator.wsgi import EmulatorWsgi


def make_backend(
    state: EmulatorState, faults: FaultSettings | None = None, reseed: Callable[[], EmulatorState] | None = None
) -> Backend:
    return Backend(
        state=state,
        faults=Faults(faults or FaultSettings()),
        stats=RequestStats(),
        tokens=TokenBook(Credentials()),
        reseed=reseed or (lambda: state),
    )


@contextmanager
def serve(backend: Backend) -> Iterator[str]:
    """Serve ``backend`` on a free loopback port; yields the base URL (``http://127.0.0.1:PORT``)."""
    server = make_server(
        "127.0.0.1", 0, EmulatorWsgi(HubSpotApp(backend), backend), threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
