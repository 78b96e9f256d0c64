"""A real page with the snippet, in headless Chromium, through the real collector into Kafka."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lakehouse.schema import EventV1
from lakehouse.settings import Settings
from stack.supervisor import free_port
from tests.support.browsers import CHROME_UA
from tests.support.kafka import consume

HERE = Path(__file__).resolve().parent
PAGE = """<!doctype html>
<html><head><title>Shop home</title>
<script>window.pq=window.pq||function(){{(pq.q=pq.q||[]).push(arguments)}}</script>
<script defer src="{collector}{tracker_path}" data-site="demo-shop" data-api="{collector}"></script>
</head><body>
<a id="spa" href="/product/42" onclick="history.pushState({{}}, '', '/product/42');
   document.title = 'Product 42'; return false">Product</a>
<a id="outbound" href="https://partner.example/offer?ref=shop">Partner offer</a>
</body></html>
"""


@pytest.fixture
def shop_page(collector: Settings) -> Iterator[str]:
    page = PAGE.format(
        collector=f"http://{collector.host}:{collector.ports.collector}",
        tracker_path=collector.collector.tracker_path,
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/?utm_source=newsletter&utm_medium=email"
    server.shutdown()


def events_for_page(settings: Settings, started_ms: int, names: set[str]) -> list[dict[str, Any]]:
    """The tracker's events produced since ``started_ms``, once every wanted kind is in."""
    found = consume(
        settings,
        settings.kafka.events_topic,
        done=lambda kept: names <= {f"{m.value['type']}:{m.value['name']}" for m in kept},
        keep=lambda m: m.timestamp_ms >= started_ms and m.value.get("library_name") == "beacon-js",
        timeout_ms=10_000,
    )
    return [message.value for message in found]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_pageview_spa_custom_and_outbound_events_arrive_enriched(
    collector: Settings, shop_page: str
) -> None:
    if not (HERE.parent.parent / "tracker" / "node_modules" / "playwright-core").exists():
        pytest.fail("tracker dependencies missing: run `npm ci` in tracker/ (make bootstrap)")
    started_ms = int(time.time() * 1000)
    subprocess.run(
        ["node", str(HERE / "browser_flow.mjs"), shop_page, CHROME_UA],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    wanted = {"page:pageview", "track:signup", "track:outbound_click", "track:engagement"}
    events = events_for_page(collector, started_ms, wanted)
    kinds = [f"{e['type']}:{e['name']}" for e in events]
    assert wanted <= set(kinds), kinds

    pageviews = [e for e in events if e["type"] == "page"]
    assert [e["path"] for e in pageviews][:2] == ["/", "/product/42"]
    landing = pageviews[0]
    assert landing["utm_source"] == "newsletter"
    assert landing["referrer_class"] == "email"
    assert landing["title"] == "Shop home"
    signup = next(e for e in events if e["name"] == "signup")
    assert signup["properties"] == {"plan": "pro", "seats": "3"}
    outbound = next(e for e in events if e["name"] == "outbound_click")
    assert outbound["properties"]["url"] == "https://partner.example/offer?ref=shop"
    for event in events:
        EventV1.model_validate(event)
        assert event["site_id"] == "demo-shop"
        assert event["protocol"] == "native"
        assert event["browser"] == "Chrome"
        assert event["os"] == "Linux"
        assert event["device_type"] == "desktop"
        assert event["is_bot"] is False
        assert event["visitor_id"] == events[0]["visitor_id"]  # one cookieless visitor
        assert "anonymous_id" not in event  # cookieless mode: no client id at all
