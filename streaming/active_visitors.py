"""The thread that appends live.active_visitors every few seconds, from the job's
:class:`~streaming.recent_sketches.RecentSketches`."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lakehouse.dimensions import TOTAL_DIMENSION
from lakehouse.settings import Settings
from lakehouse.tables.live import ACTIVE_VISITOR_WINDOWS, LIVE_ACTIVE_VISITORS, LIVE_MINUTE_METRICS
from streaming.metrics import active_visitors
from streaming.recent_sketches import (
    RecentSketches,
    SiteSketch,
    minute_start_s,
    site_sketches,
    sketch_rows,
)
from streaming.spark_config import execution_mode

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("beacon.streaming")

ACTIVE_REFRESH_S = 5.0
"""How often live.active_visitors is rewritten (never more often than the trigger)."""
SITE_SKETCH_SCHEMA = "site_id STRING NOT NULL, minute_s BIGINT NOT NULL, visitors_sketch BINARY"
FOLD_EVERY_REFRESHES = 12
"""How often (about once a minute) the active visitors' sketches are united per key."""
ACTIVE_HISTORY = timedelta(minutes=10)
"""How long live.active_visitors keeps a refresh's rows (the serving view shows the latest)."""


class ActiveVisitors(threading.Thread):
    """live.active_visitors, from the per-minute sketches of :class:`RecentSketches`, every
    few seconds by a thread of its own, beside the query rather than inside each micro-batch
    (so it never delays raw or live rows, nor the heartbeat), and also while no events
    arrive (so the windows move on when a site goes quiet).

    Each refresh appends its rows with their ``as_of`` (a blind append: no read of the
    table's state, where a rewrite costs a state reconstruction every time); a site that
    just left the 30-minute window gets zeros once; rows older than :data:`ACTIVE_HISTORY`
    are deleted every so often. ``serving.live_active_visitors`` shows the latest refresh."""

    def __init__(
        self,
        settings: Settings,
        spark: SparkSession,
        recent: RecentSketches,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="active-visitors", daemon=True)
        self.minutes = settings.table_location(LIVE_MINUTE_METRICS.relative_path)
        self.location = settings.table_location(LIVE_ACTIVE_VISITORS.relative_path)
        self.every_s = max(ACTIVE_REFRESH_S, settings.streaming.trigger_interval_s)
        # A session of its own: the micro-batch's settings (commit marker, execution mode)
        # never apply to this thread's writes.
        self.spark = spark.newSession()
        for key, value in execution_mode(0).items():  # a few rows each time
            self.spark.conf.set(key, value)
        self.recent = recent
        self.stop = stop
        self.as_of: str | None = None
        self.refresh_ms: int | None = None
        self.sites: set[str] = set()
        self.refreshes = 0
        self.pruned_at = 0.0

    def run(self) -> None:
        try:
            self.recent.add(self.stored_sketches())
        except Exception as error:  # noqa: BLE001 - any read error: the batches still feed it
            log.warning("active visitors: live.minute_metrics not read: %s", error)
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.refresh(datetime.now(UTC))
                self.refresh_ms = round((time.monotonic() - started) * 1000)
            except Exception as error:  # noqa: BLE001 - logged; the next refresh tries again
                log.warning("active visitors not refreshed: %s", error)
            self.stop.wait(max(0.0, self.every_s - (time.monotonic() - started)))

    def stored_sketches(self) -> list[SiteSketch]:
        """The sites' per-minute sketches of the longest window, as the table has them."""
        from pyspark.sql import functions as F

        since = datetime.now(UTC) - timedelta(minutes=max(ACTIVE_VISITOR_WINDOWS))
        minutes = (
            self.spark.read.format("delta")
            .load(self.minutes)
            .where(F.col("event_date") >= F.lit(since.date()))
            .where(F.col("minute") >= F.lit(since))
        )
        return sketch_rows(site_sketches(minutes).collect())

    def refresh(self, now: datetime) -> None:
        if self.refreshes % FOLD_EVERY_REFRESHES == 0:
            self.fold(now)
        self.refreshes += 1
        seen = self.recent.recent(now)
        sites = {site for site, minute_s, _ in seen if minute_s <= minute_start_s(now)}
        left = self.sites - sites
        if sites or left:
            rows = active_visitors(self.minute_rows(seen), now)
            if left:  # a site that just left the longest window: zeros once, then no rows
                zeros = [(site, w, 0, now) for site in left for w in ACTIVE_VISITOR_WINDOWS]
                rows = rows.unionByName(
                    self.spark.createDataFrame(zeros, LIVE_ACTIVE_VISITORS.spark_schema())
                )
            rows.write.format("delta").mode("append").save(self.location)
        self.sites = sites
        self.as_of = now.isoformat()
        if time.monotonic() - self.pruned_at > ACTIVE_HISTORY.total_seconds():
            self.prune(now - ACTIVE_HISTORY)
            self.pruned_at = time.monotonic()

    def minute_rows(self, sketches: list[SiteSketch]) -> DataFrame:
        """Site-total rows of live.minute_metrics (the columns :func:`active_visitors` reads)."""
        from pyspark.sql import functions as F

        return self.spark.createDataFrame(sketches, SITE_SKETCH_SCHEMA).select(
            "site_id",
            F.timestamp_seconds("minute_s").alias("minute"),
            F.lit(TOTAL_DIMENSION).alias("dimension"),
            "visitors_sketch",
        )

    def fold(self, now: datetime) -> None:
        """Unite each key's sketches (:meth:`RecentSketches.fold`)."""
        from pyspark.sql import functions as F

        seen = self.recent.recent(now)
        if not seen:
            return
        unions = (
            self.spark.createDataFrame(seen, SITE_SKETCH_SCHEMA)
            .groupBy("site_id", "minute_s")
            .agg(F.hll_union_agg("visitors_sketch").alias("visitors_sketch"))
            .collect()
        )
        self.recent.fold(seen, {(site, minute_s): s for site, minute_s, s in sketch_rows(unions)})

    def prune(self, before: datetime) -> None:
        from delta.tables import DeltaTable
        from pyspark.sql import functions as F

        DeltaTable.forPath(self.spark, self.location).delete(F.col("as_of") < F.lit(before))
