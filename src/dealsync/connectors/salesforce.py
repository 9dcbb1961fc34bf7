"""The Salesforce connector: SOQL reads (REST, or Bulk API 2.0 for large pulls), sObject Collections writes.

Talks through ``simple-salesforce`` over a :class:`ConnectorSession`; every call passes one choke point,
:meth:`SalesforceConnector._call`, that translates errors, retries what is transient, and logs in again once
when the session expires.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from simple_salesforce.api import Salesforce
from simple_salesforce.bulk2 import ColumnDelimiter, LineEnding, Operation

from dealsync.canonical import Deal, StageInfo, StageMapper
from dealsync.config import SalesforceConnection
from dealsync.connectors.base import Cursor, FieldChange, Page, PullStats, Schema, WriteResult
from dealsync.connectors.http import ConnectorSession
from dealsync.connectors.ratelimit import RollingWindowLimiter
from dealsync.connectors.retry import RetryPolicy, call_with_retry
from dealsync.connectors.salesforce_auth import SalesforceSession, can_refresh, login
from dealsync.connectors.salesforce_errors import SessionExpired, translate
from dealsync.connectors.salesforce_map import (
    by_ids_query,
    changed_since_query,
    count_query,
    deleted_query,
    select_fields,
    soql_value,
    stage_info,
    to_deal,
)
from dealsync.errors import AuthError
from dealsync.logging import get_logger

T = TypeVar("T")
BATCH_HEADER = {"Sforce-Query-Options": "batchSize=2000"}
COLLECTION_LIMIT = 200
BULK_PAGE = 10_000  # records per Bulk API result page: bounds memory at a few MB of CSV per page
log = get_logger("dealsync.connectors.salesforce")


class SalesforceConnector:
    """One Salesforce org."""

    type = "salesforce"

    def __init__(self, config: SalesforceConnection, *, retry_policy: RetryPolicy | None = None) -> None:
        self.config = config
        self.name = config.name
        self.stats = PullStats()
        self.retry_policy = retry_policy or RetryPolicy()
        limit = config.rate_limit
        limiter = RollingWindowLimiter(limit.max_requests, limit.window_seconds) if limit else None
        self.session = ConnectorSession(ca_bundle=config.ca_bundle, limiter=limiter)
        self.mapper = StageMapper(config.name, "salesforce", config.stage_map, config.stage_write_map)
        self._auth: SalesforceSession | None = None
        self._client: Salesforce | None = None
        self._fields: list[str] = []

    # -- the choke point -------------------------------------------------------------------------------

    def _sf(self) -> Salesforce:
        if self._client is None:
            self._auth = call_with_retry(lambda: login(self.config, self.session), self.retry_policy)
            self._client = Salesforce(
                instance_url=self._auth.instance_url,
                session_id=self._auth.access_token,
                session=self.session,
                version=self.config.api_version,
                parse_float=Decimal,
            )
        return self._client

    def _call(self, operation: Callable[[Salesforce], T]) -> T:
        """Run one API call with retries; on INVALID_SESSION_ID log in again once, then give up clearly."""
        try:
            return call_with_retry(lambda: self._once(operation), self.retry_policy)
        except SessionExpired:
            if not can_refresh(self.config):
                raise AuthError(
                    f"the access token of Salesforce connection {self.name!r} expired or is invalid; "
                    "get a new one, or configure an OAuth login (client_id/client_secret) so dealsync can refresh"
                ) from None
        log.info("salesforce session expired; logging in again", connection=self.name)
        self._client = None
        try:
            return call_with_retry(lambda: self._once(operation), self.retry_policy)
        except SessionExpired:
            raise AuthError(
                f"Salesforce connection {self.name!r}: the session expired again right after a fresh login; "
                "check the connected app's session policies and the user's access"
            ) from None

    def _once(self, operation: Callable[[Salesforce], T]) -> T:
        try:
            return operation(self._sf())
        except Exception as exc:
            translated = translate(exc, self.name)
            if translated is exc:
                raise
            if not isinstance(translated, SessionExpired):
                self.stats.retries += 1
            raise translated from None
        finally:
            self.stats.requests = self.session.request_count

    # -- discovery ------------------------------------------------------------------------------------

    def discover(self) -> Schema:
        describe = self._call(lambda sf: _sobject(sf, "Opportunity").describe())
        fields = {str(f["name"]): f for f in describe["fields"]}
        health = fields.get(self.config.fields.health_score)
        multi_currency = "CurrencyIsoCode" in fields
        stages = self._stages()
        corporate, rates = self._currencies() if multi_currency else ("USD", {})
        self._fields = select_fields(fields, [self.config.fields.health_score])
        return Schema(
            stages=stages,
            fields=frozenset(fields),
            multi_currency=multi_currency,
            corporate_currency=corporate,
            fx_rates=rates,
            write_fields={"health_score": bool(health and health.get("updateable"))},
            details={"stage_field_updateable": bool(fields.get("StageName", {}).get("updateable"))},
        )

    def _stages(self) -> dict[str, StageInfo]:
        soql = (
            "SELECT ApiName, MasterLabel, IsActive, IsClosed, IsWon, DefaultProbability, SortOrder "
            "FROM OpportunityStage ORDER BY SortOrder"
        )
        rows = self._query_all(soql)
        return {info.id: info for info in map(stage_info, rows)}

    def _currencies(self) -> tuple[str, dict[str, Decimal]]:
        """Corporate currency and rates as corporate units per unit (Salesforce stores the inverse)."""
        soql = "SELECT IsoCode, ConversionRate, IsCorporate, IsActive FROM CurrencyType"
        rows = self._query_all(soql)
        corporate = next((str(r["IsoCode"]) for r in rows if r.get("IsCorporate")), "USD")
        rates = {str(r["IsoCode"]): 1 / Decimal(str(r["ConversionRate"])) for r in rows if r.get("ConversionRate")}
        return corporate, rates

    # -- reads ----------------------------------------------------------------------------------------

    def estimate(self, since: Cursor | None) -> int | None:
        soql = count_query(since.modified_at if since else None)
        return int(self._call(lambda sf: sf.query(soql))["totalSize"])

    def pull(self, schema: Schema, since: Cursor | None, until: datetime) -> Iterator[Page]:
        soql = changed_since_query(self._fields or select_fields(schema.fields), since.modified_at if since else None)
        estimated = self.estimate(since)
        if estimated is not None and estimated > self.config.bulk_threshold:
            yield from self._pull_bulk(schema, soql, until)
            return
        for records in self._query_pages(soql, include_deleted=False):
            deals = [self._to_deal(r, schema) for r in records]
            yield Page(deals=deals, cursor=_cursor_after(deals, until))

    def deleted(self, schema: Schema, since: Cursor | None, until: datetime) -> Iterator[Page]:  # noqa: ARG002
        soql = deleted_query(since.modified_at if since else None)
        for records in self._query_pages(soql, include_deleted=True):
            ids = [str(r["Id"]) for r in records]
            stamps = [(str(r["SystemModstamp"]), str(r["Id"])) for r in records]
            cursor = None
            if stamps:
                last_stamp, last_id = max(stamps)
                cursor = _capped(Cursor(_parse(last_stamp), last_id), until)
            yield Page(deals=[], cursor=cursor, stream="deleted", deleted_ids=ids)

    def _query_pages(self, soql: str, *, include_deleted: bool) -> Iterator[list[dict[str, Any]]]:
        result = self._call(lambda sf: sf.query(soql, include_deleted=include_deleted, headers=BATCH_HEADER))
        while True:
            self.stats.pages += 1
            records = result["records"]
            self.stats.records += len(records)
            yield records
            next_url = result.get("nextRecordsUrl")
            if result.get("done", True) or not next_url:
                return
            result = self._query_more(str(next_url))

    def _query_more(self, url: str) -> dict[str, Any]:
        return dict(self._call(lambda sf: sf.query_more(url, identifier_is_url=True, headers=BATCH_HEADER)))

    def _pull_bulk(self, schema: Schema, soql: str, until: datetime) -> Iterator[Page]:
        """Bulk API 2.0, streamed one result page at a time (each its own retried call).

        A job's results are a snapshot in no guaranteed order, so the cursor moves only with the last page.
        """
        job = self._call(lambda sf: _bulk_job(sf, soql.split(" ORDER BY ")[0]))
        newest: tuple[datetime, str] | None = None
        locator: str | None = ""
        while locator is not None:
            result = self._bulk_page(job, locator)
            locator = result["locator"] or None
            deals = [self._to_deal(_csv_record(row), schema) for row in csv.DictReader(io.StringIO(result["records"]))]
            self.stats.pages += 1
            self.stats.records += len(deals)
            newest = max([(d.modified_at, d.ref.id) for d in deals] + ([newest] if newest else []), default=None)
            final = locator is None and newest is not None
            yield Page(deals=deals, cursor=_capped(Cursor(*newest), until) if final and newest else None)

    def _bulk_page(self, job: str, locator: str) -> dict[str, Any]:
        return dict(self._call(lambda sf: _bulk_client(sf).get_query_results(job, locator, BULK_PAGE)))

    def _to_deal(self, record: Mapping[str, Any], schema: Schema) -> Deal:
        return to_deal(self.name, record, self.mapper, schema.stages, schema.corporate_currency)

    # -- writes ---------------------------------------------------------------------------------------

    def read(self, schema: Schema, ids: Sequence[str]) -> list[Deal]:
        """Current state of some deals, 200 per query (for re-reads before writing)."""
        fields = self._fields or select_fields(schema.fields)
        deals: list[Deal] = []
        for start in range(0, len(ids), COLLECTION_LIMIT):
            soql = by_ids_query(fields, ids[start : start + COLLECTION_LIMIT])
            records = self._query_all(soql)
            deals += [self._to_deal(r, schema) for r in records]
        return deals

    def _query_all(self, soql: str) -> list[dict[str, Any]]:
        return list(self._call(lambda sf: sf.query_all(soql))["records"])

    def _patch_collection(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        answer = self._call(lambda sf: sf.restful("composite/sobjects", method="PATCH", json=body))
        return list(answer or [])

    def apply(self, changes: Sequence[FieldChange]) -> list[WriteResult]:
        """sObject Collections PATCH, 200 records per call, only the changed fields."""
        by_record: dict[str, dict[str, Any]] = {}
        for change in changes:
            by_record.setdefault(change.record_id, {})[change.field] = soql_value(change.value)
        ids = list(by_record)
        results: list[WriteResult] = []
        for start in range(0, len(ids), COLLECTION_LIMIT):
            chunk = ids[start : start + COLLECTION_LIMIT]
            body = {
                "allOrNone": False,
                "records": [{"attributes": {"type": "Opportunity"}, "id": rid, **by_record[rid]} for rid in chunk],
            }
            answer = self._patch_collection(body)
            results += [_write_result(rid, item) for rid, item in zip(chunk, answer, strict=False)]
        return results

    def close(self) -> None:
        self.session.close()


def _sobject(sf: Salesforce, name: str) -> Any:
    """simple-salesforce builds sObject handles with ``__getattr__``, which mypy cannot see."""
    return getattr(sf, name)


def _bulk_client(sf: Salesforce) -> Any:
    """simple-salesforce's Bulk API 2.0 client, used a page at a time (its ``query`` helper hides the pages)."""
    bulk: Any = sf.bulk2
    return bulk.Opportunity._client


