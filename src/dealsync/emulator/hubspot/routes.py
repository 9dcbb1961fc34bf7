"""The route table: method, path template, handler; and matching a request against it.

Templates name their parameters in braces. Object-type parameters (``kind``, ``objectType``, ``fromType``,
``toType``) are put into the endpoint key in canonical form (``deals``, ``companies``); id parameters stay as
placeholders, so ``GET /crm/v3/objects/0-3/123`` counts as ``GET /crm/v3/objects/deals/{objectId}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.wrappers import Request

from dealsync.emulator.hubspot import (
    account,
    associations,
    currencies,
    oauth,
    objects,
    owners,
    pipelines,
    properties,
    search,
)
from dealsync.emulator.hubspot.context import Handler
from dealsync.emulator.hubspot.index import for_kind

TYPE_PARAMS = ("kind", "objectType", "fromType", "toType")
SEGMENT_PATTERNS = {"kind": r"deals|companies|0-3|0-2", "deal": r"deals|0-3"}
ENVIRON_KEY = "dealsync.hubspot.route"
CURRENCY_ROOTS = ("/settings/v3/currencies", "/settings/currencies/2026-03")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    public: bool = False
    search: bool = False
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", compile_template(self.template))

    def key(self, params: dict[str, str]) -> str:
        path = self.template.replace("{deal}", "{kind}")
        for name in TYPE_PARAMS:
            if name in params:
                path = path.replace("{" + name + "}", for_kind(params[name]))
        return f"{self.method} {path}"


def compile_template(template: str) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        inner = SEGMENT_PATTERNS.get(name, r"[^/]+")
        return f"(?P<{'kind' if name == 'deal' else name}>{inner})"

    return re.compile("^" + re.sub(r"\{(\w+)\}", group, template) + "/?$")


@dataclass(frozen=True)
class RouteMatch:
    route: Route | None
    params: dict[str, str]
    path_known: bool  # some route has this path (with another method): 405 rather than 404

    @property
    def key(self) -> str:
        return self.route.key(self.params) if self.route else "UNROUTED"


def currency_routes() -> list[Route]:
    found = []
    for root in CURRENCY_ROOTS:
        found += [
            Route("GET", f"{root}/company-currency", currencies.company_currency),
            Route("GET", f"{root}/exchange-rates", currencies.exchange_rates),
            Route("GET", f"{root}/exchange-rates/current", currencies.current_exchange_rates),
        ]
    return found


ROUTES: tuple[Route, ...] = (
    Route("GET", "/crm/v3/objects/{kind}", objects.list_objects),
    Route("POST", "/crm/v3/objects/{kind}/search", search.search, search=True),
    Route("POST", "/crm/v3/objects/{kind}/batch/read", objects.batch_read),
    Route("POST", "/crm/v3/objects/{deal}/batch/update", objects.batch_update),
    Route("GET", "/crm/v3/objects/{kind}/{objectId}", objects.get_object),
    Route("PATCH", "/crm/v3/objects/{deal}/{objectId}", objects.update_object),
    Route("GET", "/crm/v4/objects/{kind}/{objectId}/associations/{toType}", associations.object_associations_v4),
    Route("POST", "/crm/v4/associations/{fromType}/{toType}/batch/read", associations.batch_read_v4),
    Route("POST", "/crm/v3/associations/{fromType}/{toType}/batch/read", associations.batch_read_v3),
    Route("GET", "/crm/v3/pipelines/{objectType}", pipelines.list_pipelines),
    Route("GET", "/crm/v3/pipelines/{objectType}/{pipelineId}", pipelines.get_pipeline),
    Route("GET", "/crm/v3/pipelines/{objectType}/{pipelineId}/stages", pipelines.list_stages),
    Route("GET", "/crm/v3/pipelines/{objectType}/{pipelineId}/stages/{stageId}", pipelines.get_stage),
    Route("GET", "/crm/v3/properties/{objectType}", properties.list_properties),
    Route("POST", "/crm/v3/properties/{objectType}", properties.create_property),
    Route("GET", "/crm/v3/properties/{objectType}/{propertyName}", properties.get_property),
    Route("GET", "/crm/v3/owners", owners.list_owners),
    Route("GET", "/crm/v3/owners/{ownerId}", owners.get_owner),
    *currency_routes(),
    Route("GET", "/account-info/v3/details", account.details),
    Route("POST", "/oauth/v1/token", oauth.token, public=True),
    Route("GET", "/oauth/v1/access-tokens/{token}", oauth.access_token_info, public=True),
)


def find_route(method: str, path: str) -> RouteMatch:
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return RouteMatch(route, found.groupdict(), True)
        path_known = True
    return RouteMatch(None, {}, path_known)


def match(request: Request) -> RouteMatch:
    """The request's route, computed once per request and kept in its environ."""
    cached = request.environ.get(ENVIRON_KEY)
    if isinstance(cached, RouteMatch):
        return cached
    found = find_route(request.method, request.path)
    request.environ[ENVIRON_KEY] = found
    return found
