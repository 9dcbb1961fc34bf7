"""Bulk API 2.0 query jobs.

Create: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm
Job info: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_one_job.htm
Results: https://developer.salesforce.com/docs/platform/api-asynch/guide/query-get-job-results.html
Abort: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_abort_job.htm
Delete: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_delete_job.htm

A job is answered ``UploadComplete`` when created and ``JobComplete`` from its first poll on; the matching ids
are materialised at creation. Results are CSV pages: ``Sforce-Locator`` names the next page (the literal string
``null`` on the last one) and ``Sforce-NumberOfRecords`` counts this page's rows.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dealsync.emulator.salesforce.errors import SalesforceError, not_found
from dealsync.emulator.salesforce.evaluate import CompiledQuery
from dealsync.emulator.salesforce.query import compile_soql
from dealsync.emulator.salesforce.records import format_datetime, to_csv
from dealsync.emulator.state import SalesforceOrg, utc_now

DELIMITERS = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
DEFAULT_MAX_RECORDS = 50_000
JOB_CAP = 200
_ALPHANUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class QueryJob:
    id: str
    org: SalesforceOrg
    compiled: CompiledQuery
    ids: list[str]
    version: str
    operation: str
    delimiter: str
    line_ending: str
    created: datetime
    created_by: str
    state: str = "UploadComplete"

    def info(self, *, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.compiled.obj.name,
            "createdById": self.created_by,
            "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created),
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version),
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
        }
        if full:
            out.update(
                {
                    "jobType": "V2Query",
                    "numberRecordsProcessed": len(self.ids) if self.state == "JobComplete" else 0,
                    "retries": 0,
                    "totalProcessingTime": 42,
                    "isPkChunkingSupported": True,
                }
            )
        return out


@dataclass
class ResultPage:
    csv: str
    locator: str
    count: int
    ids: list[str]
    object_name: str


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.isdigit():
        raise SalesforceError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
    return int(text)


def _invalid_job(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALIDJOB", message)


class BulkQueryJobs:
    def __init__(self) -> None:
        self._jobs: OrderedDict[str, QueryJob] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, org: SalesforceOrg, body: Any, version: str) -> QueryJob:
        if not isinstance(body, dict):
            raise _invalid_job("The request body must be a JSON object")
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise _invalid_job(f"Invalid operation: {operation}")
        delimiter = str(body.get("columnDelimiter") or "COMMA")
        line_ending = str(body.get("lineEnding") or "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise _invalid_job(f"Invalid columnDelimiter or lineEnding: {delimiter}, {line_ending}")
        with org.lock:
            compiled = self._compile(org, body.get("query"))
            ids = [row["Id"] for row in compiled.select(operation == "queryAll")]
            creator = next(iter(org.tables.get("User", {})), "005000000000000AAA")
        job = QueryJob(
            "750" + "".join(secrets.choice(_ALPHANUM) for _ in range(15)),
            org,
            compiled,
            ids,
            version,
            operation,
            delimiter,
            line_ending,
            utc_now(),
            creator,
        )
        with self._lock:
            for stale in [k for k, other in self._jobs.items() if other.org is not org]:  # from before a reset
                del self._jobs[stale]
            self._jobs[job.id] = job
            while len(self._jobs) > JOB_CAP:
                self._jobs.popitem(last=False)
        return job

    @staticmethod
    def _compile(org: SalesforceOrg, soql: Any) -> CompiledQuery:
        if not isinstance(soql, str) or not soql.strip():
            raise _invalid_job("A query is required for query jobs")
        try:
            compiled = compile_soql(org, soql)
        except SalesforceError as error:
            raise _invalid_job(f"Failed to process query: {error.code}: {error.message}") from None
        if compiled.is_count:
            raise _invalid_job("Failed to process query: Aggregate queries are not supported by Bulk API 2.0")
        return compiled

    def get(self, org: SalesforceOrg, job_id: str) -> QueryJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.org is not org:
            raise not_found()
        return job

    def poll(self, org: SalesforceOrg, job_id: str) -> QueryJob:
        job = self.get(org, job_id)
        if job.state == "UploadComplete":
            job.state = "JobComplete"
        return job

    def abort(self, org: SalesforceOrg, job_id: str, body: Any) -> QueryJob:
        job = self.get(org, job_id)
        if not isinstance(body, dict) or body.get("state") != "Aborted":
            raise _invalid_job("Only the state Aborted can be set on a query job")
        if job.state == "JobComplete":
            raise _invalid_job("Job is already complete and can't be aborted")
        job.state = "Aborted"
        return job

    def delete(self, org: SalesforceOrg, job_id: str) -> None:
        self.get(org, job_id)
        with self._lock:
            self._jobs.pop(job_id, None)

    def results(
        self, org: SalesforceOrg, job_id: str, version: str, locator: str | None, max_records: str | None
    ) -> ResultPage:
        job = self.get(org, job_id)
        if job.version != version:
            raise SalesforceError(
                409,
                "INVALIDJOB",
                f"Job {job_id} was created with API version {job.version}; fetch its results with the same version",
            )
        if job.state == "Aborted":
            raise _invalid_job(f"Job {job_id} was aborted")
        start = decode_locator(locator) if locator else 0
        size = (
            int(max_records) if max_records and max_records.isdigit() and int(max_records) > 0 else DEFAULT_MAX_RECORDS
        )
        ids = job.ids[start : start + size]
        end = start + len(ids)
        with org.lock:
            table = org.tables.get(job.compiled.obj.name, {})
            rows = [row for row in (table.get(i) for i in ids) if row is not None]
            text = to_csv(
                job.compiled.columns, rows, org.tables, DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending]
            )
        next_locator = encode_locator(end) if end < len(job.ids) else "null"
        return ResultPage(text, next_locator, len(rows), [str(r["Id"]) for r in rows], job.compiled.obj.name)
