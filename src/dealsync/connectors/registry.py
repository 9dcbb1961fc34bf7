"""Connector classes by config ``type``: an explicit dict, so adding a CRM is one line here."""

from __future__ import annotations

from collections.abc import Callable

from dealsync.config import HubSpotConnection, SalesforceConnection
from dealsync.connectors.base import Connector
from dealsync.connectors.retry import RetryPolicy
from dealsync.errors import ConfigError


def _salesforce(config: SalesforceConnection | HubSpotConnection, policy: RetryPolicy | None) -> Connector:
    from dealsync.connectors.salesforce import SalesforceConnector

    if not isinstance(config, SalesforceConnection):
        raise ConfigError(f"connection {config.name!r} is not a Salesforce connection")
    return SalesforceConnector(config, retry_policy=policy)


def _hubspot(config: SalesforceConnection | HubSpotConnection, policy: RetryPolicy | None) -> Connector:
    from dealsync.connectors.hubspot import HubSpotConnector

    if not isinstance(config, HubSpotConnection):
        raise ConfigError(f"connection {config.name!r} is not a HubSpot connection")
    return HubSpotConnector(config, retry_policy=policy)


Factory = Callable[[SalesforceConnection | HubSpotConnection, RetryPolicy | None], Connector]
CONNECTORS: dict[str, Factory] = {"salesforce": _salesforce, "hubspot": _hubspot}


def open_connector(config: SalesforceConnection | HubSpotConnection, policy: RetryPolicy | None = None) -> Connector:
    """The connector for ``config.type`` (vendor SDKs are imported only when used)."""
    try:
        factory = CONNECTORS[config.type]
    except KeyError:
        raise ConfigError(f"no connector for type {config.type!r}; known: {', '.join(CONNECTORS)}") from None
    return factory(config, policy)
