"""The nightly batch recompute: every job in one Spark session over N events of four days,
with DuckDB doing the same sessionize + daily-overall over the same Parquet files as a peer.

For each size (default 1M and 10M events) it writes synthetic events of known ground truth
straight into raw.events (the collector and the stream are not what it measures): sessions
of 1-7 pageviews a minute apart, every fourth with a goal event, each visitor one session a
day over four days, 2% bot events and 1% of events repeated hours later. Then it runs the
nightly chain for the last day with three lookback days (every batch table), prints each
job's time and events/s, checks the daily totals against the truth, and times DuckDB's
sessionize + daily totals over the table's Parquet files. At the end: how the time grew
from the smallest size to the largest, and Spark's time over DuckDB's.

    .venv/bin/python -m bench.batch [--events 1000000 10000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.workdir import KEEP_HELP, discard, run_dir
from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from lakehouse.tables.raw import RAW_EVENTS
from stack.state import isolated_settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DAYS = 4
FIRST_DAY = date(2026, 3, 2)
SITES = ("demo-shop", "demo-docs")
GOAL_EVENTS = {"demo-shop": "purchase", "demo-docs": "signup"}
MAX_PAGES = 7
BOT_SHARE = 0.02
REPEATED_SHARE = 0.01


@dataclass(frozen=True)
class Design:
    """``sessions`` synthetic sessions: session s has 1 + s % 7 pageviews, a goal event if
    s % 4 == 0, belongs to visitor s // 4 on day s % 4, starting at hour 1 + visitor % 20."""

    sessions: int

    @staticmethod
    def for_events(events: int) -> Design:
        per_session = sum(1 + s % MAX_PAGES + (s % 4 == 0) for s in range(28)) / 28
        return Design(max(4, int(events * (1 - BOT_SHARE) / per_session)))

    def truth(self) -> dict[tuple[str, date], Counter[str]]:
        """Per (site, day): sessions, pageviews, engaged sessions, bounces, conversions."""
        truth: dict[tuple[str, date], Counter[str]] = {}
        for s in range(self.sessions):
            visitor = s // 4
            key = (SITES[visitor % 2], FIRST_DAY + timedelta(days=s % 4))
            counts = truth.setdefault(key, Counter())
            pages, goal = 1 + s % MAX_PAGES, s % 4 == 0
            counts["sessions"] += 1
            counts["pageviews"] += pages
            engaged = pages >= 2 or goal  # a goal event 20 s in: over 10 s, and a goal
            counts["engaged_sessions"] += engaged
            counts["bounces"] += not engaged
            counts["conversions"] += goal
        return truth


def human_events(spark: SparkSession, design: Design) -> DataFrame:
    from pyspark.sql import functions as F

    s = F.col("id")
    visitor = (s / 4).cast("long")
    pages = s % MAX_PAGES + 1
    goal = (s % 4) == 0
    day0 = int(datetime.combine(FIRST_DAY, datetime.min.time(), UTC).timestamp())
    start = F.lit(day0) + (s % 4) * 86400 + (visitor % 20 + 1) * 3600 + (visitor % 3000)
    site = F.when(visitor % 2 == 0, F.lit(SITES[0])).otherwise(F.lit(SITES[1]))
    sessions = spark.range(design.sessions).select(
        s.alias("session"),
        visitor.alias("visitor"),
        site.alias("site_id"),
        start.alias("start"),
        F.explode(F.sequence(F.lit(0).cast("long"), pages - 1 + goal.cast("long"))).alias("n"),
        pages.alias("pages"),
    )
    is_goal = F.col("n") == F.col("pages")
    offset = F.when(is_goal, F.lit(20)).otherwise(F.col("n") * 60)
    return sessions.select(
        F.concat(F.lit("e"), F.col("session"), F.lit("-"), F.col("n")).alias("event_id"),
        F.when(is_goal, F.lit("track")).otherwise(F.lit("page")).alias("type"),
        F.when(is_goal & (F.col("site_id") == SITES[0]), F.lit(GOAL_EVENTS[SITES[0]]))
        .when(is_goal, F.lit(GOAL_EVENTS[SITES[1]]))
        .otherwise(F.lit("pageview"))
        .alias("name"),
        "site_id",
        F.when(F.col("visitor") % 2 == 0, F.concat(F.lit("a"), F.col("visitor"))).alias(
            "anonymous_id"
        ),
        F.timestamp_seconds(F.col("start") + offset).alias("client_ts"),
        F.concat(F.lit("/p/"), (F.col("session") + F.col("n")) % 50).alias("path"),
        F.when(F.col("n") == 0, F.lit("https://www.google.com/")).alias("referrer"),
        F.when(is_goal, F.create_map(F.lit("revenue"), F.lit("19.90")))
        .otherwise(F.create_map().cast("map<string,string>"))
        .alias("properties"),
        F.concat(F.lit("v"), F.col("visitor")).alias("visitor_id"),
        F.lit(False).alias("is_bot"),
        F.when(F.col("n") == 0, F.lit("search"))
        .otherwise(F.lit("internal"))
        .alias("referrer_class"),
    )


