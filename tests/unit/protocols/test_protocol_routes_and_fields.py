"""The route table, the shared events.v1 shaping, and the promise that no adapter raises."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.protocols import ROUTES, ga4, native, plausible, route, segment, snowplow
from collector.protocols.fields import (
    DROPPED_PROPERTIES_KEY,
    TRUNCATED_KEY,
    finish_event,
    flatten_properties,
)
from lakehouse.schema import (
    CLIENT_FIELDS,
    MAX_PROPERTIES,
    MAX_PROPERTY_KEY,
    MAX_PROPERTY_VALUE,
    ClientEventV1,
    EventType,
    Protocol,
)
from tests.support.captured_requests import RECEIVED_AT, make_hit

EVENT = {"event_id": "e-1", "type": "track", "name": "signup", "client_ts": RECEIVED_AT}


def test_route_table_is_exactly_the_documented_endpoints() -> None:
    table = {(method, path): (r.protocol, r.parse) for (method, path), r in ROUTES.items()}
    assert table == {
        ("POST", "/x/b"): (Protocol.NATIVE, native.parse),
        ("POST", "/x/e"): (Protocol.NATIVE, native.parse),
        ("POST", "/v1/batch"): (Protocol.SEGMENT, segment.parse),
        ("POST", "/v1/track"): (Protocol.SEGMENT, segment.parse),
        ("POST", "/v1/page"): (Protocol.SEGMENT, segment.parse),
        ("POST", "/v1/screen"): (Protocol.SEGMENT, segment.parse),
        ("POST", "/v1/identify"): (Protocol.SEGMENT, segment.parse),
        ("POST", "/v1/alias"): (Protocol.SEGMENT, segment.parse),
        ("POST", "/v1/group"): (Protocol.SEGMENT, segment.parse),
        ("GET", "/i"): (Protocol.SNOWPLOW, snowplow.parse),
        ("POST", "/com.snowplowanalytics.snowplow/tp2"): (Protocol.SNOWPLOW, snowplow.parse),
        ("POST", "/mp/collect"): (Protocol.GA4, ga4.parse),
        ("POST", "/api/event"): (Protocol.PLAUSIBLE, plausible.parse),
    }
    documented = (Path(__file__).parents[3] / "docs" / "protocols.md").read_text(encoding="utf-8")
    for method, path in ROUTES:
        assert f"`{method} {path}`" in documented


def test_route_lookup() -> None:
    found = route("post", "/v1/batch/")
    assert found is not None
    assert found.protocol == Protocol.SEGMENT
    assert route("GET", "/x/b") is None
    assert route("POST", "/nope") is None


def test_properties_are_flat_strings_within_the_schema_bounds() -> None:
    flat, cut = flatten_properties({"f": 2.0, "n": None, "t": False, "big": 10**20, "": "x"})
    assert (flat, cut) == ({"f": "2", "t": "false", "big": "100000000000000000000"}, False)
    long, cut = flatten_properties({"x" * 500: "v" * 5000, "nested": {"a": [1, None, {"b": "ü"}]}})
    assert long == {
        "x" * MAX_PROPERTY_KEY: "v" * MAX_PROPERTY_VALUE,
        "nested": '{"a":[1,null,{"b":"ü"}]}',
    }
    assert cut


def test_an_event_of_ten_thousand_properties_is_kept_and_says_what_was_cut() -> None:
    event = finish_event({**EVENT, "properties": {f"k{n:05d}": n for n in range(10_000)}})
    properties = event["properties"]
    assert len(properties) == MAX_PROPERTIES
    kept = [key for key in properties if not key.startswith("_")]
    assert kept == [f"k{n:05d}" for n in range(MAX_PROPERTIES - 2)]  # the first, as sent
    assert properties[DROPPED_PROPERTIES_KEY] == str(10_000 - (MAX_PROPERTIES - 2))
    assert properties[TRUNCATED_KEY] == "properties"
    ClientEventV1.model_validate({**event, "site_id": "demo-shop"})


def test_every_cut_is_named_in_the_event_and_the_marks_fit_the_bound() -> None:
    assert "properties" not in finish_event(EVENT)  # nothing cut, nothing marked
    exactly_full = {f"k{n}": "v" for n in range(MAX_PROPERTIES)}
    assert finish_event({**EVENT, "properties": exactly_full})["properties"] == exactly_full
    # a cut elsewhere needs a mark, and the mark needs room: the last entries give way
    event = finish_event({**EVENT, "title": "t" * 600, "properties": exactly_full})
    assert len(event["properties"]) == MAX_PROPERTIES
    assert event["properties"][TRUNCATED_KEY] == "properties,title"
    assert event["properties"][DROPPED_PROPERTIES_KEY] == "2"
    long_value = finish_event({**EVENT, "properties": {"q": "v" * 5000}})
    assert long_value["properties"] == {"q": "v" * MAX_PROPERTY_VALUE, TRUNCATED_KEY: "properties"}
    ClientEventV1.model_validate({**event, "site_id": "demo-shop"})


def test_a_cut_the_client_marked_itself_stays_named_beside_the_collectors() -> None:
    marked = {"plan": "pro", TRUNCATED_KEY: "properties"}  # as beacon's tracker sends it
    assert finish_event({**EVENT, "properties": marked})["properties"] == marked
    event = finish_event({**EVENT, "title": "t" * 600, "properties": marked})
    assert event["properties"] == {"plan": "pro", TRUNCATED_KEY: "properties,title"}


def test_descriptive_strings_are_cut_identifiers_are_not() -> None:
    bounds = {f.name: f.max_length for f in CLIENT_FIELDS}
    event = finish_event(
        {
            "title": "t" * 600,
            "url": "https://x.example/" + "p" * 3000,
            "user_id": "u" * 300,
            "screen_width": -1,
        }
    )
    assert len(event["title"]) == bounds["title"]
    assert len(event["url"]) == bounds["url"]
    assert len(event["user_id"]) == 300  # validation rejects it; a cut id would be someone else
    assert "screen_width" not in event
    assert event["properties"] == {TRUNCATED_KEY: "screen_width,title,url"}


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["pv", "se", "ue", "pp", "page_view", "pageview", "track", "page", "1-0-0"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=20,
)
KEYS = st.text(max_size=3) | st.sampled_from(
    [
        "e",
        "eid",
        "aid",
        "dtm",
        "stm",
        "ttm",
        "ue_pr",
        "ue_px",
        "co",
        "cx",
        "url",
        "res",
        "type",
        "event",
        "batch",
        "timestamp",
        "originalTimestamp",
        "sentAt",
        "events",
        "name",
        "params",
        "timestamp_micros",
        "props",
        "p",
        "revenue",
        "h",
        "domain",
        "u",
        "n",
        "data",
        "schema",
        "site_id",
        "client_ts",
        "properties",
        "context",
        "messageId",
        "userId",
        "device",
    ]
)
BODIES = st.dictionaries(KEYS, JSON, max_size=8) | st.lists(
    st.dictionaries(KEYS, JSON, max_size=6), max_size=4
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=BODIES,
    raw=st.binary(max_size=40),
    use_raw=st.booleans(),
    routed=st.sampled_from(sorted(ROUTES)),
)
def test_no_adapter_raises_on_any_input(
    body: Any, raw: bytes, use_raw: bool, routed: tuple[str, str]
) -> None:
    method, path = routed
    target = ROUTES[routed]
    encoded = raw if use_raw else json.dumps(body).encode()
    query = (
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        if isinstance(body, dict)
        else {}
    )
    hit = make_hit(target.protocol, method, path, b"" if method == "GET" else encoded, query=query)
    parsed = target.parse(hit)
    assert all(bad.protocol == target.protocol for bad in parsed.bad)
    if target.protocol == Protocol.NATIVE:
        return  # native events pass through as sent; the pipeline validates them
    for event in parsed.events:
        # Mapped events always carry the fields a third-party client cannot get wrong.
        assert isinstance(event["client_ts"], datetime)
        assert event["client_ts"].tzinfo is not None
        assert isinstance(event["event_id"], str)
        assert event["type"] in set(EventType)
        assert all(isinstance(v, str) for v in event.get("properties", {}).values())
