"""The portal's company (home) currency and its exchange rates (Settings API, multicurrency).

Docs: https://developers.hubspot.com/docs/api/settings/currencies. hubspot-api-client 12 has no client for this
API, so callers use plain HTTP. Shapes follow the documented current version (served here under both the
legacy ``/settings/v3/currencies/...`` and the date-versioned ``/settings/currencies/2026-03/...`` paths):
company currency ``{id (the currency code), createdAt}``; exchange rate ``{id, fromCurrencyCode,
toCurrencyCode, conversionRate (a number: home-currency units per unit of fromCurrencyCode), effectiveAt,
visibleInUI, createdAt, updatedAt}``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.hubspot.params import bounded_int
from dealsync.emulator.state import HubSpotPortal
from dealsync.emulator.wsgi import json_response

Json = dict[str, Any]

SET_UP_AT = "2023-01-02T09:00:00.000Z"
RATES_MAX = 100


def rates(portal: HubSpotPortal) -> list[Json]:
    """One current exchange rate per non-home currency, ids stable across calls."""
    return [
        {
            "id": str(1_000_001 + position),
            "fromCurrencyCode": code,
            "toCurrencyCode": portal.home_currency,
            "conversionRate": rate,
            "effectiveAt": SET_UP_AT,
            "visibleInUI": True,
            "createdAt": SET_UP_AT,
            "updatedAt": SET_UP_AT,
        }
        for position, (code, rate) in enumerate(sorted(portal.exchange_rates.items()))
        if code != portal.home_currency
    ]


def company_currency(ctx: Ctx) -> Response:
    return json_response({"id": ctx.portal.home_currency, "createdAt": SET_UP_AT})


def exchange_rates(ctx: Ctx) -> Response:
    """Paged by ``limit``/``after``; filterable by ``fromCurrencyCode``/``toCurrencyCode``."""
    request = ctx.request
    limit = bounded_int(request.args.get("limit"), "limit", 10, RATES_MAX)
    found = [
        r
        for r in rates(ctx.portal)
        if request.args.get("fromCurrencyCode") in (None, r["fromCurrencyCode"])
        and request.args.get("toCurrencyCode") in (None, r["toCurrencyCode"])
    ]
    after = request.args.get("after")
    if after:
        found = [r for r in found if int(r["id"]) >= int(after)] if after.isdigit() else []
    body: Json = {"results": found[:limit]}
    if len(found) > limit:
        body["paging"] = {"next": {"after": found[limit]["id"]}}
    return json_response(body)


def current_exchange_rates(ctx: Ctx) -> Response:
    return json_response({"results": rates(ctx.portal)})
