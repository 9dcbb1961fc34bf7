"""The HubSpot connector: CRM v3 list and search reads, company names in batches, batch-update writes.

Module map (each piece is small and tested on its own)::

    hubspot.py            this facade: what to read and write, page by page
    hubspot_sdk.py        the only user of hubspot-api-client: client, models <-> plain data
    hubspot_transport.py  the choke point: token, rate limiters, call, translate, retry
    hubspot_auth.py       static token / OAuth refresh before expiry
    hubspot_errors.py     exceptions -> dealsync errors, in one table
    hubspot_search.py     incremental reads past the 10,000-result cap, every deal exactly once
    hubspot_map.py        pure mapping: deals, stages, owners, currencies, write values

Reads: a full pull (no cursor) walks the list endpoint, 100 deals per page, company ids inline. The list is in id
order, not modification order, so a cursor taken half-way would claim deals modified earlier but not read
yet; only the last page carries the cursor (the newest ``hs_lastmodifieddate`` read, capped at ``until``).
An incremental pull uses search on ``hs_lastmodifieddate`` ascending (see :mod:`hubspot_search`), so every page
carries its cursor. Account names come from one association read per search page and one companies batch read
per 100 unknown company ids, cached for the connector's life: never one call per deal.

Writes: the records are re-read in one batch read and each ``FieldChange.expected`` compared with the live value
before anything is sent (HubSpot has no If-Unmodified-Since); stale records are reported, not written. A
person's edit landing between that re-read and the write cannot be detected: HubSpot offers no conditional write.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dealsync.canonical import Deal, StageMapper
from dealsync.canonical.parsing import parse_timestamp
from dealsync.config import HubSpotConnection
from dealsync.connectors import hubspot_sdk as sdk
from dealsync.connectors.base import Cursor, FieldChange, Page, PullStats, Schema, WriteResult
from dealsync.connectors.hubspot_auth import TokenGrant, TokenSource
from dealsync.connectors.hubspot_errors import Refused
from dealsync.connectors.hubspot_map import (
    MapContext,
    RawDeal,
    epoch_ms,
    fx_rates,
    implied_rate,
    is_writable,
    owner_name,
    pipeline_labels,
    read_properties,
    same_value,
    stage_infos,
    to_deal,
    to_wire,
)
from dealsync.connectors.hubspot_search import MODIFIED, AfterTokens, Hit, count_query, modified_between
from dealsync.connectors.hubspot_transport import Send, Transport, WindowLimiter
from dealsync.connectors.retry import RetryPolicy
from dealsync.errors import ConfigError, FatalError, RetryableError
from dealsync.logging import get_logger

LIST_LIMIT = 100
BATCH_LIMIT = 100
REREAD_WINDOW = timedelta(seconds=5)
SPLITTABLE = frozenset({400, 409, 422})  # a batch refused whole for one bad input: bisect to find it
FX_FROM_DEALS = "derived-from-deals"
log = get_logger("dealsync.connectors.hubspot")


class HubSpotConnector:
    """One HubSpot portal."""

    type = "hubspot"

    def __init__(
        self,
        config: HubSpotConnection,
        *,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        apis: sdk.Apis | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.stats = PullStats()
        self.mapper = StageMapper(config.name, "hubspot", config.stage_map, config.stage_write_map)
        self._apis = apis
        self._company_names: dict[str, str | None] = {}
        auth = config.auth
        self.tokens = TokenSource(
            config.name,
            static_token=auth.access_token,
            exchange=None if auth.access_token is not None else self._exchange,
            clock=clock,
        )
        limit, search = config.rate_limit, config.search_rate_limit
        self.transport = Transport(
            config.name,
            tokens=self.tokens,
            limiter=WindowLimiter(limit.max_requests, limit.window_seconds, clock=clock, sleep=sleep),
            search_limiter=WindowLimiter(search.max_requests, search.window_seconds, clock=clock, sleep=sleep),
            policy=retry_policy or RetryPolicy(),
            stats=self.stats,
            sleep=sleep,
        )

    @property
    def apis(self) -> sdk.Apis:
        if self._apis is None:
            self._apis = sdk.build_apis(self.config)
        return self._apis

    def _send(self, send: Send, *, search: bool = False) -> Any:
        return self.transport.call(send, search=search)

    def _exchange(self) -> TokenGrant:
        """``POST {base_url}/oauth/v1/token`` with ``grant_type=refresh_token`` (secrets read only here)."""
        auth = self.config.auth
        secret, refresh = auth.client_secret, auth.refresh_token
        if secret is None or refresh is None:
            raise ConfigError(f"connections[{self.name}].auth needs client_secret and refresh_token for OAuth")
        answer = self.transport.call(
            lambda kw: self.apis.tokens.create_with_http_info(
                grant_type="refresh_token",
                client_id=auth.client_id,
                client_secret=secret.get_secret_value(),
                refresh_token=refresh.get_secret_value(),
                **kw,
            ),
            auth=False,
        )
        return TokenGrant(str(answer.access_token), float(answer.expires_in or 0))

    # -- discovery ----------------------------------------------------------------------------------------------

    def discover(self) -> Schema:
        pipelines = [p.to_dict() for p in sdk.objects(self._send(self._pipelines_call))]
        wanted = self._pipeline_filter(pipelines)
        properties = {str(d["name"]): d for d in (p.to_dict() for p in sdk.objects(self._send(self._properties_call)))}
        health = properties.get(self.config.fields.health_score)
        home, zone, rates, fx_source = self._currencies()
        return Schema(
            stages=stage_infos(pipelines, wanted),
            fields=frozenset(properties),
            multi_currency=len(rates) > 1,
            corporate_currency=home,
            fx_rates=rates,
            write_fields={"health_score": health is not None and is_writable(health)},
            pipelines=pipeline_labels(pipelines, wanted),
            details={
                "owners": self._owners(),
                "time_zone": zone,
                "fx_source": fx_source,
                "health_score_property": self.config.fields.health_score if health else None,
            },
        )

    def _pipelines_call(self, kw: dict[str, Any]) -> Any:
        return self.apis.pipelines.get_all_with_http_info(object_type="deals", **kw)

    def _properties_call(self, kw: dict[str, Any]) -> Any:
        return self.apis.properties.get_all_with_http_info(object_type="deals", archived=False, **kw)

    def _pipeline_filter(self, pipelines: list[dict[str, Any]]) -> set[str] | None:
        if not self.config.pipelines:
            return None
        known = {str(p.get("id")) for p in pipelines}
        unknown = sorted(set(self.config.pipelines) - known)
        if unknown:
            raise ConfigError(
                f"connections[{self.name}].pipelines names {', '.join(unknown)}, which HubSpot does not list; "
                f"known pipeline ids: {', '.join(sorted(known))}"
            )
        return set(self.config.pipelines)

    def _owners(self) -> dict[str, str]:
        names: dict[str, str] = {}
        tokens, after = AfterTokens("owners"), None
        while True:
            page = self._owner_page(after)
            names.update({str(o.id): owner_name(o.to_dict()) for o in sdk.objects(page)})
            after = tokens.next(sdk.next_after(page))
            if after is None:
                return names

    def _owner_page(self, after: str | None) -> Any:
        return self._send(
            lambda kw: self.apis.owners.get_page_with_http_info(limit=100, after=after, archived=False, **kw)
        )

    def _currencies(self) -> tuple[str, str | None, dict[str, Decimal], str]:
        """Home currency, time zone and rates: account-info, then the currencies API; else derive from deals."""
        info = self._optional_json("/account-info/v3/details") or {}
        home = info.get("companyCurrency")
        if not home:
            company = self._optional_json("/settings/v3/currencies/company-currency") or {}
            home = company.get("currencyCode") or company.get("id")
        current = self._optional_json("/settings/v3/currencies/exchange-rates/current")
        home = str(home or "USD")
        if current is None:
            log.warning(
                "hubspot exchange rates unavailable; deriving them from amount_in_home_currency", connection=self.name
            )
            return home, info.get("timeZone"), {home: Decimal(1)}, FX_FROM_DEALS
        return home, info.get("timeZone"), fx_rates(home, current.get("results") or []), "currencies-api"

    def _optional_json(self, path: str) -> dict[str, Any] | None:
        """GET a JSON endpoint the SDK has no client for; None when the portal (or emulator) lacks it."""
        try:
            data = self._send(lambda kw: sdk.get_json(self.apis, path, **kw))
        except Refused as exc:
            if exc.status in (403, 404):
                log.info("hubspot endpoint unavailable", connection=self.name, path=path, status=exc.status)
                return None
            raise
        return data if isinstance(data, dict) else None

    # -- reads ----------------------------------------------------------------------------------------------------

    def estimate(self, since: Cursor | None) -> int | None:
        """HubSpot's own count of the deals a pull from ``since`` would read (one search request)."""
        lower = None if since is None else epoch_ms(since.modified_at - REREAD_WINDOW)
        return int(self._search_answer(count_query(lower)).total or 0)

    def pull(self, schema: Schema, since: Cursor | None, until: datetime) -> Iterator[Page]:
        """A full list read (``since`` None) or a search from ``since`` minus a 5 s re-read window."""
        started, before = time.monotonic(), replace(self.stats)
        try:
            if since is None:
                yield from self._pull_list(schema, until)
            else:
                yield from self._pull_search(schema, since, until)
        finally:
            log.info(
                "hubspot pull",
                connection=self.name,
                mode="full" if since is None else "incremental",
                pages=self.stats.pages - before.pages,
                records=self.stats.records - before.records,
                requests=self.stats.requests - before.requests,
                retries=self.stats.retries - before.retries,
                seconds=round(time.monotonic() - started, 2),
            )

    def _pull_list(self, schema: Schema, until: datetime) -> Iterator[Page]:
        """Every live deal, 100 per page, with company names read in full batches of 100.

        A list read is in id order, not modified order, so only the last page carries the cursor; the pages
        before it can be held back until their companies fill a whole batch read (the lower bound of calls is
        ceil(deals/100) + ceil(companies/100)).
        """
        tokens, after = AfterTokens("the deal list"), None
        newest: Cursor | None = None
        held: list[list[RawDeal]] = []
        while True:
            page = self._list_page(after, self._properties(schema), archived=False)
            raws = [sdk.raw_deal(o) for o in sdk.objects(page)]
            newest = _newest(newest, raws)
            after = tokens.next(sdk.next_after(page))
            held.append(raws)
            if after is None:
                self._resolve_companies({c for raws in held for r in raws for c in r.company_ids})
                for index, ready in enumerate(held):
                    cursor = _capped(newest, until) if index == len(held) - 1 else None
                    yield self._page(self._deals(ready, schema), cursor)
                return
            held = yield from self._release_full_batches(held, schema)

    def _release_full_batches(
        self, held: list[list[RawDeal]], schema: Schema
    ) -> Generator[Page, None, list[list[RawDeal]]]:
        """Read whole batches of unknown companies (oldest pages first); yield the pages now fully named."""
        unknown = list(
            dict.fromkeys(c for raws in held for r in raws for c in r.company_ids if c not in self._company_names)
        )
        whole = len(unknown) - len(unknown) % BATCH_LIMIT
        if whole:
            self._resolve_companies(set(unknown[:whole]))
        still: list[list[RawDeal]] = []
        for raws in held:
            if all(c in self._company_names for r in raws for c in r.company_ids):
                yield self._page(self._deals(raws, schema), None)
            else:
                still.append(raws)
        return still

    def _list_page(self, after: str | None, properties: list[str], *, archived: bool) -> Any:
        associations = None if archived else ["companies"]
        return self._send(
            lambda kw: self.apis.deals.get_page_with_http_info(
                limit=LIST_LIMIT, after=after, properties=properties, associations=associations, archived=archived, **kw
            )
        )

    def _pull_search(self, schema: Schema, since: Cursor, until: datetime) -> Iterator[Page]:
        lower, upper = epoch_ms(since.modified_at - REREAD_WINDOW), epoch_ms(until)
        newest: Cursor | None = None
        for hits in modified_between(self._search, lower, upper, self._properties(schema)):
            if not hits:
                continue
            raws = [hit.record for hit in hits]
            companies = self._associations([r.id for r in raws])
            deals = self._deals([replace(r, company_ids=companies.get(r.id, ())) for r in raws], schema)
            newest = _newest(newest, raws)
            yield self._page(deals, _capped(newest, until))

    def _search(self, body: dict[str, Any]) -> list[Hit]:
        raws = [sdk.raw_deal(o) for o in sdk.objects(self._search_answer(body))]
        return [Hit(r.id, _modified_ms(r), r) for r in raws]

    def _search_answer(self, body: dict[str, Any]) -> Any:
        request = sdk.search_request(body)
        return self._send(
            lambda kw: self.apis.deals_search.do_search_with_http_info(public_object_search_request=request, **kw),
            search=True,
        )

    def deleted(self, schema: Schema, since: Cursor | None, until: datetime) -> Iterator[Page]:  # noqa: ARG002
        """Archived deals, a full sweep every time: archiving does not change ``hs_lastmodifieddate``."""
        tokens, after = AfterTokens("archived deals"), None
        context = self._context(schema)
        while True:
            page = self._list_page(after, self._properties(schema), archived=True)
            deals = [to_deal(sdk.raw_deal(o), context) for o in sdk.objects(page)]
            if deals:
                self.stats.pages += 1
                self.stats.records += len(deals)
                yield Page(deals=deals, cursor=None, stream="deleted", deleted_ids=[d.ref.id for d in deals])
            after = tokens.next(sdk.next_after(page))
            if after is None:
                return

    def read(self, schema: Schema, ids: Sequence[str]) -> list[Deal]:
        """The current state of some deals (100 per batch read), with their account names."""
        deals: list[Deal] = []
        for chunk in _chunks(list(dict.fromkeys(ids)), BATCH_LIMIT):
            answer = self._batch_read(chunk, self._properties(schema))
            raws = [sdk.raw_deal(o) for o in sdk.objects(answer)]
            companies = self._associations([r.id for r in raws])
            deals += self._deals([replace(r, company_ids=companies.get(r.id, ())) for r in raws], schema)
        return deals

    def _page(self, deals: list[Deal], cursor: Cursor | None) -> Page:
        self.stats.pages += 1
        self.stats.records += len(deals)
        return Page(deals=deals, cursor=cursor)

    def _properties(self, schema: Schema) -> list[str]:
        health = self.config.fields.health_score
        return read_properties([health] if health in schema.fields else [])

    def _deals(self, raws: list[RawDeal], schema: Schema) -> list[Deal]:
        wanted = set(self.config.pipelines) if self.config.pipelines else None
        kept = [r for r in raws if wanted is None or r.properties.get("pipeline") in wanted]
        self._resolve_companies({c for r in kept for c in r.company_ids})
        context = self._context(schema)
        deals = [to_deal(r, context) for r in kept]
        if schema.details.get("fx_source") == FX_FROM_DEALS:
            _learn_rates(schema, kept)
        return deals

    def _context(self, schema: Schema) -> MapContext:
        return MapContext(
            connection=self.name,
            mapper=self.mapper,
            stages=schema.stages,
            home_currency=schema.corporate_currency,
            owners=schema.details.get("owners") or {},
            company_names=self._company_names,
            time_zone=_zone(schema.details.get("time_zone")),
        )

    # -- companies ------------------------------------------------------------------------------------------------

    def _associations(self, deal_ids: list[str]) -> dict[str, tuple[str, ...]]:
        """Deal id -> company ids, one v4 batch read (up to 1,000 ids) per call."""
        found: dict[str, tuple[str, ...]] = {}
        for chunk in _chunks(deal_ids, 1000):
            found.update(sdk.associated_companies(self._association_read(chunk)))
        return found

    def _association_read(self, ids: list[str]) -> Any:
        return self._send(
            lambda kw: self.apis.associations.get_page_with_http_info(
                from_object_type="deals",
                to_object_type="companies",
                batch_input_public_fetch_associations_batch_request=sdk.association_batch_read(ids),
                **kw,
            )
        )

    def _resolve_companies(self, company_ids: set[str]) -> None:
        """Names of companies not cached yet, 100 per batch read; missing companies are cached as None."""
        unknown = sorted(company_ids - self._company_names.keys())
        for chunk in _chunks(unknown, BATCH_LIMIT):
            names = {str(o.id): (o.properties or {}).get("name") for o in sdk.objects(self._company_read(chunk))}
            self._company_names.update({i: names.get(i) for i in chunk})

    def _company_read(self, ids: list[str]) -> Any:
        return self._send(
            lambda kw: self.apis.companies_batch.read_with_http_info(
                batch_read_input_simple_public_object_id=sdk.company_batch_read(ids), archived=False, **kw
            )
        )

    # -- writes ---------------------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[FieldChange]) -> list[WriteResult]:
        """Batch updates of only the changed properties, after a re-read that refuses stale records."""
        by_record: dict[str, dict[str, FieldChange]] = {}
        for change in changes:
            by_record.setdefault(change.record_id, {})[change.field] = change
        results: dict[str, WriteResult] = {}
        for chunk in _chunks(list(by_record), BATCH_LIMIT):
            try:
                results.update(self._apply_chunk(chunk, by_record))
            except (RetryableError, Refused) as exc:
                # HubSpot unreachable after every retry, or the write refused whole (a missing scope): keep what
                # earlier batches wrote, report the rest with the reason, and send nothing more.
                code = exc.code if isinstance(exc, RetryableError) else exc.category
                for rid in by_record:
                    results.setdefault(rid, WriteResult(rid, False, code or "UNAVAILABLE", f"not written: {exc}"))
                break
        return [results[rid] for rid in by_record]

    def _apply_chunk(
        self, chunk: list[str], by_record: Mapping[str, Mapping[str, FieldChange]]
    ) -> dict[str, WriteResult]:
        """Re-read up to 100 records, refuse the stale ones, send the rest in one batch update."""
        fields = sorted({f for rid in chunk for f in by_record[rid]})
        current = {str(o.id): dict(o.properties or {}) for o in sdk.objects(self._batch_read(chunk, fields))}
        results: dict[str, WriteResult] = {}
        updates: dict[str, dict[str, str]] = {}
        for rid in chunk:
            verdict = _check(rid, by_record[rid], current.get(rid))
            if isinstance(verdict, WriteResult):
                results[rid] = verdict
            elif verdict:
                updates[rid] = verdict
            else:
                results[rid] = WriteResult(rid, ok=True)  # already holds every target value
        results.update(self._update(updates))
        return results

    def _batch_read(self, ids: list[str], properties: list[str]) -> Any:
        return self._send(
            lambda kw: self.apis.deals_batch.read_with_http_info(
                batch_read_input_simple_public_object_id=sdk.deal_batch_read(ids, properties), archived=False, **kw
            )
        )

    def _update(self, updates: dict[str, dict[str, str]]) -> dict[str, WriteResult]:
        """One batch update (idempotent, so retried); a batch refused whole is bisected to its bad input."""
        if not updates:
            return {}
        try:
            answer = self._send(
                lambda kw: self.apis.deals_batch.update_with_http_info(
                    batch_input_simple_public_object_batch_input=sdk.deal_batch_update(updates), **kw
                )
            )
        except Refused as exc:
            if exc.status not in SPLITTABLE:
                raise
            if len(updates) == 1:
                return {rid: WriteResult(rid, False, exc.category, str(exc)) for rid in updates}
            ids = list(updates)
            half = len(ids) // 2
            return {
                **self._update({i: updates[i] for i in ids[:half]}),
                **self._update({i: updates[i] for i in ids[half:]}),
            }
        return _write_results(list(updates), answer)

    def create_write_fields(self, schema: Schema) -> list[str]:
        """Create the health-score deal property when it is missing; the names of what was created.

        ``POST /crm/v3/properties/deals`` (https://developers.hubspot.com/docs/api/crm/properties): a number
        property in the default ``dealinformation`` group. Needs the ``crm.schemas.deals.write`` scope.
        """
        name = self.config.fields.health_score
        if schema.write_fields.get("health_score") or name in schema.fields:
            return []
        create = sdk.health_score_property(name)
        self._send(
            lambda kw: self.apis.properties.create_with_http_info(object_type="deals", property_create=create, **kw)
        )
        return [name]

    def close(self) -> None:
        if self._apis is not None:
            sdk.close_apis(self._apis)


