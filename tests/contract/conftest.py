"""Contract tests: our connectors replay hand-made vcrpy cassettes built from the CRMs' documented examples.

Nothing here touches the network: every cassette is played with ``record_mode="none"``, so a request the
cassette does not hold fails the test (the connector sent something the documented API would not answer).
Each interaction plays at most once, in file order for identical requests, so a retried request needs one
interaction per attempt. ``tests/contract/cassettes/README.md`` names the doc page behind every response.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from vcr.cassette import Cassette

CASSETTES = Path(__file__).parent / "cassettes"

# Matching on method + full URL (query compared as a decoded, sorted list of pairs): simple-salesforce sends
# ``query/?q=...`` with a trailing slash, and hubspot-api-client repeats ``properties=`` keys; both must appear
# in the cassette exactly as the client sends them.
MATCH_ON = ("method", "scheme", "host", "port", "path", "query")


def contract_vcr() -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=MATCH_ON,
        filter_headers=["authorization"],
        filter_post_data_parameters=["client_secret", "refresh_token", "password", "client_id"],
        allow_playback_repeats=False,
    )


@pytest.fixture
def replay() -> Iterator[Any]:
    """``with replay("salesforce/x.yaml") as cassette:`` plays one cassette, never recording."""
    recorder = contract_vcr()
    yield recorder.use_cassette


def played(cassette: Cassette) -> int:
    """How many interactions were answered (each at most once)."""
    return int(cassette.play_count)


def json_body(cassette: Cassette, index: int) -> Any:
    """The JSON body the connector sent for the ``index``-th interaction of ``cassette``."""
    raw = cassette.requests[index].body
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
