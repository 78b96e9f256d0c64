"""The collector's vocabulary: what arrives (a Hit), what a protocol makes of it (Parsed),
and what is rejected (a bad row of :mod:`lakehouse.bad_rows`, made by :func:`bad_row_of`).
Every protocol adapter and pipeline step speaks these types and nothing else."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakehouse.bad_rows import BadReason, BadRow, Stage
from lakehouse.schema import Protocol


@dataclass(frozen=True)
class Hit:
    """One HTTP request as the collector received it, before any interpretation."""

    protocol: Protocol
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    client_ip: str  # used for enrichment only; never stored or sent downstream
    received_at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class Credentials:
    """What a request says about which site it is for and how it proves it.

    ``site_ref`` is matched against each configured site's id, domains and aliases: the
    native site_id, a Snowplow app id (aid), a Plausible domain, a GA4 measurement id.
    ``write_key`` is the Segment write key (Basic auth user) or the GA4 api_secret.
    """

    site_ref: str | None = None
    write_key: str | None = None


@dataclass(frozen=True)
class ForwardedClient:
    """The visitor a server-side sender reports an event for: Segment's context.userAgent and
    context.ip, Snowplow's ua and ip. Enrichment uses these instead of the sending server's
    own User-Agent and address, which would describe the server, not the visitor."""

    user_agent: str | None = None
    ip: str | None = None


FORWARDED_CLIENT = "_forwarded_client"
"""Key under which an adapter may attach a ForwardedClient to an event dict; the pipeline
takes it off before validation, so it never reaches events.v1."""


def bad_row_of(
    hit: Hit,
    stage: Stage,
    reason: BadReason,
    detail: str,
    payload: Any,
    site_id: str | None = None,
) -> BadRow:
    """A bad row of ``hit``; ``payload`` is the offending input, as text or as data."""
    return BadRow.build(
        stage, reason, detail, payload, hit.received_at, hit.protocol.value, site_id
    )


@dataclass
class Parsed:
    """What a protocol adapter makes of a Hit.

    ``events`` hold events.v1 client fields (lakehouse.schema.CLIENT_FIELDS names), not yet
    validated; ``site_id`` in them may be missing, the pipeline fills it from Credentials.

    Each event and each bad row has its item: its position in the request's batch, as sent
    (``event_items[i]`` is the item of ``events[i]``, ``bad_items[i]`` that of ``bad[i]``;
    None for a row of the whole request), so that an answer names the items it refused.
    :func:`collector.protocols.decoding.map_items` fills them; left empty, each event is the
    item of its position (a request of one event) and each bad row is of the whole request.
    """

    credentials: Credentials
    events: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    event_items: list[int] = field(default_factory=list)
    bad_items: list[int | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.event_items:
            self.event_items = list(range(len(self.events)))
        if not self.bad_items:
            self.bad_items = [None] * len(self.bad)
        if len(self.event_items) != len(self.events) or len(self.bad_items) != len(self.bad):
            raise ValueError("Parsed needs one item position for each event and each bad row")

    def indexed_events(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(item, event) for each event, in order."""
        return zip(self.event_items, self.events, strict=True)

    def indexed_bad(self) -> list[tuple[int | None, BadRow]]:
        """(item, bad row) for each bad row, in order: the shape of ``Outcome.bad``."""
        if not self.bad:
            return []
        return list(zip(self.bad_items, self.bad, strict=True))

    @property
    def item_count(self) -> int:
        """How many items of the request its events and item bad rows are (a bad row of the
        whole request is none)."""
        if not self.bad_items:
            return len(self.events)
        return len(self.events) + sum(item is not None for item in self.bad_items)
