"""REST ``query`` / ``queryAll`` with server-side cursors.

Query resource: https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query
QueryAll resource: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm
Batch size header: https://developer.salesforce.com/docs/platform/api-rest/guide/headers-queryoptions.html

The matching rows are materialised once per query (their ids, in result order); each page formats a slice of
them from the live rows. ``nextRecordsUrl`` is ``/services/data/vXX.X/query/<locator>-<offset>`` (``queryAll/``
for queryAll) and appears only while ``done`` is false.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from dealsync.emulator.salesforce.errors import SalesforceError
from dealsync.emulator.salesforce.evaluate import CompiledQuery, compile_query
from dealsync.emulator.salesforce.records import JsonProjection
from dealsync.emulator.salesforce.schema import OrgSchema
from dealsync.emulator.salesforce.soql import parse
from dealsync.emulator.state import SalesforceOrg

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_BATCH = 2000
CURSOR_CAP = 256
CURSOR_IDLE_SECONDS = 15 * 60
_BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_ALPHANUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def batch_size(header: str | None) -> int:
    """``Sforce-Query-Options: batchSize=N``: clamped to the documented 200..2000, default 2000."""
    match = _BATCH_OPTION.search(header or "")
    if not match:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(MAX_BATCH, int(match.group(1))))


def compile_soql(org: SalesforceOrg, soql: str) -> CompiledQuery:
    return compile_query(parse(soql), OrgSchema(org), org.tables)


@dataclass
class Cursor:
    org: SalesforceOrg
    compiled: CompiledQuery
    ids: list[str]
    batch: int
    version: str
    endpoint: str  # query | queryAll
    touched: float = field(default_factory=time.monotonic)


@dataclass
class Page:
    body: str
    ids: list[str]  # the record ids on this page (for person edits)
    object_name: str


class QueryService:
    """Runs queries and serves their pages; keeps a bounded set of open cursors."""

    def __init__(self) -> None:
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def first_page(
        self, org: SalesforceOrg, soql: str | None, *, include_deleted: bool, version: str, batch: int
    ) -> Page:
        if soql is None:
            raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
        if not soql.strip():
            raise SalesforceError(400, "MALFORMED_QUERY", "SOQL statements cannot be empty or null")
        with org.lock:
            compiled = compile_soql(org, soql)
            rows = compiled.select(include_deleted)
            if compiled.is_count:
                body = {"totalSize": len(rows), "done": True, "records": []}
                return Page(json.dumps(body, separators=(",", ":")), [], compiled.obj.name)
            endpoint = "queryAll" if include_deleted else "query"
            cursor = Cursor(org, compiled, [row["Id"] for row in rows], batch, version, endpoint)
            return self._page(cursor, self._new_locator(cursor), 0)

    def next_page(self, org: SalesforceOrg, token: str) -> Page:
        locator, _, offset_text = token.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(locator)
            if cursor is not None:
                self._cursors.move_to_end(locator)
        if cursor is None or cursor.org is not org or not offset_text.isdigit():
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        cursor.touched = time.monotonic()
        with org.lock:
            return self._page(cursor, locator, int(offset_text))

    def _page(self, cursor: Cursor, locator: str, offset: int) -> Page:
        ids = cursor.ids[offset : offset + cursor.batch]
        table = cursor.org.tables.get(cursor.compiled.obj.name, {})
        rows = [row for row in (table.get(i) for i in ids) if row is not None]
        projection = JsonProjection(cursor.compiled.obj, cursor.compiled.columns, cursor.version)
        end = offset + len(ids)
        head: dict[str, object] = {"totalSize": len(cursor.ids), "done": end >= len(cursor.ids)}
        if end < len(cursor.ids):
            head["nextRecordsUrl"] = f"/services/data/v{cursor.version}/{cursor.endpoint}/{locator}-{end}"
        records = ",".join(projection.json_records(rows, cursor.org.tables))
        body = json.dumps(head, separators=(",", ":"))[:-1] + ',"records":[' + records + "]}"
        return Page(body, [row["Id"] for row in rows], cursor.compiled.obj.name)

    def _new_locator(self, cursor: Cursor) -> str:
        locator = "01g" + "".join(secrets.choice(_ALPHANUM) for _ in range(15))
        now = time.monotonic()
        with self._lock:
            # idle ones, and those from before a reset
            stale = [
                k for k, c in self._cursors.items() if now - c.touched > CURSOR_IDLE_SECONDS or c.org is not cursor.org
            ]
            for key in stale:
                del self._cursors[key]
            self._cursors[locator] = cursor
            while len(self._cursors) > CURSOR_CAP:
                self._cursors.popitem(last=False)
        return locator
