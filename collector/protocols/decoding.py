"""Request decoding shared by the protocol adapters: body text, JSON, Basic auth and the
typed bad rows that malformed input becomes. Nothing here raises on bad input."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import orjson

from collector.model import Credentials, Hit, Parsed, bad_row_of
from lakehouse.bad_rows import BadReason, Stage, json_text

NewId = Callable[[], str]


def uuid4_str() -> str:
    return str(uuid4())


class Malformed(Exception):
    """Raised inside an adapter for one input it cannot read; always caught there and
    turned into a BadRow (never escapes a ``parse``)."""

    def __init__(self, detail: str, reason: BadReason = BadReason.MALFORMED) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason


def endpoint(hit: Hit) -> str:
    """The path a request was routed by (a trailing slash is not part of it)."""
    return hit.path.rstrip("/") or "/"


def body_text(hit: Hit) -> str:
    """The body as text for a bad row's payload: lossless when it is UTF-8."""
    return hit.body.decode("utf-8", errors="replace")


def request_text(hit: Hit) -> str:
    """The original input of a request: its body, or its query string when it has none
    (GET pixels carry everything in the query)."""
    if hit.body:
        return body_text(hit)
    return urlencode(dict(hit.query))


def decode_json(hit: Hit) -> Any:
    """The JSON value of the body, whatever its Content-Type (sendBeacon sends text/plain);
    raises :class:`Malformed` with a reason a client developer can act on."""
    if hit.body[:2] == b"\x1f\x8b":
        raise Malformed("body is gzip-compressed but not sent with Content-Encoding: gzip")
    try:
        return orjson.loads(hit.body)  # the fast path for the common, valid body
    except orjson.JSONDecodeError:
        pass  # json below says precisely what is wrong, and reads numbers past 64 bits
    try:
        text = hit.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Malformed(f"body is not UTF-8 ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise Malformed("body is empty; expected JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Malformed(
            f"body is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise Malformed("body is not JSON: nested too deeply") from None


def decode_json_object(hit: Hit) -> dict[str, Any]:
    value = decode_json(hit)
    if not isinstance(value, dict):
        raise Malformed(f"body is a JSON {json_kind(value)}; expected an object")
    return value


def json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def basic_auth_user(hit: Hit) -> str | None:
    """The user name of an ``Authorization: Basic`` header (Segment puts the write key there,
    with an empty password), or None when there is none or it cannot be read."""
    header = hit.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def decode_base64url(value: str) -> str:
    """Base64 (URL-safe or standard alphabet, padding optional) to UTF-8 text."""
    cleaned = value.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Malformed("not valid base64-encoded UTF-8") from None


def map_items(
    hit: Hit,
    credentials: Credentials,
    items: Iterable[Any],
    map_item: Callable[[Any], dict[str, Any]],
) -> Parsed:
    """Map each item of a batch on its own: one bad item becomes a bad row carrying that
    item, and does not reject the others. Each event and bad row keeps its item's position."""
    parsed = Parsed(credentials)
    for index, item in enumerate(items):
        try:
            event = map_item(item)
        except Malformed as error:
            detail = f"item {index}: {error.detail}"
            parsed.bad.append(
                bad_row_of(hit, Stage.COLLECTOR_PARSE, error.reason, detail, json_text(item))
            )
            parsed.bad_items.append(index)
        else:
            parsed.events.append(event)
            parsed.event_items.append(index)
    return parsed


def rejected(hit: Hit, credentials: Credentials, error: Malformed) -> Parsed:
    """The whole request is unreadable: one bad row with the original request."""
    rejection = bad_row_of(
        hit, Stage.COLLECTOR_PARSE, error.reason, error.detail, request_text(hit)
    )
    return Parsed(credentials, bad=[rejection])
