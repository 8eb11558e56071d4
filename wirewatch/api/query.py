"""Query parameters no route takes are refused: 400 ``unknown_query_parameter``, naming them and the ones it takes.

FastAPI reads the query parameters a route declares and ignores the rest, so ``GET /v1/events?limt=5`` was answered
as if no limit had been given, and an integrator never learned of the typo. One app-wide dependency
(:func:`reject_unknown_query`) compares the request's query keys with what the matched route declares, itself or
through its dependencies (by alias, case-sensitive, as FastAPI reads them), so a route added later is covered
without a word. App-wide dependencies run before a route's own, the token check included: a request's shape is
wrong whoever sends it, like a 404 or a 405, and a token put in the query string (never taken: tokens go in the
``Authorization`` header) is named as the unknown parameter it is. Only names are echoed, never values.

Routes left out of /openapi.json (the dashboard page) take any parameter: a page is opened from links that add
their own (``utm_source``, ``fbclid``), and it has no parameters to misspell.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute

from wirewatch.api.deps import ApiError


def declared_query(route: APIRoute) -> tuple[str, ...]:
    """The query parameter names ``route`` reads, its dependencies' too, sorted. Walked per request that has a query
    string (a few dependants: microseconds); routes are unhashable, so a cache would be keyed by id, for nothing."""
    found: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found.update(field.alias for field in dependant.query_params)
        pending.extend(dependant.dependencies)
    return tuple(sorted(found))


async def reject_unknown_query(request: Request) -> None:
    """Raise a 400 Problem when the query string has a key the matched route does not declare. Async: it only
    compares names, so it runs on the event loop rather than costing each request a trip to the thread pool."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or not request.query_params:
        return
    accepted = declared_query(route)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in accepted]
    if not unknown:
        return
    named = ", ".join(repr(name) for name in unknown)
    takes = f"{route.path} takes: {', '.join(accepted)}" if accepted else f"{route.path} takes no query parameters"
    plural = "s" if len(unknown) > 1 else ""
    errors = [{"loc": ["query", name], "msg": "unknown query parameter", "accepted": [*accepted]} for name in unknown]
    raise ApiError(400, "unknown_query_parameter", f"unknown query parameter{plural} {named}; {takes}", errors=errors)
