"""Operations: liveness, readiness (Redis, workers, queue), and Prometheus metrics."""

from __future__ import annotations

import time
from typing import Any

import redis
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wirewatch import constants as c
from wirewatch.api.auth import Principal
from wirewatch.api.deps import ApiState, get_state, needs_read, problems
from wirewatch.api.models import Health, Readiness
from wirewatch.runner import queue_depth

router = APIRouter(tags=["operations"])
WORKER_PING_TIMEOUT_S = 1.0
WORKER_PING_CACHE_S = 10.0  # a ping is a broadcast that waits its whole timeout; probes come every few seconds
WORKER_PROGRESS_S = 30.0  # outcomes counted this recently prove a worker consumes, ping or not


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    """Always 200 while the process serves requests; says nothing about Redis or workers (see /readyz)."""
    return Health(status="ok")


def _workers_alive(state: ApiState, cache: dict[str, Any]) -> tuple[bool, str]:
    """A worker answered a ping, or deliveries settled lately (a busy solo worker answers pings late)."""
    now = time.monotonic()
    settled = sum(int(v) for v in state.client.hvals(c.STATS))
    if "settled" not in cache:
        cache["settled"] = settled
    elif settled != cache["settled"]:
        cache.update(settled=settled, progressed_at=now)
    if now - cache.get("progressed_at", -1e9) < WORKER_PROGRESS_S:
        return True, f"deliveries settled in the last {WORKER_PROGRESS_S:.0f}s"
    if cache.get("at", -1e9) + WORKER_PING_CACHE_S > now:
        return cache["ok"], cache["detail"]
    try:
        replies = state.celery.control.ping(timeout=WORKER_PING_TIMEOUT_S)
    except Exception as e:
        ok, detail = False, f"ping failed: {e}"
    else:
        ok, detail = bool(replies), f"{len(replies)} worker(s) answered" if replies else "no worker answered"
    cache.update(at=now, ok=ok, detail=detail)
    return ok, detail


def readiness(state: ApiState, cache: dict[str, Any]) -> Readiness:
    checks: dict[str, bool] = {}
    detail: dict[str, str] = {}
    try:
        state.client.ping()
        checks["redis"], detail["redis"] = True, "reachable"
    except redis.RedisError as e:
        checks["redis"], detail["redis"] = False, str(e)
        return Readiness(ready=False, checks=checks, detail=detail)
    checks["workers"], detail["workers"] = _workers_alive(state, cache)
    oldest = state.client.zrange(c.LEDGER_PENDING, 0, 0, withscores=True)
    age = time.time() - float(oldest[0][1]) if oldest else 0.0
    depth = queue_depth(state.client)
    # The reconciler re-sends (and re-stamps) what waits past reconcile_after; older than twice that means
    # the re-sends are not being consumed either.
    limit = 2 * state.settings.reconcile_after
    checks["queue"] = age <= limit
    detail["queue"] = f"depth {depth}, oldest pending {age:.0f}s (limit {limit:.0f}s)"
    return Readiness(ready=all(checks.values()), checks=checks, detail=detail)


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready."}},
            summary="Redis reachable, workers consuming, queue not stuck")  # fmt: skip
async def readyz(request: Request) -> JSONResponse:
    """200 when ready to take work, else 503 with the failing checks."""
    state = get_state(request)
    result = await run_in_threadpool(readiness, state, request.app.state.ping_cache)
    return JSONResponse(result.model_dump(), status_code=200 if result.ready else 503)


@router.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format."}, **problems(401, 429)})  # fmt: skip
def metrics(request: Request, _: Principal | None = Depends(needs_read)) -> Response:
    """Articles by outcome, pending ledger, queue depth, stream lengths, HTTP latency by route. A read like the
    others: with ``public_read: false`` the scraper sends a read token (Prometheus' ``authorization``)."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