def _bulk_job(sf: Salesforce, soql: str) -> str:
    """Create a query job and wait for it to complete; the job id."""
    client = _bulk_client(sf)
    job = client.create_job(Operation.query, soql, ColumnDelimiter.COMMA, LineEnding.LF)
    client.wait_for_job(job["id"], True, 0.2)
    return str(job["id"])


def _write_result(record_id: str, item: Mapping[str, Any]) -> WriteResult:
    if item.get("success"):
        return WriteResult(record_id=record_id, ok=True)
    errors = item.get("errors") or [{}]
    first = errors[0]
    return WriteResult(
        record_id=record_id,
        ok=False,
        error_code=str(first.get("statusCode") or "UNKNOWN"),
        message=str(first.get("message") or "rejected without a message"),
    )


def _csv_record(row: Mapping[str, str]) -> dict[str, Any]:
    """A Bulk API CSV row as a REST-shaped record: empty cells are null, ``Account.Name`` is nested."""
    record: dict[str, Any] = {}
    for key, value in row.items():
        cell: Any = value if value != "" else None
        if cell in ("true", "false"):
            cell = cell == "true"
        parent, dot, child = key.partition(".")
        if dot:
            nested = record.setdefault(parent, {})
            if cell is not None:
                nested[child] = cell
        else:
            record[key] = cell
    for parent in [k for k, v in record.items() if v == {}]:
        record[parent] = None
    return record


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _capped(cursor: Cursor, until: datetime) -> Cursor:
    return cursor if cursor.modified_at <= until else Cursor(until, "")


def _cursor_after(deals: Sequence[Deal], until: datetime) -> Cursor | None:
    if not deals:
        return None
    last = deals[-1]
    return _capped(Cursor(last.modified_at, last.ref.id), until)
