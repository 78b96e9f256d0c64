"""A tiny HTTP server on 127.0.0.1 that records the requests a client library sends, so
that a test can feed the library's exact bytes to a protocol adapter as a Hit."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from collector.model import Hit
from collector.protocols import route
from lakehouse.schema import Protocol

RECEIVED_AT = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


class CaptureServer:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.requests: list[Request] = []

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])


@contextmanager
def capture_server() -> Iterator[CaptureServer]:
    """Serve on a free loopback port in a thread; stopped when the block ends."""
    captured: list[Request] = []

    class Recorder(BaseHTTPRequestHandler):
        def _record(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            captured.append(
                Request(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = _record

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    capture = CaptureServer(server)
    capture.requests = captured
    try:
        yield capture
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hit_of(request: Request, received_at: datetime = RECEIVED_AT) -> Hit:
    """The Hit the collector would build for a captured request, routed by the route table."""
    routed = route(request.method, request.path)
    assert routed is not None, f"no route for {request.method} {request.path}"
    return Hit(
        protocol=routed.protocol,
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=request.body,
        client_ip="127.0.0.1",
        received_at=received_at,
    )


def make_hit(
    protocol: Protocol,
    method: str,
    path: str,
    body: bytes = b"",
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    received_at: datetime = RECEIVED_AT,
) -> Hit:
    return Hit(
        protocol=protocol,
        method=method,
        path=path,
        query=query or {},
        headers=headers or {},
        body=body,
        client_ip="203.0.113.9",
        received_at=received_at,
    )


class SequentialIds:
    """A deterministic new_id: id-1, id-2, ..."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"id-{self.count}"
