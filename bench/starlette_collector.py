"""The collector's pipeline behind Starlette's router and CORS middleware: the peer baseline
that bench/collector_load.py measures the collector's own ASGI app against.

    uvicorn bench.starlette_collector:starlette_app --factory --workers 2
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collector.app import CORS_HEADERS, CORS_METHODS
from collector.worker import create_app


def starlette_app() -> Starlette:
    """The collector's app behind Starlette's router and CORS middleware: each route calls
    the same body reading, pipeline and answers (a uvicorn factory, settings from the
    environment, like :func:`collector.worker.create_app`)."""
    collector = create_app()

    async def collect(request: Request) -> Response:
        route = collector.routes[(request.method, request.url.path.rstrip("/") or "/")]
        headers = dict(request.headers)
        answer = await collector.collect(
            request.scope, request.receive, headers, route.protocol, route.parse
        )
        collector.metrics.count(
            "collector_requests_total", protocol=route.protocol.value, status=str(answer.status)
        )
        return Response(answer.body, answer.status, answer.headers)

    async def fixed(request: Request) -> Response:
        answer = collector.fixed_route(request.url.path)
        if answer is None:
            return Response(status_code=404)
        return Response(answer.body, answer.status, answer.headers)

    methods: dict[str, list[str]] = {}
    for method, path in collector.routes:
        methods.setdefault(path, []).append(method)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await collector.startup()
        yield
        await collector.shutdown()

    return Starlette(
        routes=[
            *(Route(path, collect, methods=names) for path, names in methods.items()),
            *(Route(path, fixed, methods=["GET"]) for path in ("/health", "/metrics")),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origin_regex=".*",
                allow_credentials=True,
                allow_methods=CORS_METHODS.split(", "),
                allow_headers=CORS_HEADERS.split(", "),
                max_age=86400,
            )
        ],
        lifespan=lifespan,
    )
