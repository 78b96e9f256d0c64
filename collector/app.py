"""The collector's HTTP layer: a small ASGI application.

It only turns HTTP into a :class:`Hit`, hands it to the :class:`Pipeline` with the parse
function its route names, and turns the :class:`Outcome` back into HTTP. Routes: the protocol
table of :mod:`collector.protocols`, plus /health, /metrics, /openapi.json and the tracker.
Before it reads a body it applies the client address's rate limit (:mod:`collector.limits`);
a body must arrive within ``collector.body_timeout_s`` (else 408).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import zlib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from collector.accepted_counts import AcceptedCounts
from collector.bodies import BodyReader, BodyTimeout, BodyTooLarge, Receive, gunzip
from collector.enrich import warm_up
from collector.limits import Monotonic, RateLimit, Throttled, address_key
from collector.metrics import CONTENT_TYPE, Metrics
from collector.model import Hit
from collector.openapi import openapi_document
from collector.outcome import protocol_response, refused_response, throttled_response
from collector.pipeline import Clock, ParseFn, Pipeline, utc_now
from collector.protocols import ROUTES, Route
from collector.responses import Response, Send
from collector.sink import Sink
from collector.spool import SpoolFull
from lakehouse.bad_rows import BadReason
from lakehouse.schema import Protocol
from lakehouse.settings import Settings

Scope = MutableMapping[str, Any]

log = logging.getLogger("beacon.collector")

TRACKER_FILE = Path(__file__).resolve().parent.parent / "tracker" / "dist" / "p.js"
CORS_METHODS = "GET, POST, OPTIONS"
# sp-anonymous: Snowplow's browser tracker asks for server-side anonymisation with it.
CORS_HEADERS = "content-type, authorization, sp-anonymous"


def client_ip(scope: Scope, headers: dict[str, str], trusted: frozenset[str]) -> str:
    """The visitor's address: the peer's, or the first X-Forwarded-For entry when the peer is
    a trusted proxy (anyone else could claim any address for geo and the visitor hash)."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    forwarded = headers.get("x-forwarded-for")
    if forwarded and peer in trusted:
        return forwarded.split(",")[0].strip()
    return peer


