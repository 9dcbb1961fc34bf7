"""The settings file (DESIGN.md §3) loaded into validated pydantic models.

Loaded once by the CLI and passed down; no other module reads the environment. ``${VAR}`` in any value is
replaced by that environment variable (``$${`` writes a literal ``${``). Unknown keys are errors. Every error
is a :class:`ConfigError` naming the key path (``connections[0].auth.access_token``) and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from dealsync.canonical import Stage
from dealsync.errors import ConfigError
from dealsync.quality.model import QualityThresholds

DEFAULT_PATH = Path("dealsync.yml")
ENV_CONFIG = "DEALSYNC_CONFIG"
_VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_STAGES = ", ".join(s.value for s in Stage)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalesforceAuth(_Strict):
    """Exactly one of: access token; OAuth client credentials (+ refresh token); username + password + token."""

    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None

    @property
    def mode(self) -> str:
        if self.access_token is not None:
            return "access_token"
        if self.username is not None:
            return "password"
        return "refresh_token" if self.refresh_token is not None else "client_credentials"

    @model_validator(mode="after")
    def _one_mode(self) -> SalesforceAuth:
        given = {k for k, v in self.__dict__.items() if v is not None}
        modes = [
            {"access_token"},
            {"client_id", "client_secret"},
            {"client_id", "client_secret", "refresh_token"},
            {"username", "password", "security_token"},
            {"username", "password", "security_token", "client_id", "client_secret"},
        ]
        if given not in modes:
            raise ValueError(
                f"got {sorted(given) or 'nothing'}; give exactly one of: access_token | client_id + client_secret | "
                "client_id + client_secret + refresh_token | username + password + security_token"
            )
        return self


class HubSpotAuth(_Strict):
    """Exactly one of: a private-app/static access token; OAuth client id + secret + refresh token."""

    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None

    @property
    def mode(self) -> str:
        return "access_token" if self.access_token is not None else "oauth"

    @model_validator(mode="after")
    def _one_mode(self) -> HubSpotAuth:
        given = {k for k, v in self.__dict__.items() if v is not None}
        if given not in ({"access_token"}, {"client_id", "client_secret", "refresh_token"}):
            raise ValueError(
                f"got {sorted(given) or 'nothing'}; give exactly one of: access_token | "
                "client_id + client_secret + refresh_token"
            )
        return self


class WriteFields(_Strict):
    health_score: str


class RateLimit(_Strict):
    """A proactive client-side limit: at most ``max_requests`` in any ``window_seconds``."""

    max_requests: int = Field(ge=1)
    window_seconds: float = Field(gt=0)


ConnectionName = Annotated[str, Field(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=64)]


class _ConnectionBase(_Strict):
    name: ConnectionName
    ca_bundle: Path | None = None
    stage_map: dict[str, Stage] = Field(default_factory=dict)
    stage_write_map: dict[Stage, str] = Field(default_factory=dict)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {str(value)!r} does not exist; give the path of a PEM CA bundle")
        return value


class SalesforceConnection(_ConnectionBase):
    type: Literal["salesforce"]
    instance_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+/?$")
    login_url: str = Field(default="https://login.salesforce.com", pattern=r"^https?://[^\s/]+/?$")
    api_version: str = Field(default="60.0", pattern=r"^\d{2,3}\.0$")
    auth: SalesforceAuth
    fields: WriteFields = WriteFields(health_score="DealSync_Health_Score__c")
    bulk_threshold: int = Field(default=50_000, ge=0)
    rate_limit: RateLimit | None = None  # Salesforce limits are daily; set this to spread load over time

    @model_validator(mode="after")
    def _token_needs_instance(self) -> SalesforceConnection:
        if self.auth.access_token is not None and self.instance_url is None:
            raise ValueError(
                "auth.access_token needs instance_url (e.g. https://acme.my.salesforce.com); "
                "add instance_url or use an OAuth login"
            )
        return self


class HubSpotConnection(_ConnectionBase):
    type: Literal["hubspot"]
    base_url: str = Field(default="https://api.hubapi.com", pattern=r"^https?://[^\s/]+/?$")
    auth: HubSpotAuth
    pipelines: list[str] | None = None
    fields: WriteFields = WriteFields(health_score="dealsync_health_score")
    # HubSpot private apps: 100 per 10 s (Professional/Enterprise: 190); the response headers adjust it.
    rate_limit: RateLimit = RateLimit(max_requests=100, window_seconds=10)
    search_rate_limit: RateLimit = RateLimit(max_requests=5, window_seconds=1)


Connection = Annotated[SalesforceConnection | HubSpotConnection, Field(discriminator="type")]


class SyncSettings(_Strict):
    conflict_policy: str = Field(default="newest_wins", pattern=r"^(newest_wins|manual|prefer:[a-z0-9-]+)$")
    write_health_score: bool = True
    write_stage_corrections: bool = True
    max_change_ratio: float = Field(default=0.2, gt=0, le=1)


class QualitySettings(QualityThresholds):
    """The ``quality:`` section; its fields belong to the quality layer, which owns their meaning."""


class Settings(_Strict):
    store: str = "sqlite:///dealsync.db"
    connections: list[Connection] = Field(default_factory=list)
    sync: SyncSettings = SyncSettings()
    quality: QualitySettings = QualitySettings()

    @model_validator(mode="after")
    def _names_unique(self) -> Settings:
        names = [c.name for c in self.connections]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"connection names must be unique; {', '.join(duplicated)} appears more than once")
        policy = self.sync.conflict_policy
        if policy.startswith("prefer:") and policy.removeprefix("prefer:") not in names:
            raise ValueError(
                f"sync.conflict_policy {policy!r} names no connection; "
                f"use prefer:<name> with one of: {', '.join(names) or '(no connections defined)'}"
            )
        return self

    def connection(self, name: str) -> SalesforceConnection | HubSpotConnection:
        for conn in self.connections:
            if conn.name == name:
                return conn
        known = ", ".join(c.name for c in self.connections) or "none"
        raise ConfigError(f"no connection named {name!r} in the config; known connections: {known}")

    def secrets(self) -> list[str]:
        """Every secret value in the settings, for the log redactor."""
        found: list[str] = []
        for conn in self.connections:
            for value in conn.auth.__dict__.values():
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        return found


def resolve_path(explicit: Path | None, environ: Mapping[str, str]) -> Path:
    """``--config`` wins, then ``DEALSYNC_CONFIG``, then ``./dealsync.yml``."""
    if explicit is not None:
        return explicit
    return Path(environ[ENV_CONFIG]) if environ.get(ENV_CONFIG) else DEFAULT_PATH


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, interpolate and validate a config file."""
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; run `dealsync init` to write a starter file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    return parse_settings(text, source=str(path), environ=os.environ if environ is None else environ)