def _check(
    record_id: str, changes: Mapping[str, FieldChange], current: Mapping[str, Any] | None
) -> WriteResult | dict[str, str]:
    """A refusal (gone, or changed since read), or the properties still to send (empty: nothing to do)."""
    if current is None:
        return WriteResult(
            record_id,
            False,
            "OBJECT_NOT_FOUND",
            f"deal {record_id} no longer exists in HubSpot (deleted or archived); nothing written",
        )
    send: dict[str, str] = {}
    for name, change in changes.items():
        now = current.get(name)
        if same_value(now, change.value):
            continue
        if not same_value(now, change.expected):
            return WriteResult(
                record_id,
                False,
                "STALE",
                f"{name} of deal {record_id} changed in HubSpot since dealsync read it (read "
                f"{change.expected!r}, now {now!r}); nothing written: pull again to re-plan",
            )
        send[name] = to_wire(change.value)
    return send


def _write_results(ids: list[str], answer: Any) -> dict[str, WriteResult]:
    done = {str(o.id) for o in sdk.objects(answer)}
    results = {rid: WriteResult(rid, ok=True) for rid in ids if rid in done}
    for error in sdk.batch_errors(answer):
        for rid in error.ids or [i for i in ids if i not in done]:
            results[rid] = WriteResult(rid, False, error.category, error.message)
    for rid in ids:
        results.setdefault(rid, WriteResult(rid, False, "NO_RESULT", "HubSpot returned no result for this record"))
    return results


