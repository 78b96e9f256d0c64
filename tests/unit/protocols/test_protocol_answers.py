"""What each protocol's client is answered, in-process with a memory sink: 413 for a body
refused for its size or count, Segment bounded by bytes and not by count, the item index of
every rejection, Snowplow's 200 for what its trackers would retry for ever, and the count of
events the collector cut."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.model import Credentials, Parsed
from collector.protocols import native, segment
from lakehouse.schema import Protocol
from tests.support.captured_requests import make_hit
from tests.support.in_process_collector import Collector

SEGMENT_AUTH = {"authorization": "Basic " + base64.b64encode(b"demo-shop-write-key:").decode()}
SNOWPLOW_POST = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD_DATA = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"


def native_event(**changes: Any) -> dict[str, Any]:
    base = {"type": "track", "name": "signup", "site_id": "demo-shop"}
    return {
        "event_id": str(uuid.uuid4()),
        "client_ts": datetime.now(UTC).isoformat(),
        **base,
        **changes,
    }


def track(**changes: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Tick", "anonymousId": "a-1", **changes}


def post_segment(collector: Collector, batch: list[Any]) -> Any:
    return collector.request("POST", "/v1/batch", json={"batch": batch}, headers=SEGMENT_AUTH)


def test_a_body_refused_for_its_size_or_count_answers_413(tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    big = track(properties={"blob": "z" * 20_000})
    over_bytes = post_segment(collector, [big] * 26)
    assert (over_bytes.status_code, over_bytes.json()["error"]) == (413, "too_large")
    ga4 = collector.request(
        "POST",
        "/mp/collect",
        params={"measurement_id": "G-DEMOSHOP1", "api_secret": "demo-shop-write-key"},
        json={"client_id": "c-1", "events": [{"name": "tick"}] * 26},
    )
    assert (ga4.status_code, ga4.json()["error"]) == (413, "too_many_events")
    # A lone message over 32 KB is refused for its size too; one malformed one is a 400.
    assert post_segment(collector, [track(properties={"blob": "z" * 40_000})]).status_code == 413
    assert post_segment(collector, [track(event=None)]).status_code == 400


def test_a_segment_batch_is_bounded_by_bytes_not_by_the_collectors_count(tmp_path: Path) -> None:
    collector = Collector(tmp_path, {"max_events_per_batch": 10})
    answer = post_segment(collector, [track(messageId=str(n)) for n in range(1_200)])
    assert answer.status_code == 200
    assert answer.json()["accepted"] == 1_200
    tiny: list[Any] = [{}] * (segment.MAX_BATCH_MESSAGES + 1)  # within 500 KB: bounded for safety
    refused = post_segment(collector, tiny)
    assert (refused.status_code, refused.json()["error"]) == (413, "too_many_events")
    assert len(collector.bad_rows()) == 1


def test_the_count_limit_counts_bad_items_and_refuses_the_body_in_one_bad_row(
    tmp_path: Path,
) -> None:
    collector = Collector(tmp_path, {"max_events_per_batch": 10})
    answer = collector.request("POST", "/x/b", json=[native_event()] * 5 + ["junk"] * 6)
    assert answer.status_code == 413
    assert answer.json()["errors"] == [
        {"index": None, "reason": "too_many_events", "detail": answer.json()["detail"]}
    ]
    [row] = collector.bad_rows()
    assert row["reason"] == "too_many_events"
    assert "junk" in row["payload"]


def test_every_rejection_carries_the_index_of_its_item_in_the_request(tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    batch = [
        track(),
        track(event=None),  # parse
        track(),
        "not a message",  # parse
        {"type": "page", "anonymousId": "a-1", "properties": {"url": "data:,x"}},  # validate
    ]
    answer = post_segment(collector, batch)
    assert answer.status_code == 200
    assert answer.json()["accepted"] == 2
    assert [e["index"] for e in answer.json()["errors"]] == [1, 3, 4]
    native_batch = ["junk", native_event(site_id="nobody")]  # parse; authorize (one site)
    refused = collector.request("POST", "/x/b", json=native_batch)
    assert [e["index"] for e in refused.json()["errors"]] == [0, 1]
    assert [e["reason"] for e in refused.json()["errors"]] == ["malformed", "unknown_site"]


def test_a_parsed_request_names_the_item_of_each_event_and_bad_row() -> None:
    body = json.dumps([native_event(), "junk", native_event(), 7]).encode()
    parsed = native.parse(make_hit(Protocol.NATIVE, "POST", "/x/b", body))
    assert (parsed.event_items, parsed.bad_items, parsed.item_count) == ([0, 2], [1, 3], 4)
    whole = native.parse(make_hit(Protocol.NATIVE, "POST", "/x/b", b"{"))
    assert (whole.bad_items, whole.item_count) == ([None], 0)
    one = Parsed(Credentials(), [native_event()])  # a request of one event: its item 0
    assert (one.event_items, one.bad_items) == ([0], [])
    with pytest.raises(ValueError, match="one item position"):
        Parsed(Credentials(), [native_event()], event_items=[0, 1])


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "reason"),
    [
        ("GET", "/i", {"params": {"e": "pv", "aid": "no-such-app"}}, "unknown_site"),
        (
            "POST",
            SNOWPLOW_POST,
            {"json": {"schema": PAYLOAD_DATA, "data": [{"e": "pv", "aid": "no-such-app"}]}},
            "unknown_site",
        ),
        (
            "POST",
            SNOWPLOW_POST,
            {"json": {"schema": PAYLOAD_DATA, "data": [{"e": "pv", "aid": "demo-docs"}] * 3}},
            "too_many_events",
        ),
    ],
)
def test_snowplow_is_answered_200_for_what_its_trackers_would_retry_for_ever(
    tmp_path: Path, method: str, path: str, kwargs: dict[str, Any], reason: str
) -> None:
    collector = Collector(tmp_path, {"max_events_per_batch": 2})
    answer = collector.request(method, path, **kwargs)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/gif"
    [row] = collector.bad_rows()
    assert (row["reason"], row["protocol"]) == (reason, "snowplow")
    # What a retry can change is still answered as an error: a malformed body is not.
    assert collector.request("POST", SNOWPLOW_POST, content=b"{").status_code == 400


def test_a_snowplow_body_too_large_to_read_is_answered_200(tmp_path: Path) -> None:
    collector = Collector(tmp_path, {"max_body_bytes": 1024})
    answer = collector.request("POST", SNOWPLOW_POST, content=b" " * 2048)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/gif"
    assert collector.metrics.value("collector_events_rejected_total", reason="too_large") == 1
    native_answer = collector.request("POST", "/x/b", content=b" " * 2048)
    assert (native_answer.status_code, native_answer.json()["error"]) == (413, "too_large")


def test_the_answer_counts_the_accepted_events_the_collector_cut(tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    wide = native_event(properties={f"k{n}": n for n in range(100)})
    long_name = native_event(name="n" * 1000)
    answer = collector.request("POST", "/x/b", json=[wide, native_event(), long_name])
    assert answer.status_code == 202
    assert answer.json() == {"accepted": 3, "rejected": 0, "truncated": 2}
    metric = "collector_events_truncated_total"
    assert collector.metrics.value(metric, protocol="native") == 2
    whole = collector.request("POST", "/x/e", json=native_event())
    assert "truncated" not in whole.json()
    assert collector.metrics.value(metric, protocol="native") == 2
