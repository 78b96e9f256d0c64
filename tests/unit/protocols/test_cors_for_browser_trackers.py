"""The CORS answers the official browser trackers need, in-process with a memory sink.

Snowplow's browser tracker sends with credentials (``credentials: 'include'``): a browser then
reads an answer only if it names the page's exact origin and allows credentials, and with
anonymous tracking it sends an ``SP-Anonymous`` header that the preflight must allow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.in_process_collector import Collector

PAGE_ORIGIN = "https://shop.example"
PIXEL_QUERY = {"e": "pv", "aid": "demo-shop", "eid": "6f1c2a39-3c9e-4a55-9a57-8e3a2f1b0c4d"}


def request(tmp: Path, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return Collector(tmp).request(method, path, **kwargs)


def test_the_preflight_of_a_credentialed_post_with_sp_anonymous_is_allowed(
    tmp_path: Path,
) -> None:
    response = request(
        tmp_path,
        "OPTIONS",
        "/com.snowplowanalytics.snowplow/tp2",
        headers={
            "origin": PAGE_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,sp-anonymous",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "sp-anonymous"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["vary"] == "Origin"


def test_an_answer_to_a_browser_names_its_origin_and_allows_credentials(tmp_path: Path) -> None:
    response = request(tmp_path, "GET", "/i", params=PIXEL_QUERY, headers={"origin": PAGE_ORIGIN})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    # a refusal too, or the tracker takes it for a network error and retries
    refused = request(
        tmp_path, "POST", "/x/b", content=b"{not json", headers={"origin": PAGE_ORIGIN}
    )
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert refused.headers["access-control-allow-credentials"] == "true"


def test_without_an_origin_nothing_is_allowed_with_credentials(tmp_path: Path) -> None:
    server_side = request(tmp_path, "GET", "/i", params=PIXEL_QUERY)
    assert "access-control-allow-credentials" not in server_side.headers
    assert "access-control-allow-origin" not in server_side.headers
    preflight = request(tmp_path, "OPTIONS", "/x/b")
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers  # never with "*"
