"""Salesforce error bodies: a JSON array of ``{message, errorCode[, fields]}``.

Reference: https://developer.salesforce.com/docs/platform/api-rest/guide/errorcodes.md (status codes and error
responses). SOQL errors echo the query with a caret under the offending column, as the real service does.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from dealsync.emulator.wsgi import json_response

NOT_FOUND_MESSAGE = "The requested resource does not exist"
SESSION_MESSAGE = "Session expired or invalid"
LIMIT_MESSAGE = "TotalRequests Limit exceeded."  # the 24-hour allocation is used up
# Too many concurrent long-running requests: the same error code, but it clears in seconds.
# https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
CONCURRENT_LIMIT_MESSAGE = "ConcurrentPerOrgLongTxn Limit exceeded."


class SalesforceError(Exception):
    """An error the REST API answers with its documented array body."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, object]]:
        entry: dict[str, object] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]

    def response(self) -> Response:
        return json_response(self.body(), status=self.status)


def error_response(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    return SalesforceError(status, code, message, fields).response()


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def method_not_allowed(method: str, allowed: list[str]) -> SalesforceError:
    listed = ",".join((["HEAD"] if "GET" in allowed else []) + allowed)
    return SalesforceError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {listed}")


def caret_message(query: str, line: int, column: int, detail: str) -> str:
    """The real SOQL error text: the query line, a caret, ``ERROR at Row:r:Column:c`` and the detail."""
    lines = query.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else query
    return f"\n{text}\n{' ' * (column - 1)}^\nERROR at Row:{line}:Column:{column}\n{detail}"


class SoqlError(SalesforceError):
    """A query the SOQL front end refused (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, ...)."""

    def __init__(self, code: str, query: str, line: int, column: int, detail: str) -> None:
        super().__init__(400, code, caret_message(query, line, column, detail))
        self.detail = detail
        self.line = line
        self.column = column
