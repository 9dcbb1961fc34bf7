"""structlog setup: console lines for people, JSON lines for machines, and secrets redacted from both.

Redaction works three ways, so a secret cannot slip through a path nobody thought of:
by key (``access_token``, ``Authorization``, ``password``…, at any depth), by value (every secret in the loaded
config is registered and masked wherever it appears in a string), and by shape (``Bearer …`` and
``sid=…``-style fragments in free text). Standard-library loggers (urllib3, simple_salesforce) go through the
same processors.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal, TextIO

import structlog

REDACTED = "***"
SECRET_KEYS = re.compile(
    r"(access_?token|refresh_?token|client_?secret|password|passwd|security_?token|authorization|"
    r"session_?id|api_?key|secret|hapikey|bearer|cookie)",
    re.IGNORECASE,
)
SECRET_SHAPES = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/!=-]+"),
    # key=value in query strings and form bodies, and "key": "value" in JSON text
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|security_token|session_id|sid)=)[^\s&\"',}]+"
    ),
    re.compile(
        r"(?i)(\"(?:access_token|refresh_token|client_secret|password|security_token|session_id)\"\s*:\s*\")[^\"]+"
    ),
]
_known_secrets: set[str] = set()
_lock = threading.Lock()


def register_secrets(values: Iterable[str]) -> None:
    """Mask these exact values wherever they appear in a log line (short values are ignored: too ambiguous)."""
    with _lock:
        _known_secrets.update(v for v in values if v and len(v) >= 4)


def redact_text(text: str) -> str:
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for shape in SECRET_SHAPES:
        text = shape.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def redact_value(value: Any, key: str | None = None) -> Any:
    if key is not None and SECRET_KEYS.search(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, MutableMapping | dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact_value(v) for v in value]
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    return value


def redact_processor(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the last line of defence before anything is rendered."""
    for key in list(event_dict):
        event_dict[key] = redact_value(event_dict[key], None if key == "event" else key)
    return event_dict


def _render_exceptions_then_redact() -> list[Any]:
    return [structlog.processors.format_exc_info, redact_processor]


def configure_logging(
    fmt: Literal["console", "json"] = "console",
    level: str = "WARNING",
    stream: TextIO | None = None,
) -> None:
    """Route structlog and standard logging through one redacting pipeline to ``stream`` (stderr)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        *_render_exceptions_then_redact(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=(stream or sys.stderr).isatty())
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact_processor, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
