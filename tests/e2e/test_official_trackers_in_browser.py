"""The official Snowplow and Plausible browser trackers, bundled from npm, in headless
Chromium, through the real collector into Kafka: every event they send lands in events.v1
once, with the fields it carries.

``official_trackers/flows.mjs`` drives the trackers and reports every request the browser
sent to the collector; this test reads what they carried and finds each event in events.v1.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from lakehouse.schema import EventV1
from lakehouse.settings import Settings
from tests.support.browsers import CHROME_UA
from tests.support.kafka_log import read_to_end

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TRACKERS = HERE / "official_trackers"
TRACKER = ROOT / "tracker"  # its playwright-core drives Chromium
SNOWPLOW_PATHS = ("/i", "/com.snowplowanalytics.snowplow/tp2")
ENGAGEMENT = {"engaged_ms", "scroll_pct"}  # what beacon's own tracker reports on engagement


def run_flows(collector: Settings, run: str) -> list[dict[str, Any]]:
    """The requests the pages sent to the collector, each answered 2xx."""
    for folder, package in [(TRACKERS, "@snowplow/browser-tracker"), (TRACKER, "playwright-core")]:
        if not (folder / "node_modules" / package).exists():
            pytest.fail(f"{package} missing: run `npm ci` in {folder.relative_to(ROOT)}")
    origin = f"http://{collector.host}:{collector.ports.collector}"
    done = subprocess.run(
        ["node", str(TRACKERS / "flows.mjs"), origin, CHROME_UA, run],
        timeout=180,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    requests: list[dict[str, Any]] = json.loads(done.stdout)["requests"]
    unanswered = [r for r in requests if not (r["status"] and 200 <= r["status"] < 300)]
    assert unanswered == [], unanswered
    return requests


def snowplow_events(requests: list[dict[str, Any]]) -> list[tuple[dict[str, str], str]]:
    """Each Snowplow event sent, as its parameter map, with the page config it came from."""
    sent: list[tuple[dict[str, str], str]] = []
    for request in requests:
        parts = urlsplit(request["url"])
        if parts.path not in SNOWPLOW_PATHS:
            continue
        if request["method"] == "GET":
            items = [dict(parse_qsl(parts.query))]
        else:
            items = json.loads(request["body"])["data"]
        for params in items:
            config = dict(parse_qsl(urlsplit(params["url"]).query))["config"]
            sent.append((params, config))
    return sent


def plausible_events(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in requests if urlsplit(r["url"]).path == "/api/event"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_every_event_of_the_official_trackers_lands_once_with_its_fields(
    collector: Settings,
) -> None:
    run = uuid.uuid4().hex
    requests = run_flows(collector, run)
    snowplow, plausible = snowplow_events(requests), plausible_events(requests)
    assert Counter(config for _, config in snowplow) == {"post": 3, "get": 3, "anonymous": 3}
    assert [body["n"] for body in plausible] == [
        "pageview",
        "engagement",  # the page left by SPA navigation
        "pageview",
        "signup",
        "engagement",  # the page hidden
    ]
    anonymous = [r for r in requests if r["headers"].get("sp-anonymous") == "*"]
    assert anonymous, "the anonymous tracker asked for server-side anonymisation"

    def ours(event: dict[str, Any]) -> bool:
        return run in (event.get("url") or "")

    landed = read_to_end(
        collector,
        collector.kafka.events_topic,
        keep=ours,
        complete=lambda events: len(events) >= len(snowplow) + len(plausible),
    )
    for event in landed:
        EventV1.model_validate(event)
        assert event["site_id"] == "demo-shop"
        assert event["is_bot"] is False
        assert event["browser"] == "Chrome"
        assert event["device_type"] == "desktop"
    by_protocol = Counter(event["protocol"] for event in landed)
    assert by_protocol == {"snowplow": len(snowplow), "plausible": len(plausible)}

    by_id = {e["event_id"]: e for e in landed if e["protocol"] == "snowplow"}
    assert Counter(e["event_id"] for e in landed if e["protocol"] == "snowplow") == Counter(
        params["eid"] for params, _ in snowplow
    ), "each Snowplow event exactly once"
    for params, config in snowplow:
        assert_snowplow_fields(by_id[params["eid"]], params, config)

    mapped = [e for e in landed if e["protocol"] == "plausible"]
    assert Counter((e["name"], e["url"]) for e in mapped) == Counter(
        (body["n"], body["u"]) for body in plausible
    ), "each Plausible event exactly once"
    for body in plausible:
        event = next(e for e in mapped if (e["name"], e["url"]) == (body["n"], body["u"]))
        assert_plausible_fields(event, body)
    assert len({e["visitor_id"] for e in mapped}) == 1  # one cookieless visitor


def assert_snowplow_fields(event: dict[str, Any], params: dict[str, str], config: str) -> None:
    kinds = {"pv": ("page", "pageview"), "se": ("track", params.get("se_ac"))}
    if params["e"] == "ue":
        encoded = params.get("ue_pr") or _base64url(params["ue_px"])
        envelope = json.loads(encoded)["data"]
        kinds["ue"] = ("track", envelope["schema"].split("/")[1])
        assert event["properties"] == {**_texts(envelope["data"]), "schema": envelope["schema"]}
    assert (event["type"], event["name"]) == kinds[params["e"]]
    assert event["url"] == params["url"]
    assert event.get("title") == params.get("page")
    width, height = (int(n) for n in params["res"].split("x"))
    assert (event["screen_width"], event["screen_height"]) == (width, height)
    assert event["language"] == params["lang"]
    assert (event["library_name"], event["library_version"]) == ("snowplow-js", "4.10.1")
    assert params["tv"] == "js-4.10.1"
    if config == "anonymous":
        assert "duid" not in params
        assert "anonymous_id" not in event
        assert len(event["visitor_id"]) == 32  # the cookieless hash
    else:
        assert event["anonymous_id"] == params["duid"] == event["visitor_id"]
        assert event["session_id"] == params["sid"]
    if params["e"] == "se":
        assert event["properties"] == {"category": "video", "label": "intro", "value": "3"}


def assert_plausible_fields(event: dict[str, Any], body: dict[str, Any]) -> None:
    assert event["type"] == ("page" if body["n"] == "pageview" else "track")
    assert (event["library_name"], event["library_version"]) == ("plausible-js", str(body["v"]))
    assert "referrer" not in event  # a direct visit: the script sends r: null
    properties = event.get("properties", {})
    if body["n"] == "engagement":
        # the same engagement event as beacon's tracker sends, not a custom event's props
        assert set(properties) == ENGAGEMENT
        assert properties == {"engaged_ms": str(body["e"]), "scroll_pct": str(body["sd"])}
        assert body["sd"] > 0  # the page was scrolled before it was left
    elif body["n"] == "signup":
        assert properties == {"plan": "pro", "revenue_amount": "15.99", "revenue_currency": "USD"}
    else:
        assert properties == {}
    assert event["path"] == urlsplit(body["u"]).path


def _base64url(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


def _texts(data: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in data.items()}
