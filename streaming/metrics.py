"""Live metrics from events.v1 rows; pure DataFrame functions, the same for a micro-batch
and for a recomputation from raw.events (which must give what the stream wrote).

Lateness: an event counts in the live metrics when it reached the collector within the
watermark of its own time (``received_at - client_ts <= watermark``); a later one is in
raw.events only. That rule is a function of the row alone, so a replayed batch, a job that
was down for an hour and a recomputation all agree, and a window is final once the
collector's clock is past its end plus the watermark.

Unique visitors are DataSketches HLL sketches (lgConfigK 12: about 1.6 % relative standard
error; exact in practice below a few hundred visitors), kept for every row. A micro-batch's
partial sketch is united with the key's so far (:mod:`streaming.live_totals`), and every
estimate is taken from a union (:func:`visitors_estimate_sql`), so the figure does not
depend on how rows were split into micro-batches. Active visitors union the per-minute
sketches of the site's total.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lakehouse.dimensions import METRIC_DIMENSIONS, MISSING_VALUE, TOTAL_DIMENSION, TOTAL_VALUE
from lakehouse.schema import EventType
from lakehouse.tables.live import (
    ACTIVE_VISITOR_WINDOWS,
    LATEST_VERSION_ORDER,
    LIVE_ACTIVE_VISITORS,
    LIVE_MINUTE_METRICS,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

SKETCH_LG_K = 12
VISITORS_RELATIVE_ERROR = 1.04 / 2 ** (SKETCH_LG_K / 2)
"""The relative standard error of a visitors' estimate: an HLL sketch's 1.04 / sqrt(2^lgK),
about 1.6 % (within 3 times that for 99.7 % of estimates)."""
SESSION_START_EVENT = "session_start"
SESSION_START_PROPERTY = "session_start"


def starts_session() -> Column:
    """An event that opens a session: a ``session_start`` event, or one whose properties say
    ``session_start=true`` (the tracker marks the first event of a session). The batch
    layer's sessionization is the authoritative session count."""
    from pyspark.sql import functions as F

    flagged = F.lower(F.col("properties").getItem(SESSION_START_PROPERTY)).isin("true", "1")
    return (F.col("name") == SESSION_START_EVENT) | F.coalesce(flagged, F.lit(False))


def by_dimension(events: DataFrame) -> DataFrame:
    """One row per event and dimension: (site_id, client_ts, dimension, value, ...)."""
    from pyspark.sql import functions as F

    pairs = F.array(
        *(
            F.struct(
                F.lit(name).alias("dimension"),
                (
                    F.lit(TOTAL_VALUE)
                    if name == TOTAL_DIMENSION
                    else F.coalesce(F.col(name).cast("string"), F.lit(MISSING_VALUE))
                ).alias("value"),
            )
            for name in METRIC_DIMENSIONS
        )
    )
    return events.select(
        "site_id",
        "client_ts",
        "visitor_id",
        (F.col("type") == EventType.PAGE.value).alias("is_pageview"),
        starts_session().alias("starts_session"),
        F.explode(pairs).alias("d"),
    ).select("*", "d.dimension", "d.value")


def is_on_time(watermark_s: int) -> Column:
    """True for an event the live metrics count: one the collector received within
    ``watermark_s`` of its client time (see the module's lateness rule)."""
    from pyspark.sql import functions as F

    limit = F.col("received_at") - F.expr(f"INTERVAL {int(watermark_s)} SECONDS")
    return F.col("client_ts") >= limit


def on_time(events: DataFrame, watermark_s: int) -> DataFrame:
    """The events the live metrics count (:func:`is_on_time`)."""
    return events.where(is_on_time(watermark_s))


def visitors_estimate_sql(sketch: str) -> str:
    """Distinct visitors of the SQL expression ``sketch``, always by the union (composite)
    estimator.

    A DataSketches HLL estimates by its in-order HIP counter until it is merged with a
    sketch past the exact range; uniting the sketch with itself makes every sketch take the
    composite estimate, a function of its registers alone, so a single-pass sketch and a
    union of partial ones give the same figure for the same visitors."""
    return f"CAST(hll_sketch_estimate(hll_union({sketch}, {sketch})) AS BIGINT)"


def minute_metrics(events: DataFrame) -> DataFrame:
    """Per site, minute of client_ts, dimension and value: pageviews, events, unique
    visitors, new sessions and the visitors' sketch. Without ``updated_at``, which the
    writer sets. Lateness is the caller's: pass :func:`on_time` rows."""
    from pyspark.sql import functions as F

    rows = by_dimension(events)
    aggregated = rows.groupBy(
        F.date_trunc("minute", "client_ts").alias("minute"), "site_id", "dimension", "value"
    ).agg(
        F.count_if("is_pageview").alias("pageviews"),
        F.count(F.lit(1)).alias("events"),
        F.count_if("starts_session").alias("new_sessions"),
        F.hll_sketch_agg("visitor_id", SKETCH_LG_K).alias("visitors_sketch"),
    )
    columns = [c for c in LIVE_MINUTE_METRICS.column_names if c != "updated_at"]
    return aggregated.select(
        "*",
        F.expr(visitors_estimate_sql("visitors_sketch")).alias("unique_visitors"),
        F.to_date("minute").alias("event_date"),
        F.hour("minute").alias("event_hour"),
    ).select(*columns)


def latest_versions(rows: DataFrame, key: Sequence[str]) -> DataFrame:
    """The latest version of each key among versioned live rows (:mod:`lakehouse.tables.live`):
    the one with the most events."""
    from pyspark.sql import functions as F

    latest = F.max_by(F.struct(*rows.columns), LATEST_VERSION_ORDER)
    return rows.groupBy(*key).agg(latest.alias("_latest")).select("_latest.*")


def active_visitors(minute_rows: DataFrame, now: datetime) -> DataFrame:
    """Distinct visitors per site in the last 5 and 30 minutes (the current minute included),
    from rows of live.minute_metrics; a site seen in the last 30 minutes has a row for each
    window, 0 when it had no visitor in the shorter one."""
    from pyspark.sql import functions as F

    current_minute = now.replace(second=0, microsecond=0)
    cutoffs = {w: current_minute - timedelta(minutes=w - 1) for w in ACTIVE_VISITOR_WINDOWS}
    longest = max(ACTIVE_VISITOR_WINDOWS)
    recent = minute_rows.where(
        (F.col("dimension") == TOTAL_DIMENSION)
        & (F.col("minute") >= F.lit(cutoffs[longest]))
        & (F.col("minute") <= F.lit(current_minute))
        & F.col("visitors_sketch").isNotNull()
    )
    sketches = recent.groupBy("site_id").agg(
        *(
            F.hll_union_agg(
                F.when(F.col("minute") >= F.lit(cutoffs[w]), F.col("visitors_sketch"))
            ).alias(f"w{w}")
            for w in ACTIVE_VISITOR_WINDOWS
        )
    )
    per_window = F.explode(
        F.array(
            *(
                F.struct(
                    F.lit(w).alias("window_minutes"),
                    F.coalesce(F.hll_sketch_estimate(F.col(f"w{w}")), F.lit(0)).alias("visitors"),
                )
                for w in ACTIVE_VISITOR_WINDOWS
            )
        )
    )
    return (
        sketches.select("site_id", per_window.alias("a"))
        .select(
            "site_id",
            "a.window_minutes",
            F.col("a.visitors").cast("bigint").alias("visitors"),
            F.lit(now).alias("as_of"),
        )
        .select(*LIVE_ACTIVE_VISITORS.column_names)
    )