class CollectorApp:
    def __init__(
        self,
        settings: Settings,
        sink: Sink,
        secret: bytes,
        metrics: Metrics | None = None,
        clock: Clock = utc_now,
        routes: Mapping[tuple[str, str], Route] = ROUTES,
        monotonic: Monotonic = time.monotonic,
        accepted: AcceptedCounts | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.routes = routes
        self.accepted = accepted
        self.pipeline = Pipeline(settings, sink, self.metrics, secret, monotonic, accepted)
        limits = settings.collector.rate_limits
        self.address_limit = RateLimit(limits.address_rps, limits.address_burst, monotonic)
        self.bodies = BodyReader(settings.collector.body_timeout_s)
        self.tracker_path = settings.collector.tracker_path
        self.trusted_proxies = frozenset(settings.collector.trusted_proxies)
        self.tracker = TRACKER_FILE.read_bytes() if TRACKER_FILE.exists() else None
        self.openapi = orjson.dumps(openapi_document(self.routes, settings))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        response = await self.respond(scope, receive)
        await response.send(send)
        self.metrics.observe("collector_request_seconds", time.perf_counter() - started)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        warm_up()  # load parsers and geo data now, not on the first request
        # The parsers' tables and caches live as long as the process: kept out of the full
        # garbage collections, which they would make long (the requests' tail latency; see
        # docs/tuning.md).
        gc.freeze()
        await self.sink.start()
        if self.accepted is not None:
            self.accepted.start()

    async def shutdown(self) -> None:
        await self.sink.stop()
        if self.accepted is not None:  # after the sink: every count of a delivered event
            await asyncio.to_thread(self.accepted.stop)

    async def respond(self, scope: Scope, receive: Receive) -> Response:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        route = self.routes.get((method, path))
        if route is not None:
            response = await self.collect(scope, receive, headers, route.protocol, route.parse)
            self.metrics.count(
                "collector_requests_total",
                protocol=route.protocol.value,
                status=str(response.status),
            )
            return self.with_cors(response, headers)
        if method == "OPTIONS" and any(p == path for _, p in self.routes):
            return self.preflight(headers)
        if method in ("GET", "HEAD"):
            fixed = self.fixed_route(path)
            if fixed is not None:
                return fixed
        known = {p for _, p in self.routes}
        if path in known:
            allowed = sorted(m for m, p in self.routes if p == path)
            return Response.error(405, "method_not_allowed", f"{path} takes {', '.join(allowed)}")
        return Response.error(404, "not_found", f"no endpoint {path}; see /openapi.json")

    def fixed_route(self, path: str) -> Response | None:
        if path == "/health":
            return Response.json(200, {"status": "ok", **self.sink.health()})
        if path == "/metrics":
            return Response(200, self.metrics.render(), CONTENT_TYPE)
        if path == "/openapi.json":
            return Response(200, self.openapi)
        if path == self.tracker_path:
            if self.tracker is None:
                return Response.error(404, "not_built", "the tracker is not built (tracker/dist)")
            return Response(
                200,
                self.tracker,
                "application/javascript; charset=utf-8",
                {"cache-control": "public, max-age=3600", "access-control-allow-origin": "*"},
            )
        return None

    async def collect(
        self,
        scope: Scope,
        receive: Receive,
        headers: dict[str, str],
        protocol: Protocol,
        parse: ParseFn,
    ) -> Response:
        address = client_ip(scope, headers, self.trusted_proxies)
        throttled = self.throttle_address(address)
        if throttled is not None:
            return throttled_response(throttled)
        settings = self.settings.collector
        limit = settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return self.too_large(protocol, limit)
        try:
            body = await self.bodies.read(receive, limit)
            if headers.get("content-encoding", "").lower() == "gzip":
                body = gunzip(body, limit)
        except BodyTooLarge:
            return self.too_large(protocol, limit)
        except BodyTimeout as slow:
            # The rest of a slow body may still come: the connection closes after the answer.
            return Response.error(408, "body_timeout", str(slow), {"connection": "close"})
        except zlib.error as error:
            self.metrics.count("collector_events_rejected_total", reason=BadReason.MALFORMED.value)
            return Response.error(400, BadReason.MALFORMED.value, f"gzip body unreadable: {error}")
        query_string = scope.get("query_string", b"")
        hit = Hit(
            protocol=protocol,
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(query_string.decode("latin-1"))) if query_string else {},
            headers=headers,
            body=body,
            client_ip=address,
            received_at=self.clock(),
        )
        try:
            outcome = await self.pipeline.handle(hit, parse)
        except SpoolFull as full:
            log.error("refusing events: %s", full)
            return Response.json(
                503,
                {"error": "spool_full", "detail": "Kafka is unreachable and the spool is full"},
                headers={"retry-after": "30"},
            )
        return protocol_response(protocol, outcome)

    def throttle_address(self, address: str) -> Throttled | None:
        wait = self.address_limit.take(address_key(address))
        if wait is None:
            return None
        self.metrics.count("collector_rate_limited_total", limit="address")
        rate = self.address_limit.rate
        return Throttled("address", wait, f"this address is over its limit of {rate:g} requests/s")

    def too_large(self, protocol: Protocol, limit: int) -> Response:
        """A body over ``collector.max_body_bytes`` is not read, so it leaves no bad row (its
        payload is not there to keep); it is counted."""
        self.metrics.count("collector_events_rejected_total", reason=BadReason.TOO_LARGE.value)
        detail = f"the body exceeds {limit} bytes"
        return refused_response(protocol, 413, BadReason.TOO_LARGE.value, detail)

    def preflight(self, headers: dict[str, str]) -> Response:
        response = Response(204, content_type="text/plain")
        response.headers.update(
            {
                "access-control-allow-origin": "*",
                "access-control-allow-methods": CORS_METHODS,
                "access-control-allow-headers": CORS_HEADERS,
                "access-control-max-age": "86400",
                "vary": "Origin",
            }
        )
        return self.with_cors(response, headers)

    @staticmethod
    def with_cors(response: Response, headers: dict[str, str]) -> Response:
        # Errors carry the header too: without it a browser hides a 4xx from the tracker as a
        # network error, and the tracker would retry what must not be retried. Trackers that
        # send with credentials (Snowplow's) read only an answer that names their exact origin
        # and allows credentials, which "*" never may.
        origin = headers.get("origin")
        if origin:
            response.headers["access-control-allow-origin"] = origin
            response.headers["access-control-allow-credentials"] = "true"
            response.headers["vary"] = "Origin"
        return response
