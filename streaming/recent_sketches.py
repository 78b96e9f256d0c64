"""The visitor sketches of each site's total per recent minute, kept by the job in memory:
what live.active_visitors is computed from."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakehouse.dimensions import TOTAL_DIMENSION
from lakehouse.tables.live import ACTIVE_VISITOR_WINDOWS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SiteMinute = tuple[str, int]
"""(site_id, minute as epoch seconds): the key of a site total's visitor sketch."""
SiteSketch = tuple[str, int, bytes]


def site_sketches(minute_rows: DataFrame) -> DataFrame:
    """live.minute_metrics rows (or a batch's partial ones) -> the site totals' sketches."""
    from pyspark.sql import functions as F

    return minute_rows.where(
        (F.col("dimension") == TOTAL_DIMENSION) & F.col("visitors_sketch").isNotNull()
    ).select("site_id", F.unix_seconds("minute").alias("minute_s"), "visitors_sketch")


def minute_start_s(now: datetime) -> int:
    """The start of ``now``'s minute, in epoch seconds (the keys of :class:`RecentSketches`)."""
    return int(now.timestamp()) // 60 * 60


def sketch_rows(rows: Iterable[Any]) -> list[SiteSketch]:
    return [(r["site_id"], int(r["minute_s"]), bytes(r["visitors_sketch"])) for r in rows]


class RecentSketches:
    """The visitor sketches of each site's total per minute, for the longest active-visitor
    window: what live.active_visitors is computed from, kept by the job (fed by each
    micro-batch's partial rows) rather than re-read from live.minute_metrics on every refresh.

    A key holds the partial sketches added since the last :meth:`fold`, which replaces the
    ones it saw by their union. A union is idempotent and order-free, so a partial added
    twice (a re-run batch after the start's read of the table) changes nothing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sketches: dict[SiteMinute, list[bytes]] = {}

    def add(self, rows: Iterable[SiteSketch]) -> None:
        with self.lock:
            for site_id, minute_s, sketch in rows:
                self.sketches.setdefault((site_id, minute_s), []).append(sketch)

    def recent(self, now: datetime) -> list[SiteSketch]:
        """Every sketch of the longest window up to ``now``; older keys are dropped."""
        oldest = minute_start_s(now) - (max(ACTIVE_VISITOR_WINDOWS) - 1) * 60
        with self.lock:
            for key in [key for key in self.sketches if key[1] < oldest]:
                del self.sketches[key]
            return [(*key, s) for key, kept in self.sketches.items() for s in kept]

    def fold(self, seen: list[SiteSketch], unions: dict[SiteMinute, bytes]) -> None:
        """Replace the sketches in ``seen`` (from :meth:`recent`) by their unions per key;
        the ones added since stay beside the union."""
        counts = Counter((site_id, minute_s) for site_id, minute_s, _ in seen)
        with self.lock:
            for key, union in unions.items():
                kept = self.sketches.get(key)
                if kept is not None:
                    self.sketches[key] = [union, *kept[counts[key] :]]
