"""beacon's own wire format: what tracker/src/tracker.js and the Python SDK send."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from collector.protocols import native
from lakehouse.bad_rows import BadReason
from lakehouse.schema import ClientEventV1, Protocol
from tests.support.captured_requests import SequentialIds, make_hit


def _tracker_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "0b6f3c1e-5d9a-4b8e-9f2a-1c3d5e7f9a0b",
        "type": "page",
        "name": "pageview",
        "site_id": "demo-shop",
        "client_ts": "2026-11-25T09:59:59.250Z",
        "url": "https://shop.example/?utm_source=ads&utm_medium=cpc",
        "path": "/",
        "title": "Shop",
        "screen_width": 1920,
        "screen_height": 1080,
        "language": "en-US",
        "properties": {"ab": "b"},
        "library_name": "beacon-js",
        "library_version": "1.0.0",
        "anonymous_id": "5b1f0a52-3f0e-4a5c-8d7e-2b9c4d6e8f10",
    }
    event.update(changes)
    return event


def test_sendbeacon_batch_as_text_plain_passes_through() -> None:
    events = [
        _tracker_event(),
        _tracker_event(event_id="e-2", type="track", name="signup", properties={"plan": "pro"}),
    ]
    hit = make_hit(
        Protocol.NATIVE,
        "POST",
        "/x/b",
        json.dumps(events).encode(),
        headers={"content-type": "text/plain;charset=UTF-8"},
    )
    parsed = native.parse(hit, SequentialIds())
    assert parsed.bad == []
    assert parsed.credentials.site_ref == "demo-shop"
    first, second = parsed.events
    assert first == {
        **_tracker_event(),
        "client_ts": datetime(2026, 11, 25, 9, 59, 59, 250000, tzinfo=UTC),
    }
    assert second["name"] == "signup"
    assert second["properties"] == {"plan": "pro"}
    for event in parsed.events:
        ClientEventV1.model_validate(event)  # what the pipeline will check next


def test_sdk_single_event_with_write_key_and_loose_values() -> None:
    event = {
        "event_id": "sdk-1",
        "type": "track",
        "name": "invoice_paid",
        "site_id": "demo-shop",
        "user_id": 42,
        "client_ts": "2026-11-25T09:00:00",  # naive: taken as UTC
        "properties": {"amount": 12.5, "paid": True, "lines": [{"sku": "A"}], "note": None},
    }
    auth = "Basic " + base64.b64encode(b"demo-shop-write-key:").decode()
    hit = make_hit(
        Protocol.NATIVE, "POST", "/x/e", json.dumps(event).encode(), headers={"authorization": auth}
    )
    parsed = native.parse(hit)
    assert parsed.credentials.write_key == "demo-shop-write-key"
    [mapped] = parsed.events
    assert mapped["user_id"] == "42"
    assert mapped["client_ts"] == datetime(2026, 11, 25, 9, tzinfo=UTC)
    assert mapped["properties"] == {"amount": "12.5", "paid": "true", "lines": '[{"sku":"A"}]'}


def test_invalid_events_are_left_for_validation_not_repaired() -> None:
    # No event_id, an unknown field, an unreadable time: the pipeline's schema validation
    # rejects these with schema_violation; the adapter neither invents nor drops fields.
    event = {"type": "page", "site_id": "demo-shop", "client_ts": "soon", "colour": "red"}
    [mapped] = native.parse(
        make_hit(Protocol.NATIVE, "POST", "/x/e", json.dumps(event).encode())
    ).events
    assert mapped == event


def test_bad_items_and_mixed_sites_do_not_reject_the_rest() -> None:
    items: list[Any] = [
        _tracker_event(),
        "oops",
        _tracker_event(site_id="demo-docs"),
        _tracker_event(event_id="e-3"),
    ]
    parsed = native.parse(make_hit(Protocol.NATIVE, "POST", "/x/b", json.dumps(items).encode()))
    assert [e["event_id"] for e in parsed.events] == [items[0]["event_id"], "e-3"]
    assert [b.reason for b in parsed.bad] == [BadReason.MALFORMED, BadReason.UNSUPPORTED]
    assert json.loads(parsed.bad[1].payload)["site_id"] == "demo-docs"


def test_wrong_shapes_are_malformed() -> None:
    for path, body in [
        ("/x/b", b'{"type": "page"}'),
        ("/x/e", b"[]"),
        ("/x/b", b"[1,"),
        ("/x/b/", b"3"),
    ]:
        parsed = native.parse(make_hit(Protocol.NATIVE, "POST", path, body))
        assert parsed.events == []
        [bad] = parsed.bad
        assert (bad.reason, bad.payload) == (BadReason.MALFORMED, body.decode())
