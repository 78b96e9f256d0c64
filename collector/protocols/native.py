"""beacon's own wire format (the JS tracker and the Python SDK): events already named as
events.v1 client fields. ``POST /x/b`` carries a JSON array of events (sendBeacon sends it as
text/plain), ``POST /x/e`` one JSON object."""

from __future__ import annotations

from typing import Any

from collector.model import Credentials, Hit, Parsed
from collector.protocols.decoding import (
    Malformed,
    NewId,
    basic_auth_user,
    decode_json,
    endpoint,
    json_kind,
    map_items,
    rejected,
    uuid4_str,
)
from collector.protocols.fields import finish_event, text
from lakehouse.bad_rows import BadReason

BATCH_PATH = "/x/b"
EVENT_PATH = "/x/e"


def parse(hit: Hit, new_id: NewId = uuid4_str) -> Parsed:
    """Native events pass through as sent, shaped by :func:`finish_event`; validation
    against events.v1 is the pipeline's. They carry their own event_id, so ``new_id`` is
    not used: an event without one is invalid, not ours to name."""
    credentials = Credentials(write_key=basic_auth_user(hit))
    try:
        body = decode_json(hit)
        if endpoint(hit) == BATCH_PATH and not isinstance(body, list):
            raise Malformed(f"body is a JSON {json_kind(body)}; {BATCH_PATH} expects an array")
        if endpoint(hit) != BATCH_PATH and not isinstance(body, dict):
            raise Malformed(f"body is a JSON {json_kind(body)}; {EVENT_PATH} expects an object")
    except Malformed as error:
        return rejected(hit, credentials, error)
    items: list[Any] = body if isinstance(body, list) else [body]
    site_ref = next(
        (ref for item in items if isinstance(item, dict) and (ref := text(item.get("site_id")))),
        None,
    )

    def map_item(item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise Malformed(f"event is a JSON {json_kind(item)}; expected an object")
        site_id = text(item.get("site_id"))
        if site_id is not None and site_id != site_ref:
            raise Malformed(
                f"site_id {site_id!r} differs from {site_ref!r}: one request, one site",
                BadReason.UNSUPPORTED,
            )
        return finish_event(item)

    return map_items(hit, Credentials(site_ref, credentials.write_key), items, map_item)
