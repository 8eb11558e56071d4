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

from collections import Counter
from types import UnionType
from typing import Annotated, Union, get_args, get_origin

from fastapi import Request
from fastapi.routing import APIRoute

from wirewatch.api.deps import ApiError

# Unknown names echoed in one answer: each is an entry of `errors` with the route's accepted names, so a URL of 16 kB
# (uvicorn's bound) made of short distinct names (`a1&a2&…`, ~3,000) was answered with ~300 kB.
UNKNOWN_NAMED_MAX = 20


def declared_query(route: APIRoute) -> dict[str, bool]:
    """The query parameter names ``route`` reads, its dependencies' too, sorted, each with whether it takes several
    values (a list, as `id` on the status lookup). Walked per request that has a query string (a few dependants:
    microseconds); routes are unhashable, so a cache would be keyed by id, for nothing."""
    found: dict[str, bool] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found.update((field.alias, _takes_many(field.field_info.annotation)) for field in dependant.query_params)
        pending.extend(dependant.dependencies)
    return dict(sorted(found.items()))


def _takes_many(annotation: object) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_many(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return any(_takes_many(arg) for arg in get_args(annotation))
    return (origin or annotation) in (list, tuple, set, frozenset)


async def reject_unknown_query(request: Request) -> None:
    """Raise a 400 Problem when the query string has a key the matched route does not declare, or gives one that
    takes a single value more than once. Async: it only compares names, so it runs on the event loop rather than
    costing each request a trip to the thread pool."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or not request.query_params:
        return
    declared = declared_query(route)
    accepted = tuple(declared)
    names = [name for name, _ in request.query_params.multi_items()]
    unknown = [name for name in dict.fromkeys(names) if name not in declared]
    if not unknown:
        _reject_repeated(names, declared)
        return
    more = len(unknown) - UNKNOWN_NAMED_MAX
    unknown = unknown[:UNKNOWN_NAMED_MAX]
    named = ", ".join(repr(name) for name in unknown) + (f" and {more} more" if more > 0 else "")
    takes = f"{route.path} takes: {', '.join(accepted)}" if accepted else f"{route.path} takes no query parameters"
    plural = "s" if len(unknown) > 1 else ""
    errors = [{"loc": ["query", name], "msg": "unknown query parameter", "accepted": [*accepted]} for name in unknown]
    raise ApiError(400, "unknown_query_parameter", f"unknown query parameter{plural} {named}; {takes}", errors=errors)


def _reject_repeated(names: list[str], declared: dict[str, bool]) -> None:
    """A single-valued parameter given twice (`?limit=50&limit=500`) was read as its last value without a word: a
    client that merges its defaults with a caller's got whichever came last. Now a 400 naming it."""
    if len(names) == len(set(names)):  # the common case: no name twice
        return
    counts = Counter(names)
    repeated = [name for name, count in counts.items() if count > 1 and not declared[name]]
    if repeated:
        named = ", ".join(repr(name) for name in repeated)
        errors = [{"loc": ["query", name], "msg": "given more than once; takes one value"} for name in repeated]
        raise ApiError(400, "repeated_query_parameter", f"query parameter {named} given more than once: each takes "
                       "one value", errors=errors)  # fmt: skip
