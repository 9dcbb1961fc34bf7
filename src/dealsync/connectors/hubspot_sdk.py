"""The only module that touches hubspot-api-client: building the client, and its models to and from plain data.

The SDK builds a new ``ApiClient`` (and a new urllib3 pool) every time an API attribute such as
``client.crm.deals.basic_api`` is read, so :func:`build_apis` reads each API once and keeps it. urllib3's own
retries are off (``Retry(total=0)``), so a failure surfaces at once and dealsync's tenacity layer is the only
one that retries; the CA bundle of the connection, when set, is the only CA trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hubspot import HubSpot
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest as AssociationBatchRead
from hubspot.crm.associations.v4 import PublicFetchAssociationsBatchRequest as AssociationInput
from hubspot.crm.companies import BatchReadInputSimplePublicObjectId as CompanyBatchRead
from hubspot.crm.companies import SimplePublicObjectId as CompanyId
from hubspot.crm.deals import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
)
from urllib3.util.retry import Retry

from dealsync.config import HubSpotConnection
from dealsync.connectors.hubspot_map import RawDeal, company_ids_v3, company_ids_v4


@dataclass(frozen=True)
class Apis:
    """Each SDK API object the connector uses, built once."""

    deals: Any
    deals_batch: Any
    deals_search: Any
    companies_batch: Any
    associations: Any
    pipelines: Any
    properties: Any
    owners: Any
    tokens: Any

    def all(self) -> list[Any]:
        return [getattr(self, name) for name in self.__dataclass_fields__]


def build_apis(config: HubSpotConnection) -> Apis:
    options: dict[str, Any] = {"retry": Retry(total=0, raise_on_status=False), "host": config.base_url.rstrip("/")}
    if config.ca_bundle is not None:
        options["ssl_ca_cert"] = str(config.ca_bundle)
    client = HubSpot(**options)
    crm = client.crm
    return Apis(
        deals=crm.deals.basic_api,
        deals_batch=crm.deals.batch_api,
        deals_search=crm.deals.search_api,
        companies_batch=crm.companies.batch_api,
        associations=crm.associations.v4.batch_api,
        pipelines=crm.pipelines.pipelines_api,
        properties=crm.properties.core_api,
        owners=crm.owners.owners_api,
        tokens=client.oauth.tokens_api,
    )


def close_apis(apis: Apis) -> None:
    for api in apis.all():
        client = getattr(api, "api_client", None)
        if client is None:
            continue
        pool = getattr(getattr(client, "rest_client", None), "pool_manager", None)
        if pool is not None:
            pool.clear()
        client.close()


def get_json(apis: Apis, path: str, **kwargs: Any) -> Any:
    """GET a JSON endpoint hubspot-api-client has no API class for (account info, currencies), through one of its
    clients, so host, CA, retries and auth are the same as every other call. Returns ``(data, status, headers)``."""
    return apis.deals.api_client.call_api(
        path,
        "GET",
        {},
        [],
        {"Accept": "application/json"},
        response_types_map={200: "object"},
        auth_settings=["oauth2"],
        _return_http_data_only=False,
        **kwargs,
    )


# -- models -> plain data -----------------------------------------------------------------------------------------


def raw_deal(obj: Any) -> RawDeal:
    """A deal object of a list, search or batch read (inline v3 associations when asked for)."""
    return RawDeal(
        id=str(obj.id),
        properties=dict(obj.properties or {}),
        company_ids=company_ids_v3(_inline_companies(obj)),
        created_at=_aware(getattr(obj, "created_at", None)),
        updated_at=_aware(getattr(obj, "updated_at", None)),
        archived=bool(getattr(obj, "archived", False)),
    )


def _inline_companies(obj: Any) -> list[tuple[str, str | None]]:
    associations = getattr(obj, "associations", None) or {}
    companies = associations.get("companies") if isinstance(associations, dict) else None
    results = getattr(companies, "results", None) or []
    return [(str(a.id), getattr(a, "type", None)) for a in results]


def associated_companies(answer: Any) -> dict[str, tuple[str, ...]]:
    """Deal id -> company ids (primary first) from a v4 ``batch/read`` answer (200 or 207)."""
    found: dict[str, tuple[str, ...]] = {}
    for result in getattr(answer, "results", None) or []:
        targets = [
            (str(t.to_object_id), [getattr(a, "type_id", None) for a in t.association_types or []])
            for t in result.to or []
        ]
        found[str(result._from.id)] = company_ids_v4(targets)
    return found


def next_after(page: Any) -> str | None:
    paging = getattr(page, "paging", None)
    following = getattr(paging, "next", None)
    after = getattr(following, "after", None)
    return None if after in (None, "") else str(after)


def objects(answer: Any) -> list[Any]:
    return list(getattr(answer, "results", None) or [])


@dataclass(frozen=True)
class BatchError:
    category: str
    message: str
    ids: tuple[str, ...]


def batch_errors(answer: Any) -> list[BatchError]:
    """The per-input errors of a 207 answer (``errors[].context.ids`` names the records)."""
    out = []
    for error in getattr(answer, "errors", None) or []:
        context = getattr(error, "context", None) or {}
        ids = tuple(str(i) for i in context.get("ids", []) or []) if isinstance(context, dict) else ()
        out.append(BatchError(str(error.category or "ERROR"), str(error.message or "rejected"), ids))
    return out


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# -- plain data -> models -----------------------------------------------------------------------------------------


def search_request(body: dict[str, Any]) -> Any:
    """A search body as built by :mod:`hubspot_search` (camelCase) as the SDK's request model."""
    return PublicObjectSearchRequest(
        filter_groups=body.get("filterGroups"),
        sorts=body.get("sorts"),
        properties=body.get("properties"),
        limit=body.get("limit"),
        after=body.get("after"),
    )


def deal_batch_read(ids: Iterable[str], properties: Sequence[str]) -> Any:
    return BatchReadInputSimplePublicObjectId(
        properties=list(properties), properties_with_history=[], inputs=[SimplePublicObjectId(id=i) for i in ids]
    )


def company_batch_read(ids: Iterable[str]) -> Any:
    return CompanyBatchRead(properties=["name"], properties_with_history=[], inputs=[CompanyId(id=i) for i in ids])


def association_batch_read(ids: Iterable[str]) -> Any:
    return AssociationBatchRead(inputs=[AssociationInput(id=i) for i in ids])


def deal_batch_update(updates: dict[str, dict[str, str]]) -> Any:
    return BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=rid, properties=props) for rid, props in updates.items()]
    )


def health_score_property(name: str) -> Any:
    """The deal property dealsync writes health scores to: an integer 0-100."""
    from hubspot.crm.properties import PropertyCreate

    return PropertyCreate(
        name=name,
        label="Dealsync health score",
        type="number",
        field_type="number",
        group_name="dealinformation",
        description="Deal health 0-100 written by dealsync (higher is healthier).",
    )
