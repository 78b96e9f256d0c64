"""The wire protocols the collector speaks, and which request goes to which.

Each adapter is a pure ``parse(hit, new_id) -> Parsed``: it maps one HTTP request into
events.v1 client fields and the request's Credentials, and turns whatever it cannot read
into typed bad rows (stage collector.parse) instead of raising. It does not look at the
configured sites; the pipeline authorizes and validates what it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol as Interface

from collector.model import Hit, Parsed
from collector.protocols import ga4, native, plausible, segment, snowplow
from collector.protocols.decoding import uuid4_str
from lakehouse.schema import Protocol


class Parser(Interface):
    def __call__(self, hit: Hit, new_id: Callable[[], str] = uuid4_str) -> Parsed: ...


@dataclass(frozen=True)
class Route:
    protocol: Protocol
    parse: Parser


ROUTES: Mapping[tuple[str, str], Route] = MappingProxyType(
    {
        ("POST", native.BATCH_PATH): Route(Protocol.NATIVE, native.parse),
        ("POST", native.EVENT_PATH): Route(Protocol.NATIVE, native.parse),
        ("POST", segment.BATCH_PATH): Route(Protocol.SEGMENT, segment.parse),
        **{
            ("POST", path): Route(Protocol.SEGMENT, segment.parse) for path in segment.MESSAGE_PATHS
        },
        ("GET", snowplow.PIXEL_PATH): Route(Protocol.SNOWPLOW, snowplow.parse),
        ("POST", snowplow.POST_PATH): Route(Protocol.SNOWPLOW, snowplow.parse),
        ("POST", ga4.PATH): Route(Protocol.GA4, ga4.parse),
        ("POST", plausible.PATH): Route(Protocol.PLAUSIBLE, plausible.parse),
    }
)
"""(HTTP method, path) -> the protocol and its adapter. The HTTP layer serves exactly these."""

BOUNDED_BY_BYTES = frozenset({Protocol.SEGMENT})
"""Protocols that bound a batch by its bytes, not by a count of events, and whose adapter
does so: the collector's count limit (``collector.max_events_per_batch``) is not applied to
them. Segment's clients fill a batch up to 500 KB and drop one answered 413."""


def route(method: str, path: str) -> Route | None:
    """The route of a request, or None (a 404/405 for the HTTP layer). A trailing slash is
    ignored: some clients are configured with one."""
    normalized = path.rstrip("/") or "/"
    return ROUTES.get((method.upper(), normalized))


__all__ = ["BOUNDED_BY_BYTES", "ROUTES", "Parser", "Route", "route"]