def raw_events(spark: SparkSession, design: Design) -> DataFrame:
    """Human events, bot events and repeats, with every raw.events column."""
    from pyspark.sql import functions as F

    humans = human_events(spark, design)
    bots = humans.sample(fraction=BOT_SHARE / (1 - BOT_SHARE), seed=7).withColumns(
        {
            "event_id": F.concat(F.lit("bot-"), F.col("event_id")),
            "visitor_id": F.concat(F.lit("bot-"), F.col("visitor_id")),
            "anonymous_id": F.lit(None).cast("string"),
            "is_bot": F.lit(True),
        }
    )
    events = humans.unionByName(bots).withColumn(
        "received_at", F.col("client_ts") + F.expr("INTERVAL 1 SECOND")
    )
    repeats = events.sample(fraction=REPEATED_SHARE, seed=11).withColumn(
        "received_at", F.col("received_at") + F.expr("INTERVAL 3 HOURS")
    )
    filled = {
        "device_type": F.when(F.col("is_bot"), F.lit("bot")).otherwise(F.lit("desktop")),
        "browser": F.lit("Chrome"),
        "os": F.lit("Windows"),
        "country": F.lit("DE"),
        "language": F.lit("de-DE"),
        "protocol": F.lit("native"),
        "event_date": F.to_date("client_ts"),
    }
    rows = events.unionByName(repeats).withColumns(filled)
    schema = RAW_EVENTS.spark_schema()
    present = set(rows.columns)
    return rows.select(
        *[
            (F.col(f.name) if f.name in present else F.lit(None)).cast(f.dataType).alias(f.name)
            for f in schema.fields
        ]
    )


def load(spark: SparkSession, settings: Settings, design: Design) -> int:
    from lakehouse.provision import create_delta_tables

    create_delta_tables(spark, settings, (RAW_EVENTS,), lambda _: None)
    location = settings.table_location(RAW_EVENTS.relative_path)
    raw_events(spark, design).write.format("delta").mode("append").save(location)
    return int(spark.read.format("delta").load(location).count())


def batch_totals(spark: SparkSession, settings: Settings) -> dict[tuple[str, date], Counter[str]]:
    location = settings.table_location("batch/daily_metrics")
    names = ("sessions", "pageviews", "engaged_sessions", "bounces", "conversions")
    return {
        (r["site_id"], r["event_date"]): Counter({n: r[n] for n in names})
        for r in spark.read.format("delta").load(location).where("dimension = 'all'").collect()
    }


DUCKDB_SESSIONS = """
WITH events AS (
  SELECT site_id, event_date, event_id,
         arg_min(visitor_id, received_at) AS visitor_id, arg_min(type, received_at) AS type,
         arg_min(client_ts, received_at) AS client_ts, arg_min(is_bot, received_at) AS is_bot
  FROM read_parquet('{files}', hive_partitioning = true)
  GROUP BY site_id, event_date, event_id
), humans AS (
  SELECT *, CASE WHEN lag(client_ts) OVER w IS NULL
                   OR client_ts - lag(client_ts) OVER w >= INTERVAL 30 MINUTE
            THEN 1 ELSE 0 END AS starts
  FROM events WHERE NOT coalesce(is_bot, false)
  WINDOW w AS (PARTITION BY site_id, visitor_id ORDER BY client_ts, event_id)
), numbered AS (
  SELECT *, sum(starts) OVER (PARTITION BY site_id, visitor_id ORDER BY client_ts, event_id
                              ROWS UNBOUNDED PRECEDING) AS session_index
  FROM humans
), sessions AS (
  SELECT site_id, visitor_id, session_index, min(client_ts) AS session_start,
         epoch_ms(max(client_ts)) - epoch_ms(min(client_ts)) AS duration_ms,
         count(*) FILTER (WHERE type = 'page') AS pageviews,
         count(*) FILTER (WHERE type = 'track') AS tracks
  FROM numbered GROUP BY site_id, visitor_id, session_index
)
SELECT site_id, CAST(session_start AS DATE) AS day, count(*) AS sessions,
       sum(pageviews) AS pageviews,
       count(*) FILTER (WHERE duration_ms > 10000 OR pageviews >= 2 OR tracks > 0) AS engaged,
       count(DISTINCT visitor_id) AS visitors
FROM sessions GROUP BY ALL
"""


