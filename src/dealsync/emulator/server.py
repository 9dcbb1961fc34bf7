"""Starts the emulator: Salesforce over HTTPS (a CA made with trustme at start), HubSpot over HTTP.

``run_emulator`` is the in-process entry point for tests, the demo and benchmarks; ``dealsync emulator serve``
wraps the same function. Both servers are Werkzeug's threaded WSGI server on loopback.
"""

from __future__ import annotations

import logging
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dealsync.emulator.backend import Backend, Credentials, TokenBook
from dealsync.emulator.faults import Faults, FaultSettings
from dealsync.emulator.hubspot.app import HubSpotApp
from dealsync.emulator.salesforce.app import SalesforceApp
from dealsync.emulator.seed import SeedSettings, generate
from dealsync.emulator.state import EmulatorState
from dealsync.emulator.stats import RequestStats
from dealsync.emulator.wsgi import EmulatorWsgi

LOOPBACK = "127.0.0.1"


class QuietHandler(WSGIRequestHandler):
    """Werkzeug logs every request at INFO; the emulator's counters replace that."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # noqa: ARG002 - base signature
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            logging.getLogger("dealsync.emulator").debug(message, *args)


@dataclass
class EmulatorHandle:
    """A running emulator: where it listens, what it trusts, and its live state."""

    salesforce_url: str
    hubspot_url: str
    ca_bundle: Path
    backend: Backend
    credentials: Credentials

    @property
    def state(self) -> EmulatorState:
        return self.backend.state

    @property
    def stats(self) -> Any:
        return self.backend.stats

    @property
    def faults(self) -> Faults:
        return self.backend.faults

    def reset(self) -> None:
        self.backend.reset()


def _serve(server: BaseWSGIServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


def _tls_context(ca: trustme.CA, workdir: Path) -> tuple[ssl.SSLContext, Path]:
    cert = ca.issue_cert(LOOPBACK, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_path = workdir / "emulator-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return context, ca_path


@contextmanager
def run_emulator(
    *,
    deals: int = 2000,
    seed: int = 42,
    faults: str = "none",
    port: int = 0,
    as_of: date | None = None,
    fault_settings: FaultSettings | None = None,
    workdir: Path | None = None,
) -> Iterator[EmulatorHandle]:
    """Seed both CRMs and serve them until the block exits.

    ``port`` 0 picks free ports; otherwise Salesforce listens on ``port`` and HubSpot on ``port + 1``.
    """
    settings = SeedSettings(deals=deals, seed=seed, as_of=as_of)
    fault_config = fault_settings or FaultSettings(profile=faults, seed=seed)
    backend = Backend(
        state=generate(settings),
        faults=Faults(fault_config),
        stats=RequestStats(),
        tokens=TokenBook(Credentials()),
        reseed=lambda: generate(settings),
    )
    with ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dealsync-emulator-")))
        context, ca_path = _tls_context(trustme.CA(), folder)
        sf_server = make_server(
            LOOPBACK,
            port,
            EmulatorWsgi(SalesforceApp(backend), backend),
            threaded=True,
            ssl_context=context,
            request_handler=QuietHandler,
        )
        hs_server = make_server(
            LOOPBACK,
            port + 1 if port else 0,
            EmulatorWsgi(HubSpotApp(backend), backend),
            threaded=True,
            request_handler=QuietHandler,
        )
        for server in (sf_server, hs_server):
            _serve(server)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
        handle = EmulatorHandle(
            salesforce_url=f"https://{LOOPBACK}:{sf_server.server_port}",
            hubspot_url=f"http://{LOOPBACK}:{hs_server.server_port}",
            ca_bundle=ca_path,
            backend=backend,
            credentials=backend.tokens.credentials,
        )
        sf_app = sf_server.app
        if isinstance(sf_app, EmulatorWsgi) and isinstance(sf_app.app, SalesforceApp):
            sf_app.app.instance_url = handle.salesforce_url
        yield handle