def parse_settings(text: str, *, source: str, environ: Mapping[str, str]) -> Settings:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            f"{source}: YAML syntax error{where}: {problem}; fix the indentation or quoting "
            '(quote a value such as "${VAR}" inside { })'
        ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys (store, connections, sync, quality)")
    try:
        return Settings.model_validate(_interpolate(raw, (), environ))
    except ValidationError as exc:
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in exc.errors())) from None


def _interpolate(value: Any, path: tuple[str | int, ...], environ: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, str(k)), environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), environ) for i, v in enumerate(value)]
    if isinstance(value, str):
        return _VAR.sub(lambda m: _lookup(m, path, environ), value)
    return value


def _lookup(match: re.Match[str], path: tuple[str | int, ...], environ: Mapping[str, str]) -> str:
    if match.group(0) == "$${":
        return "${"
    name = match.group(1)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ConfigError(f"{format_path(path)}: ${{{name}}} is not a valid environment variable name")
    if name not in environ:
        raise ConfigError(
            f"{format_path(path)}: environment variable {name} is not set; export {name}=... before running dealsync"
        )
    return environ[name]


def format_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error: Any) -> str:
    loc = tuple(p for p in error["loc"] if p not in ("salesforce", "hubspot", "[key]"))
    where = format_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key; remove it or check its spelling against `dealsync init`"
    if kind == "missing":
        return f"{where}: required key is missing; add it"
    if kind == "enum" and "stage" in where:
        return f"{where}: {error['input']!r} is not a canonical stage; use one of {_STAGES}"
    if kind == "union_tag_invalid":
        return f"{where}.type: {error['input'].get('type')!r} is not a connection type; use salesforce or hubspot"
    if kind == "union_tag_not_found":
        return f"{where}: connection has no type; add `type: salesforce` or `type: hubspot`"
    if kind == "string_pattern_mismatch" and where.endswith(".name"):
        return f"{where}: {error['input']!r} is not a valid name; use lowercase letters, digits and hyphens (sf-main)"
    if kind == "string_pattern_mismatch" and where.endswith("_url"):
        return f"{where}: {error['input']!r} is not a base URL; write scheme and host only (https://host)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"