def _newest(current: Cursor | None, raws: Sequence[RawDeal]) -> Cursor | None:
    """The newest ``(hs_lastmodifieddate, id)`` read, counting deals the pipeline filter then drops."""
    for raw in raws:
        stamp = _modified(raw)
        if stamp is not None and (current is None or (stamp, raw.id) > (current.modified_at, current.last_id)):
            current = Cursor(stamp, raw.id)
    return current


def _capped(cursor: Cursor | None, until: datetime) -> Cursor:
    """Never past the run's start; after reading nothing, ``until`` itself (everything before it was read)."""
    if cursor is None or cursor.modified_at > until:
        return Cursor(until, "")
    return cursor


def _modified(raw: RawDeal) -> datetime | None:
    try:
        stamp = parse_timestamp(raw.properties.get(MODIFIED))
    except ValueError:
        stamp = None
    return stamp if stamp is not None else raw.updated_at


def _modified_ms(raw: RawDeal) -> int:
    stamp = _modified(raw)
    if stamp is None:
        raise FatalError(f"HubSpot search returned deal {raw.id} without {MODIFIED}; cannot order the read")
    return epoch_ms(stamp)


def _learn_rates(schema: Schema, raws: Sequence[RawDeal]) -> None:
    """Fallback when the currencies API is unavailable: fill the schema's rates from the deals' own conversions."""
    rates = schema.fx_rates
    if not isinstance(rates, dict):
        return
    for raw in raws:
        code = (raw.properties.get("deal_currency_code") or "").strip().upper()
        if code and code not in rates:
            rate = implied_rate(raw.properties)
            if rate is not None:
                rates[code] = rate


def _zone(name: Any) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
