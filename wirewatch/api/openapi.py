"""/openapi.json: FastAPI's document of the routes, completed with what the middleware adds to their answers.

FastAPI documents what a route returns; the headers the outer layers put on every answer, and the 304 that
``ConditionalGet`` answers in a read's stead, are invisible to it, so a client generated from the document had no
field for the request id it should quote, its rate budget or a read's ETag, and took a 304 for an error (review,
2026-11-30). They are declared here, each where it is sent (schemathesis holds the server to the ``required``
ones, tests/api/test_openapi.py):

- ``X-Request-ID`` on every answer (``wirewatch.api.tracing``);
- ``RateLimit-Limit``, ``-Remaining``, ``-Reset`` and ``-Policy`` on the answers of the routes that take a token,
  where the request may have been counted: not required, as a budget of 0 sends none, nor are they on a 400 or a
  403 (refused before the count);
- ``ETag`` and ``Cache-Control`` on a JSON read's 200, the ``If-None-Match`` parameter and the 304 it may bring
  (``wirewatch.api.conditional``);
- ``Retry-After`` on a 429 and a Problem 503, ``WWW-Authenticate`` on a 401 (``wirewatch.api.deps``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_INT = {"type": "integer", "minimum": 0}
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id, in every log line written while serving it: quote it when asking about a "
        "request. The client's own when it sent 1 to 128 letters, digits or `._:-`, else a fresh one.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    },
    "RateLimit-Limit": {"description": "Requests per window of the budget this request was counted against.",
                        "schema": _INT},
    "RateLimit-Remaining": {"description": "Requests left in this window.", "schema": _INT},
    "RateLimit-Reset": {"description": "Seconds until the window ends (on a 429, equal to Retry-After).",
                        "schema": _INT},
    "RateLimit-Policy": {"description": "The budget as `<limit>;w=<window seconds>`.",
                         "schema": {"type": "string", "pattern": "^[0-9]+;w=[0-9]+$"}},
    "ETag": {"description": "A strong tag of the body's bytes: send it back as If-None-Match.",
             "schema": {"type": "string", "pattern": '^"[0-9a-f]{32}"$'}},
    "Cache-Control": {"description": "`no-cache`: keep the answer, ask again (with If-None-Match) before using it.",
                      "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before asking again.", "schema": _INT},
    "WWW-Authenticate": {"description": "`Bearer realm=\"wirewatch\"`.", "schema": {"type": "string"}},
}  # fmt: skip
RATE_LIMIT = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")
IF_NONE_MATCH = {
    "name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "The ETag of the copy held (`\"…\"`, `W/\"…\"`, a list, or `*`): unchanged, the answer is a 304.",
}  # fmt: skip
NOT_MODIFIED = "Not Modified: If-None-Match names the current ETag (or is `*`). No body."
_NEVER_COUNTED = {"400", "403"}  # refused before the token check counts the request


def _declare(response: dict[str, Any], names: tuple[str, ...], required: bool) -> None:
    headers = response.setdefault("headers", {})
    for name in names:
        headers[name] = {**HEADERS[name], "required": required}


def _is_json_read(method: str, operation: dict[str, Any]) -> bool:
    ok = operation.get("responses", {}).get("200", {})
    return method == "get" and "application/json" in ok.get("content", {})


def complete(schema: dict[str, Any], public_read: bool) -> dict[str, Any]:
    """``schema`` (FastAPI's document) with the headers and 304s the middleware adds; ``public_read``: reads take a
    token but need none, which their security requirement then says (or clients would send one for nothing)."""
    for path in schema["paths"].values():
        for method, operation in path.items():
            counted = bool(operation.get("security"))
            if public_read and method == "get" and counted:
                operation["security"] = [{}, *operation["security"]]
            responses: dict[str, dict[str, Any]] = operation.setdefault("responses", {})
            if _is_json_read(method, operation):
                _declare(responses["200"], ("ETag", "Cache-Control"), required=True)
                responses["304"] = {"description": NOT_MODIFIED}
                _declare(responses["304"], ("ETag", "Cache-Control"), required=True)
                operation.setdefault("parameters", []).append(IF_NONE_MATCH)
            for status, response in responses.items():
                _declare(response, ("X-Request-ID",), required=True)
                if counted and status not in _NEVER_COUNTED:
                    _declare(response, RATE_LIMIT, required=False)
                if status == "429" or (status == "503" and _is_problem(response)):
                    _declare(response, ("Retry-After",), required=True)
                if status == "401":
                    _declare(response, ("WWW-Authenticate",), required=True)
    return schema


def _is_problem(response: dict[str, Any]) -> bool:
    content = response.get("content", {}).get("application/json", {})
    return bool(content.get("schema", {}).get("$ref", "").endswith("/Problem"))


def document(app: FastAPI, public_read: bool, bodies: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    """The whole document: FastAPI's, the request ``bodies`` routes read themselves (their schemas are not seen by
    FastAPI), and `complete`'s additions."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in bodies:
        components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return complete(schema, public_read)
