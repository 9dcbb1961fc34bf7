"""Shared fixtures: an emulator seeded once per session, shared by the end-to-end tests that only read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dealsync.emulator import EmulatorHandle


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorHandle]:
    """A fault-free emulator with 600 deals per CRM. Tests that write must use ``fresh_emulator``."""
    from dealsync.emulator import run_emulator

    with run_emulator(deals=600, seed=7) as handle:
        yield handle


@pytest.fixture
def fresh_emulator() -> Iterator[EmulatorHandle]:
    """A private emulator for tests that write or inject faults."""
    from dealsync.emulator import run_emulator

    with run_emulator(deals=300, seed=11) as handle:
        yield handle
