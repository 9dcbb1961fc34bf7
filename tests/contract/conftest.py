"""Contract tests: our connectors replay hand-made vcrpy cassettes built from the CRMs' documented examples.

Nothing here touches the network: every cassette is played with ``record_mode="none"``, so a request the
cassette does not hold fails the test (the connector sent something the documented API would not answer).
Each interaction plays at most once, in file order for identical requests, so a retried request needs one
interaction per attempt. ``tests/contract/cassettes/README.md`` names the doc page behind every response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import vcr
import vcr.stubs
from urllib3 import HTTPHeaderDict
from vcr.cassette import Cassette
from vcr.request import Request

CASSETTES = Path(__file__).parent / "cassettes"

# Method + full URL, the query compared as a decoded, sorted list of pairs: simple-salesforce sends
# ``query/?q=...`` with a trailing slash and hubspot-api-client repeats ``properties=`` keys, so both appear in
# the cassettes exactly as the clients send them. Bodies are not matched; tests assert on them instead.
MATCH_ON = ("method", "scheme", "host", "port", "path", "query")


def contract_vcr() -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=MATCH_ON,
        filter_headers=["authorization"],
        filter_post_data_parameters=["client_secret", "refresh_token", "password", "client_id"],
    )


@pytest.fixture(autouse=True)
def urllib3_style_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make vcrpy's stub answer ``getheaders()`` as urllib3 2 does, not as ``http.client`` does.

    hubspot-api-client hands ``urllib3.HTTPResponse.getheaders()`` to its callers: an ``HTTPHeaderDict`` in urllib3
    2.x. vcrpy's ``VCRHTTPResponse`` stands in for that response but returns ``http.client``'s list of pairs, which
    no real HubSpot call produces. Only the container changes; names and values are the cassette's.
    """
    pairs = vcr.stubs.VCRHTTPResponse.getheaders

    def getheaders(self: vcr.stubs.VCRHTTPResponse) -> HTTPHeaderDict:
        return HTTPHeaderDict(pairs(self))

    def getheader(self: vcr.stubs.VCRHTTPResponse, name: str, default: str | None = None) -> str | None:
        return getheaders(self).get(name, default)

    monkeypatch.setattr(vcr.stubs.VCRHTTPResponse, "getheaders", getheaders)
    monkeypatch.setattr(vcr.stubs.VCRHTTPResponse, "getheader", getheader)


@dataclass
class Replay:
    """A cassette being played, with the requests the connector actually sent, in order."""

    cassette: Cassette
    sent: list[tuple[int, Request]] = field(default_factory=list)  # (interaction index, request as sent)

    @property
    def all_played(self) -> bool:
        return bool(self.cassette.all_played)

    @property
    def play_count(self) -> int:
        return int(self.cassette.play_count)

    def paths(self) -> list[str]:
        return [request.path for _, request in self.sent]

    def json_sent(self, position: int) -> Any:
        """The JSON body of the ``position``-th request sent."""
        return _json(self.sent[position][1].body)

    def mismatched_bodies(self) -> list[tuple[str, Any, Any]]:
        """``(path, sent, in cassette)`` for every JSON request whose body differs from the cassette's."""
        out = []
        for index, request in self.sent:
            recorded = self.cassette.requests[index].body
            if recorded is not None and _json(request.body) != _json(recorded):
                out.append((request.path, _json(request.body), _json(recorded)))
        return out


def _json(raw: str | bytes | None) -> Any:
    return None if raw is None else json.loads(raw.decode() if isinstance(raw, bytes) else raw)


@contextmanager
def _replaying(name: str) -> Iterator[Replay]:
    with contract_vcr().use_cassette(name, allow_playback_repeats=False) as cassette:
        replay = Replay(cassette)
        original = cassette.play_response

        def play_response(request: Request) -> Any:
            before = dict(cassette.play_counts)
            answer = original(request)
            index = next(i for i, count in cassette.play_counts.items() if count > before.get(i, 0))
            replay.sent.append((index, request))
            return answer

        cassette.play_response = play_response
        yield replay


@pytest.fixture
def replay() -> Callable[[str], AbstractContextManager[Replay]]:
    """``with replay("salesforce/x.yaml") as played:`` plays one cassette, never recording."""
    return _replaying


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
