"""Edits by "a person" in the HubSpot UI, made just after an API read served the deal (concurrent-edit faults).

The fault injector picks which of the served deals are edited; this module makes the edit: a new deal name, a
changed amount or a moved close date, stamped with a fresh ``hs_lastmodifieddate`` and recorded in history
with ``sourceType`` ``CRM_UI``, as a sales rep's change would be.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

from dealsync.emulator.hubspot.index import PortalIndex
from dealsync.emulator.hubspot.serialize import format_number, iso_ms, now_ms, parse_instant, parse_number
from dealsync.emulator.hubspot.writes import apply
from dealsync.emulator.state import HubSpotObject

EDITABLE = ("amount", "closedate", "dealname")
RENAMES = (" (renewal)", " - revised", " (expanded)", " - phase 2")


class PersonEditor:
    """Deterministic (seeded) UI edits."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed * 7919 + 17)
        self._lock = threading.Lock()

    def edit(self, index: PortalIndex, ids: list[str]) -> None:
        with index.portal.lock:
            for deal_id in ids:
                deal = index.portal.deals.get(deal_id)
                if deal is not None and not deal.archived:
                    owner = deal.properties.get("hubspot_owner_id") or "1"
                    apply(
                        index,
                        deal,
                        self.change(deal),
                        now_ms(),
                        {"sourceType": "CRM_UI", "sourceId": f"userId:{owner}"},
                    )

    def change(self, deal: HubSpotObject) -> dict[str, str | None]:
        with self._lock:
            field = self._rng.choice(EDITABLE)
            factor, days, suffix = self._rng.uniform(0.8, 1.3), self._rng.randint(7, 45), self._rng.choice(RENAMES)
        props = deal.properties
        if field == "amount":
            amount = parse_number(props.get("amount") or "") or 10_000.0
            return {"amount": format_number(round(amount * factor))}
        if field == "closedate":
            current = parse_instant(props.get("closedate") or "") or now_ms()
            return {"closedate": iso_ms(current + timedelta(days=days))}
        name = props.get("dealname") or f"Deal {deal.id}"
        return {"dealname": name + suffix}