def duckdb_sessions(settings: Settings) -> tuple[float, dict[tuple[str, date], Counter[str]]]:
    import duckdb

    files = Path(settings.table_location(RAW_EVENTS.relative_path)) / "*" / "*.parquet"
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    clock = time.perf_counter()
    rows = connection.execute(DUCKDB_SESSIONS.format(files=files)).fetchall()
    seconds = time.perf_counter() - clock
    connection.close()
    result = {
        (site, day): Counter(sessions=sessions, pageviews=pageviews, engaged_sessions=engaged)
        for site, day, sessions, pageviews, engaged, _ in rows
    }
    return seconds, result


def run_size(spark: SparkSession, events: int, keep: bool) -> dict[str, Any]:
    from spark_jobs.nightly import run_nightly

    state = run_dir("batch")
    settings = isolated_settings(state)
    design = Design.for_events(events)
    clock = time.perf_counter()
    loaded = load(spark, settings, design)
    print(
        f"\n{loaded:,} raw events ({design.sessions:,} sessions over {DAYS} days) "
        f"written in {time.perf_counter() - clock:.1f}s"
    )
    spark.catalog.clearCache()
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    clock = time.perf_counter()
    results = run_nightly(
        spark,
        settings,
        last_day,
        lookback_days=DAYS - 1,
        progress=lambda r: print(
            f"  {r.job:<14} {r.seconds:6.1f}s  {loaded / r.seconds:>12,.0f} events/s  "
            f"{r.rows_written:>10,} rows"
        ),
    )
    total = time.perf_counter() - clock
    print(f"  {'all jobs':<14} {total:6.1f}s  {loaded / total:>12,.0f} events/s")
    truth = design.truth()
    got = batch_totals(spark, settings)
    exact = all(got.get(key, Counter()) == counts for key, counts in truth.items())
    print(f"  daily totals vs the ground truth: {'exact' if exact else 'DIFFERENT'}")
    duck_s, duck = duckdb_sessions(settings)
    duck_exact = all(
        Counter({k: counts[k] for k in ("sessions", "pageviews", "engaged_sessions")})
        == duck.get(key, Counter())
        for key, counts in truth.items()
    )
    by_job = {r.job: r.seconds for r in results}
    spark_peer = by_job["sessionize"] + by_job["daily_metrics"]
    print(
        f"  DuckDB sessionize + daily totals: {duck_s:.1f}s ({loaded / duck_s:,.0f} events/s, "
        f"{'exact' if duck_exact else 'DIFFERENT'}); Spark's sessionize + daily_metrics "
        f"{spark_peer:.1f}s: Spark/DuckDB {spark_peer / duck_s:.2f}"
    )
    discard(state, keep)
    return {"events": loaded, "total_s": total, "spark_peer_s": spark_peer, "duck_s": duck_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--driver-memory", default="3g", help="the Spark driver's heap")
    parser.add_argument("--keep", action="store_true", help=KEEP_HELP)
    arguments = parser.parse_args()
    os.environ.setdefault("BEACON_SPARK__DRIVER_MEMORY", arguments.driver_memory)
    settings = isolated_settings(run_dir("batch-spark"))
    spark = spark_session(settings, "beacon-bench-batch")
    print(
        f"Spark {spark.version} {settings.spark.master}, driver {settings.spark.driver_memory}, "
        f"{settings.spark.shuffle_partitions} shuffle partitions"
    )
    try:
        runs = [run_size(spark, n, arguments.keep) for n in arguments.events]
    finally:
        spark.stop()
    first, last = runs[0], runs[-1]
    if len(runs) > 1:
        scale = last["events"] / first["events"]
        grew = last["total_s"] / first["total_s"]
        print(
            f"\n{last['events']:,} / {first['events']:,} events ({scale:.1f}x): "
            f"time {grew:.2f}x ({'linear or better' if grew <= scale else 'worse than linear'})"
        )
    for run in runs:
        print(
            f"{run['events']:>12,} events: all jobs {run['total_s']:.1f}s; "
            f"Spark/DuckDB (sessionize + daily) {run['spark_peer_s'] / run['duck_s']:.2f}"
        )


if __name__ == "__main__":
    main()
