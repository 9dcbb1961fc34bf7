"""``GET /account-info/v3/details``: the portal's id, time zone and currencies.

Docs: https://developers.hubspot.com/docs/api/settings/account-information-api (response fields portalId,
accountType, timeZone, companyCurrency, additionalCurrencies, utcOffset, utcOffsetMilliseconds, uiDomain,
dataHostingLocation).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from werkzeug.wrappers import Response

from dealsync.emulator.hubspot.context import Ctx
from dealsync.emulator.state import utc_now
from dealsync.emulator.wsgi import json_response


def details(ctx: Ctx) -> Response:
    portal = ctx.portal
    offset = utc_now().astimezone(ZoneInfo(portal.time_zone)).utcoffset()
    millis = int(offset.total_seconds() * 1000) if offset is not None else 0
    sign, minutes = ("-" if millis < 0 else "+"), abs(millis) // 60_000
    return json_response(
        {
            "portalId": portal.portal_id,
            "accountType": "STANDARD",
            "timeZone": portal.time_zone,
            "companyCurrency": portal.home_currency,
            "additionalCurrencies": sorted(c for c in portal.exchange_rates if c != portal.home_currency),
            "utcOffset": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
            "utcOffsetMilliseconds": millis,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }
    )
