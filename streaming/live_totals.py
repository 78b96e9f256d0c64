"""The live metric keys' totals so far, kept by the job: what each micro-batch adds its
partial rows to, to append the keys' new versions (:mod:`lakehouse.tables.live`) without
reading the table. Pure Python; the visitors' sketches are united with the DataSketches
library, whose HLL sketches are Spark's (the same serialized form and registers).

Whatever is kept is rebuilt from the table after a restart: the totals cover every key of
the periods (minutes or days) from :attr:`VersionTotals.since` on, loaded from the table's
latest versions when the job starts and when a batch counts events of an older period (a
backlog); periods older than the retention are dropped after each batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from datasketches import hll_sketch, hll_union, tgt_hll_type

SKETCH_LG_K = 12
"""The sketches' lgConfigK (streaming.metrics.SKETCH_LG_K, Spark's side)."""

Period = TypeVar("Period", datetime, date)
Key = tuple[str, Any, str, str]
"""(site_id, period, dimension, value): a minute's or a day's key."""


def union(sketches: Iterable[bytes | None]) -> bytes:
    """The union of serialized HLL sketches, as Spark's hll_union writes it (HLL_8); a
    missing sketch (a row written without one) adds nothing."""
    gadget = hll_union(SKETCH_LG_K)
    for sketch in sketches:
        if sketch is not None:
            gadget.update(hll_sketch.deserialize(sketch))
    return bytes(gadget.get_result(tgt_hll_type.HLL_8).serialize_compact())


def estimate(sketch: bytes | None) -> int:
    """Distinct visitors by the union (composite) estimator. Exact as Spark's
    (:func:`streaming.metrics.visitors_estimate_sql`) in the sketch's exact range; past it
    the C++ estimator can be one visitor off the JVM's, so the figures written are Spark's."""
    if sketch is None:
        return 0
    gadget = hll_union(SKETCH_LG_K)
    single = hll_sketch.deserialize(sketch)
    gadget.update(single)
    gadget.update(single)
    return int(gadget.get_result(tgt_hll_type.HLL_8).get_estimate())


@dataclass(frozen=True)
class Totals:
    """A key's counts and visitors' sketch: a version of its row, or a batch's partial one."""

    pageviews: int
    events: int
    new_sessions: int
    sketch: bytes | None

    def plus(self, other: Totals) -> Totals:
        return Totals(
            self.pageviews + other.pageviews,
            self.events + other.events,
            self.new_sessions + other.new_sessions,
            union((self.sketch, other.sketch)),
        )


def summed(parts: Iterable[tuple[Key, Totals]]) -> dict[Key, Totals]:
    """Partial rows added up per key (a batch's minute rows into its day rows)."""
    counts: dict[Key, list[int]] = {}
    sketches: dict[Key, list[bytes | None]] = {}
    for key, part in parts:
        count = counts.setdefault(key, [0, 0, 0])
        count[0] += part.pageviews
        count[1] += part.events
        count[2] += part.new_sessions
        sketches.setdefault(key, []).append(part.sketch)
    return {
        key: Totals(
            c[0], c[1], c[2], union(sketches[key]) if len(sketches[key]) > 1 else sketches[key][0]
        )
        for key, c in counts.items()
    }


Loader = Callable[[Any, Any], Iterable[tuple[Key, Totals]]]
"""(from_period, to_period) -> the table's latest version of every key of the periods
``from_period <= p < to_period`` (``to_period`` None: no upper bound)."""


class VersionTotals(Generic[Period]):
    """The latest version of every key of the periods from :attr:`since` on.

    :meth:`versions` gives a batch's new versions without keeping them; :meth:`keep` keeps
    them once they are committed (a batch whose write failed leaves the totals as they were,
    and the query fails)."""

    def __init__(self, load: Loader, retention: timedelta) -> None:
        self.load = load
        self.retention = retention
        self.totals: dict[Key, Totals] = {}
        self.since: Period | None = None
        """Every key of a period from here on is in :attr:`totals`; None before the load."""

    def start(self, since: Period) -> None:
        """Load every key of the periods from ``since`` on (the job's start)."""
        self.totals = dict(self.load(since, None))
        self.since = since

    def cover(self, oldest: Period) -> None:
        """Make sure the keys of the periods from ``oldest`` on are known."""
        if self.since is None:
            self.start(oldest)
        elif oldest < self.since:
            self.totals.update(self.load(oldest, self.since))
            self.since = oldest

    def versions(self, parts: dict[Key, Totals]) -> dict[Key, Totals]:
        """Each key's new version: its latest plus the batch's partial row."""
        if not parts:
            return {}
        self.cover(min(key[1] for key in parts))
        return {
            key: (self.totals[key].plus(part) if key in self.totals else part)
            for key, part in parts.items()
        }

    def keep(self, versions: dict[Key, Totals], now: Period) -> None:
        """Keep committed versions; drop the periods older than the retention before
        ``now`` (the newest period written, or the clock's, whichever is older)."""
        self.totals.update(versions)
        bound = now - self.retention
        if self.since is not None and bound > self.since:
            for key in [key for key in self.totals if key[1] < bound]:
                del self.totals[key]
            self.since = bound

    def __len__(self) -> int:
        return len(self.totals)
