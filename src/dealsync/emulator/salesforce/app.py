"""The emulated Salesforce REST API: routing and the glue between the resources and the shared backend.

Resource list: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_list.htm
Versions: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm
Limits: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
sObject Rows: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm
Conditional requests (If-Unmodified-Since → 412):
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_conditional_requests.htm
Every response carries ``Sforce-Limit-Info: api-usage=N/M``; the org's daily budget answers 403
``REQUEST_LIMIT_EXCEEDED`` once spent.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from dealsync.emulator.backend import Backend
from dealsync.emulator.faults import FaultAction, FaultKind
from dealsync.emulator.salesforce import describe as describing
from dealsync.emulator.salesforce.auth import token_response
from dealsync.emulator.salesforce.bulk import BulkQueryJobs
from dealsync.emulator.salesforce.composite import RejectionCodes, update_collection
from dealsync.emulator.salesforce.errors import (
    CONCURRENT_LIMIT_MESSAGE,
    LIMIT_MESSAGE,
    SESSION_MESSAGE,
    SalesforceError,
    error_response,
    method_not_allowed,
    not_found,
)
from dealsync.emulator.salesforce.query import QueryService, batch_size
from dealsync.emulator.salesforce.records import full_record
from dealsync.emulator.salesforce.schema import ObjectDef, OrgSchema
from dealsync.emulator.salesforce.soap import SOAP_PATH, soap_login
from dealsync.emulator.salesforce.writes import (
    apply_changes,
    convert_changes,
    find_record,
    person_edit,
    record_for_write,
    write_instant,
)
from dealsync.emulator.state import SalesforceOrg
from dealsync.emulator.wsgi import json_response

LOG = logging.getLogger("dealsync.emulator.salesforce")
TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a path, not a secret
_DATA_PATH = re.compile(r"^/services/data/v(\d+\.\d)(?:/(.*))?$")
SEASONS = ("Winter", "Spring", "Summer")
OLDEST_VERSION, NEWEST_VERSION = 20, 62


def versions() -> list[dict[str, str]]:
    """``GET /services/data/``: v20.0 (Winter '11) to v62.0 (Winter '25), three releases a year."""
    out = []
    for major in range(OLDEST_VERSION, NEWEST_VERSION + 1):
        step = major - OLDEST_VERSION
        label = f"{SEASONS[step % 3]} '{11 + step // 3:02d}"
        out.append({"label": label, "url": f"/services/data/v{major}.0", "version": f"{major}.0"})
    return out


@dataclass
class Call:
    """One routed request."""

    request: Request
    org: SalesforceOrg
    version: str
    params: list[str]
    schema: OrgSchema = field(init=False)

    def __post_init__(self) -> None:
        self.schema = OrgSchema(self.org)

    def sobject(self, name: str) -> ObjectDef:
        obj = self.schema.find(name)
        if obj is None:
            raise not_found()
        return obj

    def json_body(self) -> Any:
        try:
            return json.loads(self.request.get_data(as_text=True) or "null")
        except ValueError as error:
            raise SalesforceError(400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {error}") from None


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    pattern: tuple[str, ...]  # "*" matches one path segment
    label: str  # for request counting; "{obj}" is replaced by the sObject name
    methods: dict[str, Handler]

    def match(self, segments: list[str]) -> list[str] | None:
        if len(segments) != len(self.pattern):
            return None
        params = []
        for want, got in zip(self.pattern, segments, strict=True):
            if want == "*":
                params.append(got)
            elif want != got:
                return None
        return params


class SalesforceApp:
    """Implements :class:`dealsync.emulator.wsgi.ApiApp` for the Salesforce REST API."""

    api = "salesforce"

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.instance_url = "https://127.0.0.1"
        self.queries = QueryService()
        self.jobs = BulkQueryJobs()
        self.rejections = RejectionCodes()
        self.routes = self._routes()

    def _routes(self) -> list[Route]:
        return [
            Route((), "resources", {"GET": self.resources}),
            Route(("query",), "query", {"GET": lambda c: self.query(c, include_deleted=False)}),
            Route(("query", "*"), "query/next", {"GET": self.query_more}),
            Route(("queryAll",), "queryAll", {"GET": lambda c: self.query(c, include_deleted=True)}),
            Route(("queryAll", "*"), "queryAll/next", {"GET": self.query_more}),
            Route(("limits",), "limits", {"GET": self.limits}),
            Route(("sobjects",), "sobjects", {"GET": self.describe_global}),
            Route(("sobjects", "*"), "sobjects/{obj}/info", {"GET": self.sobject_info}),
            Route(("sobjects", "*", "describe"), "describe", {"GET": self.describe}),
            Route(("sobjects", "*", "*"), "sobjects/{obj}", {"GET": self.get_record, "PATCH": self.patch_record}),
            Route(("composite", "sobjects"), "composite/sobjects", {"PATCH": self.update_collection}),
            Route(("jobs", "query"), "jobs/query", {"POST": self.create_job}),
            Route(
                ("jobs", "query", "*"),
                "jobs/query/job",
                {"GET": self.get_job, "PATCH": self.abort_job, "DELETE": self.delete_job},
            ),
            Route(("jobs", "query", "*", "results"), "jobs/query/results", {"GET": self.job_results}),
        ]

    # ------------------------------------------------------------ ApiApp protocol

    def endpoint_key(self, request: Request) -> str:
        if request.path == TOKEN_PATH:
            return f"{request.method} oauth2/token"
        if SOAP_PATH.match(request.path):
            return f"{request.method} soap/login"
        parsed = _split(request.path)
        if parsed is None:
            return f"{request.method} {'versions' if _is_versions(request.path) else 'unknown'}"
        found = self._find(parsed[1])
        if found is None:
            return f"{request.method} unknown"
        route, params = found
        label = route.label
        if "{obj}" in label:
            obj = OrgSchema(self.backend.state.salesforce).find(params[0])
            label = label.replace("{obj}", obj.name if obj else "unknown")
        return f"{request.method} {label}"

    def is_public(self, request: Request) -> bool:
        return request.path == TOKEN_PATH or _is_versions(request.path) or bool(SOAP_PATH.match(request.path))

    def is_search(self, request: Request) -> bool:  # noqa: ARG002 - protocol signature
        return False

    def render_fault(self, action: FaultAction, request: Request) -> Response:  # noqa: ARG002
        if action.kind is FaultKind.RATE_LIMIT:
            return error_response(403, "REQUEST_LIMIT_EXCEEDED", CONCURRENT_LIMIT_MESSAGE)
        if action.kind in (FaultKind.EXPIRED_SESSION, FaultKind.UNAUTHENTICATED):
            return error_response(401, "INVALID_SESSION_ID", SESSION_MESSAGE)
        if action.status in (502, 503):
            return error_response(
                action.status, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later."
            )
        error_id = f"{secrets.randbelow(10**10):010d}-{secrets.randbelow(10**6)} ({secrets.randbelow(10**9)})"
        return error_response(
            action.status,
            "UNKNOWN_EXCEPTION",
            f"An unexpected error occurred. Please include this ErrorId if you contact support: {error_id}",
        )

    def handle(self, request: Request) -> Response:
        org = self.backend.state.salesforce
        try:
            if request.path == TOKEN_PATH:
                return token_response(request, self.backend.tokens, org, self.instance_url)
            soap = SOAP_PATH.match(request.path)
            if soap is not None and request.method == "POST":
                return soap_login(request, self.backend.tokens, org, self.instance_url, soap.group(1))
            if _is_versions(request.path):
                return json_response(versions())
            self._spend_api_call(org)
            return self._dispatch(request, org)
        except SalesforceError as error:
            return error.response()
        except Exception:  # a bug in the emulator: answer as Salesforce answers its own, and log it
            LOG.exception("salesforce emulator failed on %s %s", request.method, request.path)
            return self.render_fault(FaultAction(FaultKind.SERVER_ERROR, status=500), request)

    def decorate(self, response: Response) -> None:
        org = self.backend.state.salesforce
        response.headers["Sforce-Limit-Info"] = f"api-usage={org.api_used}/{org.daily_api_max}"

    # ------------------------------------------------------------ routing

    def _find(self, segments: list[str]) -> tuple[Route, list[str]] | None:
        for route in self.routes:
            params = route.match(segments)
            if params is not None:
                return route, params
        return None

    def _dispatch(self, request: Request, org: SalesforceOrg) -> Response:
        parsed = _split(request.path)
        found = self._find(parsed[1]) if parsed else None
        if parsed is None or found is None:
            raise not_found()
        route, params = found
        method = "GET" if request.method == "HEAD" else request.method
        handler = route.methods.get(method)
        if handler is None:
            raise method_not_allowed(request.method, list(route.methods))
        return handler(Call(request, org, parsed[0], params))

    @staticmethod
    def _spend_api_call(org: SalesforceOrg) -> None:
        with org.lock:
            org.api_used += 1
            over = org.api_used > org.daily_api_max
        if over:
            raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_MESSAGE)

    # ------------------------------------------------------------ resources

    def resources(self, call: Call) -> Response:
        base = f"/services/data/v{call.version}"
        names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
        return json_response({name: f"{base}/{name}" for name in names})

    def query(self, call: Call, *, include_deleted: bool) -> Response:
        page = self.queries.first_page(
            call.org,
            call.request.args.get("q"),
            include_deleted=include_deleted,
            version=call.version,
            batch=batch_size(call.request.headers.get("Sforce-Query-Options")),
        )
        return self._served(call.org, page.body, page.ids, page.object_name)

    def query_more(self, call: Call) -> Response:
        page = self.queries.next_page(call.org, call.params[0])
        return self._served(call.org, page.body, page.ids, page.object_name)

    def _served(self, org: SalesforceOrg, body: str, ids: list[str], object_name: str) -> Response:
        """Build the response from rows as read, then let "a person" edit some of them."""
        response = Response(body, mimetype="application/json")
        self._person_edits(org, ids, object_name)
        return response

    def _person_edits(self, org: SalesforceOrg, ids: list[str], object_name: str) -> None:
        if object_name != "Opportunity" or not ids:
            return
        edited = self.backend.faults.person_edits(ids)
        if not edited:
            return
        obj = OrgSchema(org).find("Opportunity")
        with org.lock:
            now = write_instant()
            for record_id in edited:
                if obj is not None:
                    person_edit(org, obj, record_id, now)

    def limits(self, call: Call) -> Response:
        org = call.org
        return json_response(
            {
                "DailyApiRequests": {"Max": org.daily_api_max, "Remaining": max(0, org.daily_api_max - org.api_used)},
                "DailyBulkApiRequests": {"Max": 10_000, "Remaining": 10_000},
                "DailyBulkV2QueryJobs": {"Max": 10_000, "Remaining": 10_000},
                "DailyBulkV2QueryFileStorageMB": {"Max": 976_562, "Remaining": 976_562},
                "DataStorageMB": {"Max": 1_024, "Remaining": 1_000},
                "FileStorageMB": {"Max": 1_024, "Remaining": 1_024},
            }
        )

    def describe_global(self, call: Call) -> Response:
        return json_response(describing.describe_global(call.schema, call.version))

    def sobject_info(self, call: Call) -> Response:
        return json_response(describing.basic_info(call.sobject(call.params[0]), call.version))

    def describe(self, call: Call) -> Response:
        return json_response(describing.describe(call.schema, call.sobject(call.params[0]), call.version))

    def get_record(self, call: Call) -> Response:
        obj = call.sobject(call.params[0])
        with call.org.lock:
            row = find_record(call.org.tables.get(obj.name, {}), call.params[1])
            if row is None:
                raise not_found()
            if row.get("IsDeleted"):
                raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
            record = full_record(obj, row, call.version)
        wanted = call.request.args.get("fields")
        if wanted:
            keep = {name.strip().lower() for name in wanted.split(",")}
            record = {k: v for k, v in record.items() if k == "attributes" or k.lower() in keep}
        return json_response(record)

    def patch_record(self, call: Call) -> Response:
        obj = call.sobject(call.params[0])
        if not obj.updateable:
            raise method_not_allowed("PATCH", ["GET"])
        body = call.json_body()
        if not isinstance(body, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        with call.org.lock:
            row = record_for_write(call.org, obj, call.params[1])
            _check_unmodified_since(call.request, row)
            changes = convert_changes(call.schema, obj, body)
            if self.backend.faults.reject_record("salesforce", str(row["Id"])):
                code, message, fields = self.rejections.next()
                raise SalesforceError(400, code, message, fields)
            apply_changes(call.org, obj, row, changes, write_instant())
        self.backend.stats.count_writes("salesforce", 1)
        return Response(status=204)

    def update_collection(self, call: Call) -> Response:
        body = call.json_body()
        with call.org.lock:
            results, written = update_collection(
                call.schema, body, lambda i: self.backend.faults.reject_record("salesforce", i), self.rejections
            )
        if written:
            self.backend.stats.count_writes("salesforce", written)
        return json_response(results)

    # ------------------------------------------------------------ Bulk API 2.0

    def create_job(self, call: Call) -> Response:
        job = self.jobs.create(call.org, call.json_body(), call.version)
        return json_response(job.info(full=False))

    def get_job(self, call: Call) -> Response:
        return json_response(self.jobs.poll(call.org, call.params[0]).info(full=True))

    def abort_job(self, call: Call) -> Response:
        return json_response(self.jobs.abort(call.org, call.params[0], call.json_body()).info(full=False))

    def delete_job(self, call: Call) -> Response:
        self.jobs.delete(call.org, call.params[0])
        return Response(status=204)

    def job_results(self, call: Call) -> Response:
        args = call.request.args
        page = self.jobs.results(call.org, call.params[0], call.version, args.get("locator"), args.get("maxRecords"))
        response = Response(
            page.csv,
            mimetype="text/csv",
            headers={"Sforce-Locator": page.locator, "Sforce-NumberOfRecords": str(page.count)},
        )
        self._person_edits(call.org, page.ids, page.object_name)
        return response


def _is_versions(path: str) -> bool:
    return path in ("/services/data", "/services/data/")


def _split(path: str) -> tuple[str, list[str]] | None:
    """``/services/data/v59.0/query/`` → ("59.0", ["query"]); trailing slashes are ignored."""
    match = _DATA_PATH.match(path)
    if match is None:
        return None
    rest = (match.group(2) or "").strip("/")
    return match.group(1), [part for part in rest.split("/") if part] if rest else []


def _check_unmodified_since(request: Request, row: dict[str, Any]) -> None:
    """412 when the record changed after the If-Unmodified-Since instant (HTTP dates have whole seconds)."""
    raw = request.headers.get("If-Unmodified-Since")
    if raw is None:
        return
    since = request.if_unmodified_since
    if since is None:
        raise SalesforceError(400, "INVALID_HEADER_TYPE", f"Invalid If-Unmodified-Since header value: {raw}")
    modified = row.get("LastModifiedDate")
    if modified is not None and modified.replace(microsecond=0) > since:
        raise SalesforceError(412, "PRECONDITION_FAILED", "The requested entity has been modified.")
