"""The data-quality gate's cost: the dq job (every suite of expectations/) against the
nightly chain it gates, measured in the same run on the same synthetic days.

For each size (default 1M and 10M events) it loads bench/batch.py's four days of synthetic
raw.events, fills what the reconciliation suites read as the stream and the collector
would (each day's live total rows, and the collector's accepted counts per site and day;
untimed), runs the nightly jobs before the gate for the last day with three lookback days
(as beacon_nightly does), then the gate, then publish, and prints each suite's time, the
gate's and the chain's, and the gate's share of the chain (target: at most a quarter).

    .venv/bin/python -m bench.dq [--events 1000000 10000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bench.batch import DAYS, FIRST_DAY, Design, load
from bench.workdir import KEEP_HELP, discard, run_dir
from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from lakehouse.tables.live import LIVE_DAILY_METRICS
from lakehouse.tables.ops import OPS_COLLECTOR_ACCEPTED
from lakehouse.tables.raw import RAW_EVENTS
from stack.state import isolated_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TARGET_SHARE = 0.25


def fill_reconciliation_sources(spark: SparkSession, settings: Settings) -> None:
    """live.daily_metrics total rows and ops.collector_accepted counts of the loaded days,
    as the stream and the collector would have written them."""
    from pyspark.sql import functions as F

    from lakehouse.provision import create_delta_tables
    from spark_jobs.transforms.events import deduplicated
    from streaming.metrics import SKETCH_LG_K, on_time, visitors_estimate_sql

    create_delta_tables(
        spark, settings, (LIVE_DAILY_METRICS, OPS_COLLECTOR_ACCEPTED), lambda _: None
    )
    raw = spark.read.format("delta").load(settings.table_location(RAW_EVENTS.relative_path))
    live = (
        on_time(deduplicated(raw), settings.streaming.watermark_s)
        .groupBy("site_id", "event_date")
        .agg(
            F.count_if(F.col("type") == "page").alias("pageviews"),
            F.count(F.lit(1)).alias("events"),
            F.hll_sketch_agg("visitor_id", SKETCH_LG_K).alias("visitors_sketch"),
        )
        .select(
            "*",
            F.lit("all").alias("dimension"),
            F.lit("(all)").alias("value"),
            F.lit(0).cast("long").alias("new_sessions"),
            F.expr(visitors_estimate_sql("visitors_sketch")).alias("unique_visitors"),
            F.current_timestamp().alias("updated_at"),
        )
        .select(*LIVE_DAILY_METRICS.column_names)
    )
    live.write.format("delta").mode("append").save(
        settings.table_location(LIVE_DAILY_METRICS.relative_path)
    )
    accepted = (
        raw.groupBy("site_id", F.to_date("received_at").alias("received_date"))
        .agg(F.count(F.lit(1)).alias("accepted"))
        .select(
            "site_id",
            "received_date",
            "accepted",
            F.lit("bench").alias("collector"),
            F.current_timestamp().alias("flushed_at"),
        )
    )
    accepted.write.format("delta").mode("append").save(
        settings.table_location(OPS_COLLECTOR_ACCEPTED.relative_path)
    )


def run_size(spark: SparkSession, events: int, keep: bool) -> dict[str, Any]:
    from spark_jobs import jobs
    from spark_jobs.nightly import NIGHTLY, run_jobs

    state = run_dir("dq")
    settings = isolated_settings(state)
    design = Design.for_events(events)
    loaded = load(spark, settings, design)
    fill_reconciliation_sources(spark, settings)
    print(f"\n{loaded:,} raw events over {DAYS} days")
    spark.catalog.clearCache()
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    chain = NIGHTLY[: NIGHTLY.index(jobs.DQ)]
    clock = time.perf_counter()
    run_jobs(
        spark,
        settings,
        last_day,
        chain,
        DAYS - 1,
        lambda r: print(f"  {r.job:<14} {r.seconds:6.1f}s"),
    )
    chain_s = time.perf_counter() - clock
    print(f"  {'the chain':<14} {chain_s:6.1f}s  ({', '.join(chain)})")
    clock = time.perf_counter()
    (gate,) = run_jobs(spark, settings, last_day, (jobs.DQ,), DAYS - 1)  # prints each suite
    gate_s = time.perf_counter() - clock
    (published,) = run_jobs(spark, settings, last_day, (jobs.PUBLISH,), DAYS - 1)
    share = gate_s / chain_s
    print(
        f"  {'dq gate':<14} {gate_s:6.1f}s  ({gate.rows_written} expectations; publish "
        f"{published.seconds:.1f}s)\n  gate / chain: {share:.2f} (target <= {TARGET_SHARE})"
    )
    discard(state, keep)
    return {"events": loaded, "chain_s": chain_s, "gate_s": gate_s, "share": share}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--driver-memory", default="3g", help="the Spark driver's heap")
    parser.add_argument("--keep", action="store_true", help=KEEP_HELP)
    arguments = parser.parse_args()
    os.environ.setdefault("BEACON_SPARK__DRIVER_MEMORY", arguments.driver_memory)
    settings = isolated_settings(run_dir("dq-spark"))
    spark = spark_session(settings, "beacon-bench-dq")
    print(
        f"Spark {spark.version} {settings.spark.master}, driver {settings.spark.driver_memory}, "
        f"{settings.spark.shuffle_partitions} shuffle partitions"
    )
    try:
        runs = [run_size(spark, n, arguments.keep) for n in arguments.events]
    finally:
        spark.stop()
    for run in runs:
        verdict = "met" if run["share"] <= TARGET_SHARE else "NOT met"
        print(
            f"{run['events']:>12,} events: chain {run['chain_s']:.1f}s, dq gate "
            f"{run['gate_s']:.1f}s, gate/chain {run['share']:.2f} (target {verdict})"
        )


if __name__ == "__main__":
    main()
