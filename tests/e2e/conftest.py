"""Helpers for end-to-end tests: configs pointing at an emulator, and a store snapshot to compare pulls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dealsync.config import HubSpotConnection, SalesforceConnection
from dealsync.emulator import EmulatorHandle
from dealsync.store import Store, open_store


def salesforce_config(handle: EmulatorHandle, name: str = "sf-main", **overrides: Any) -> SalesforceConnection:
    fields: dict[str, Any] = {
        "name": name,
        "type": "salesforce",
        "instance_url": handle.salesforce_url,
        "login_url": handle.salesforce_url,
        "ca_bundle": str(handle.ca_bundle),
        "auth": {"access_token": handle.credentials.salesforce_token},
    }
    fields.update(overrides)
    return SalesforceConnection.model_validate(fields)


def hubspot_config(handle: EmulatorHandle, name: str = "hs-main", **overrides: Any) -> HubSpotConnection:
    fields: dict[str, Any] = {
        "name": name,
        "type": "hubspot",
        "base_url": handle.hubspot_url,
        "auth": {"access_token": handle.credentials.hubspot_token},
    }
    fields.update(overrides)
    return HubSpotConnection.model_validate(fields)


def snapshot(store: Store, connection: str | None = None) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Everything a pull decides about each deal, to compare two pulls."""
    return {
        (d.ref.connection, d.ref.id): (
            d.name,
            d.account_name,
            d.amount,
            d.currency,
            d.stage,
            d.status,
            d.crm_stage_id,
            d.close_date,
            d.owner,
            d.deleted,
        )
        for d in store.iter_deals(connection, include_deleted=True)
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with open_store(f"sqlite:///{tmp_path / 'dealsync.db'}") as opened:
        yield opened
