"""The collector's HTTP layer: a small ASGI application.

It only turns HTTP into a :class:`Hit`, hands it to the :class:`Pipeline` with the parse
function its route names, and turns the :class:`Outcome` back into HTTP. Routes: the protocol
table of :mod:`collector.protocols`, plus /health, /metrics, /openapi.json and the tracker.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from collector.enrich import warm_up
from collector.metrics import Metrics
from collector.model import Hit
from collector.openapi import openapi_document
from collector.pipeline import Clock, Outcome, ParseFn, Pipeline, utc_now
from collector.protocols import ROUTES, Route
from collector.sink import Sink
from collector.spool import SpoolFull
from lakehouse.bad_rows import BadReason
from lakehouse.schema import Protocol
from lakehouse.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("beacon.collector")

TRACKER_FILE = Path(__file__).resolve().parent.parent / "tracker" / "dist" / "p.js"
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
CORS_METHODS = "GET, POST, OPTIONS"
# sp-anonymous: Snowplow's browser tracker asks for server-side anonymisation with it.
CORS_HEADERS = "content-type, authorization, sp-anonymous"


class BodyTooLarge(Exception):
    pass


class Response:
    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = {"content-type": content_type, **(headers or {})}

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(status, orjson.dumps(payload), headers=headers)

    @classmethod
    def error(cls, status: int, reason: str, detail: str) -> Response:
        return cls.json(status, {"error": reason, "detail": detail})

    async def send(self, send: Send) -> None:
        headers = [(k.encode(), v.encode()) for k, v in self.headers.items()]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def protocol_response(protocol: Protocol, outcome: Outcome) -> Response:
    """Each protocol answers the way its clients expect; errors are JSON everywhere."""
    status = outcome.status
    if status >= 400:
        return Response.json(status, outcome.summary())
    if protocol is Protocol.SNOWPLOW:
        return Response(200, PIXEL, "image/gif", {"cache-control": "no-store"})
    if protocol is Protocol.GA4:
        return Response(204)
    if protocol is Protocol.SEGMENT:
        return Response.json(200, {"success": True, **outcome.summary()})
    return Response.json(202 if outcome.accepted else 200, outcome.summary())


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def gunzip(body: bytes, limit: int) -> bytes:
    """A gzip body, decompressed up to ``limit`` bytes (a small body may inflate enormously)."""
    inflater = zlib.decompressobj(wbits=31)
    plain = inflater.decompress(body, limit + 1)
    if len(plain) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge
    return plain


def client_ip(scope: Scope, headers: dict[str, str], trusted: frozenset[str]) -> str:
    """The visitor's address: the peer's, or the first X-Forwarded-For entry when the peer is
    a trusted proxy (anyone else could claim any address for geo and the visitor hash)."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    forwarded = headers.get("x-forwarded-for")
    if forwarded and peer in trusted:
        return forwarded.split(",")[0].strip()
    return peer


METRICS_PUBLISH_S = 1.0


class CollectorApp:
    def __init__(
        self,
        settings: Settings,
        sink: Sink,
        secret: bytes,
        metrics: Metrics | None = None,
        clock: Clock = utc_now,
        routes: Mapping[tuple[str, str], Route] = ROUTES,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.routes = routes
        self.pipeline = Pipeline(settings, sink, self.metrics, secret)
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
                warm_up()  # load parsers and geo data now, not on the first request
                # The parsers' tables and caches live as long as the process: keep them out
                # of the collector's full garbage collections, which they would make last
                # tens of milliseconds (the requests' tail latency).
                gc.freeze()
                await self.sink.start()
                publisher = asyncio.create_task(self.publish_metrics())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                publisher.cancel()
                await self.sink.stop()
                self.metrics.publish()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def publish_metrics(self) -> None:
        """Share this worker's metrics with the other workers' /metrics, every second."""
        while self.metrics.shared is not None:
            await asyncio.to_thread(self.metrics.publish)
            await asyncio.sleep(METRICS_PUBLISH_S)

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
            return Response(200, self.metrics.render().encode(), "text/plain; version=0.0.4")
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
        limit = self.settings.collector.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return self.too_large(limit)
        try:
            body = await read_body(receive, limit)
            if headers.get("content-encoding", "").lower() == "gzip":
                body = gunzip(body, limit)
        except BodyTooLarge:
            return self.too_large(limit)
        except zlib.error as error:
            self.metrics.count("collector_events_rejected_total", reason=BadReason.MALFORMED.value)
            return Response.error(400, BadReason.MALFORMED.value, f"gzip body unreadable: {error}")
        hit = Hit(
            protocol=protocol,
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            headers=headers,
            body=body,
            client_ip=client_ip(scope, headers, self.trusted_proxies),
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

    def too_large(self, limit: int) -> Response:
        self.metrics.count("collector_events_rejected_total", reason=BadReason.TOO_LARGE.value)
        return Response.error(413, BadReason.TOO_LARGE.value, f"the body exceeds {limit} bytes")

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
