"""The collector's HTTP layer in-process, with a memory sink: every endpoint, good and bad
input, and a schemathesis fuzz run over the OpenAPI document (no 5xx, ever)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from collector.app import CollectorApp
from collector.records import Record
from collector.sink import Delivery, MemorySink
from collector.spool import SpoolFull
from lakehouse.settings import Settings, load_settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BROWSER = {
    "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "accept-language": "en-GB",
    "origin": "https://shop.example",
    "content-type": "text/plain;charset=UTF-8",
}


def make_app(tmp: Path) -> tuple[CollectorApp, MemorySink, Settings]:
    settings = load_settings(state_dir=tmp)
    sink = MemorySink()
    return CollectorApp(settings, sink, b"s" * 32, clock=lambda: NOW), sink, settings


def post(
    app: CollectorApp, path: str, body: Any, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    content = body if isinstance(body, bytes | str) else json.dumps(body)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            return await client.post(path, content=content, headers=headers or BROWSER, **kwargs)

    return asyncio.run(call())


def event(**changes: Any) -> dict[str, Any]:
    base = {
        "event_id": "0b6b0c5e-7a55-4f6b-9a0e-1f2e3d4c5b6a",
        "type": "page",
        "name": "pageview",
        "site_id": "demo-shop",
        "client_ts": (NOW - timedelta(seconds=3)).isoformat(),
        "url": "https://shop.example/shoes?utm_source=news&utm_campaign=winter",
        "referrer": "https://t.co/abc",
    }
    return {**base, **changes}


def test_a_native_batch_is_accepted_enriched_and_keyed(tmp_path: Path) -> None:
    app, sink, _ = make_app(tmp_path)
    response = post(app, "/x/b", [event(), event(event_id="e-2", type="track", name="buy")])
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "rejected": 0}
    records = [json.loads(r.value) for r in sink.records]
    first = records[0]
    assert first["path"] == "/shoes"
    assert first["utm_campaign"] == "winter"
    assert first["referrer_class"] == "social"
    assert first["browser"] == "Safari"
    assert first["received_at"] == "2026-11-25T12:00:00Z"
    assert first["protocol"] == "native"
    assert sink.records[0].key == f"demo-shop:{first['visitor_id']}".encode()
    assert "198.51.100.20" not in sink.records[0].value.decode()


def test_future_timestamps_are_clamped_and_old_ones_are_bad_rows(tmp_path: Path) -> None:
    app, sink, _ = make_app(tmp_path)
    future = event(client_ts=(NOW + timedelta(hours=2)).isoformat())
    old = event(event_id="old", client_ts=(NOW - timedelta(hours=73)).isoformat())
    response = post(app, "/x/b", [future, old])
    assert response.json()["accepted"] == 1
    assert response.json()["errors"] == [
        {"index": 1, "reason": "too_old", "detail": response.json()["errors"][0]["detail"]}
    ]
    good = json.loads(sink.records[0].value)
    assert good["client_ts"] == "2026-11-25T12:00:00Z"
    bad = json.loads(sink.records[1].value)
    assert sink.records[1].topic == "events.bad"
    assert bad["reason"] == "too_old"


def test_one_app_answers_each_site_key_and_origin_on_its_own(tmp_path: Path) -> None:
    """The authorizer keeps its last answers: they must stay those of each request's own
    site, write key and Origin, in any order."""
    app, _, _ = make_app(tmp_path)
    evil = {**BROWSER, "origin": "https://evil.example"}
    key = {"authorization": "Basic " + base64.b64encode(b"wrong-key:").decode()}
    answers = [
        post(app, "/x/e", event()).status_code,
        post(app, "/x/e", event(), evil).status_code,
        post(app, "/x/e", event(site_id="nobody")).status_code,
        post(app, "/x/e", event()).status_code,
        post(app, "/v1/track", {"event": "Buy", "userId": "u1"}, key).status_code,
        post(app, "/x/e", event(), evil).status_code,
    ]
    assert answers == [202, 403, 404, 202, 401, 403]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "reason"),
    [
        ("/x/b", b"{not json", None, 400, "malformed"),
        ("/x/e", event(type="click"), None, 400, "schema_violation"),
        ("/x/e", event(site_id="nobody"), None, 404, "unknown_site"),
        ("/x/e", event(), {**BROWSER, "origin": "https://evil.example"}, 403, "origin_not_allowed"),
        ("/x/b", [event()] * 501, None, 413, "too_many_events"),
        ("/x/b", b"[" + b" " * 600_000 + b"]", None, 413, "too_large"),
        (
            "/v1/track",
            {"event": "Buy", "userId": "u1"},
            {"authorization": "Basic " + base64.b64encode(b"wrong-key:").decode()},
            401,
            "bad_write_key",
        ),
        (
            "/mp/collect?measurement_id=G-DEMOSHOP1",
            {"client_id": "c", "events": [{"name": "page_view"}]},
            {},
            401,
            "bad_write_key",
        ),
    ],
)
def test_bad_input_gets_a_4xx_with_a_reason(
    tmp_path: Path,
    path: str,
    body: Any,
    headers: dict[str, str] | None,
    status: int,
    reason: str,
) -> None:
    app, sink, _ = make_app(tmp_path)
    response = post(app, path, body, headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason
    assert response.json()["detail"]
    if reason != "too_large":  # a body never read has no bad row to carry
        assert sink.records
        assert all(r.topic == "events.bad" for r in sink.records)


def test_errors_carry_the_cors_header_so_the_tracker_can_read_them(tmp_path: Path) -> None:
    app, _, _ = make_app(tmp_path)
    response = post(app, "/x/b", b"{not json")
    assert response.headers["access-control-allow-origin"] == "https://shop.example"


def test_unknown_paths_and_methods(tmp_path: Path) -> None:
    app, _, _ = make_app(tmp_path)

    async def call(method: str, path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
            return await client.request(method, path)

    assert asyncio.run(call("GET", "/nope")).status_code == 404
    assert asyncio.run(call("GET", "/x/b")).status_code == 405
    preflight = asyncio.run(call("OPTIONS", "/x/b"))
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    metrics = asyncio.run(call("GET", "/metrics")).text
    assert "# TYPE collector_request_seconds histogram" in metrics


schema = schemathesis.openapi.from_asgi(
    "/openapi.json", make_app(Path("/tmp/beacon-fuzz-state"))[0]
)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_no_endpoint_answers_5xx(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])


class FullSpoolSink(MemorySink):
    async def deliver(self, records: Sequence[Record]) -> Delivery:
        raise SpoolFull("spool /x is full (10 of 10 bytes)")


def test_a_full_spool_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = load_settings(state_dir=tmp_path)
    app = CollectorApp(settings, FullSpoolSink(), b"s" * 32, clock=lambda: NOW)
    response = post(app, "/x/b", [event()])
    assert response.status_code == 503
    assert response.json()["error"] == "spool_full"
    assert response.headers["retry-after"] == "30"


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    app, sink, _ = make_app(tmp_path)  # the test client's address is not a trusted proxy
    spoofed = {**BROWSER, "x-forwarded-for": "81.2.69.160"}
    post(app, "/x/e", event(), spoofed)
    assert json.loads(sink.records[0].value)["country"] is None  # 198.51.100.20: no country

    settings = load_settings(state_dir=tmp_path, collector={"trusted_proxies": ["198.51.100.20"]})
    trusting = CollectorApp(settings, sink, b"s" * 32, clock=lambda: NOW)
    post(trusting, "/x/e", event(event_id="e-3"), spoofed)
    assert json.loads(sink.records[1].value)["country"] == "GB"


def test_a_gzip_body_is_read_and_a_gzip_bomb_refused(tmp_path: Path) -> None:
    app, sink, _ = make_app(tmp_path)
    gzipped = {**BROWSER, "content-encoding": "gzip"}
    response = post(app, "/x/b", gzip.compress(json.dumps([event()]).encode()), gzipped)
    assert response.status_code == 202
    assert len(sink.records) == 1
    bomb = gzip.compress(b"[" + b" " * 20_000_000 + b"]")
    assert len(bomb) < 100_000
    response = post(app, "/x/b", bomb, gzipped)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    response = post(app, "/x/b", b"\x1f\x8bnot really gzip", gzipped)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
