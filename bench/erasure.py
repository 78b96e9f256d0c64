"""An erasure request against a lakehouse of N raw events: the time to record the request
(the API's delta-rs append) and to carry it out, step by step as beacon_gdpr runs them:
erase (resolve the subject, note its days, purge the spool, delete its rows from raw.events,
raw.events_bad, batch.sessions and batch.users, write the audit row and the erased
request), recompute (the nightly chain over the closed days it was on) and vacuum (until the
files that held its rows are physically gone and the request is done), beside a peer: one
Spark scan counting the subject's rows in raw.events, the least any erasure has to read.

It writes the synthetic events of bench/batch.py straight into raw.events and builds the
batch tables with the nightly chain (published), then erases three visitors one after the
other (the first pays the jobs' first-use costs). In one Spark session: the DAG adds a
spark-submit per step (the end-to-end test prints that path's time).

    .venv/bin/python -m bench.erasure [--events 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bench.batch import DAYS, FIRST_DAY, SITES, Design, load
from bench.workdir import KEEP_HELP, discard, run_dir
from lakehouse.erasure import ErasureRequest, Subject
from lakehouse.gdpr_store import LakehouseGdprStore
from lakehouse.provision import create_delta_tables
from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from lakehouse.state_secrets import gdpr_hash_secret
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from spark_jobs.erasure import load_request, prepare_tables, run_request
from spark_jobs.erasure_completion import recompute_requests, vacuum_requests
from spark_jobs.nightly import NIGHTLY, run_jobs
from spark_jobs.transforms.erasure import SubjectIds, subject_rows
from stack.state import isolated_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

VISITORS = (42, 1042, 2042)  # even: demo-shop's, with an anonymous id


def scan_for(spark: SparkSession, settings: Settings, visitor: str) -> tuple[int, float]:
    """The peer: one scan of raw.events counting the visitor's rows."""
    clock = time.perf_counter()
    raw = spark.read.format("delta").load(settings.table_location(RAW_EVENTS.relative_path))
    rows = raw.where(subject_rows(RAW_EVENTS, SubjectIds(SITES[0], frozenset({visitor}))))
    return rows.count(), time.perf_counter() - clock


def erase_one(spark: SparkSession, settings: Settings, visitor: str) -> dict[str, float]:
    rows, scan_s = scan_for(spark, settings, visitor)
    subject = Subject.model_validate({"site": SITES[0], "visitor_id": visitor})
    request = ErasureRequest.new(subject, gdpr_hash_secret(settings), "api", datetime.now(UTC))
    clock = time.perf_counter()
    LakehouseGdprStore(settings).record(request)
    record_s = time.perf_counter() - clock
    clock = time.perf_counter()
    run_request(spark, settings, load_request(spark, settings, request.request_id))
    erase_s = time.perf_counter() - clock
    clock = time.perf_counter()
    recompute_requests(spark, settings, lambda _: None)
    recompute_s = time.perf_counter() - clock
    clock = time.perf_counter()
    vacuum_requests(spark, settings, lambda _: None)
    vacuum_s = time.perf_counter() - clock
    done = load_request(spark, settings, request.request_id)
    removed = done.rows_removed or {}
    print(
        f"  {visitor}: recorded in {record_s * 1000:.0f} ms, erased in {erase_s:.1f}s "
        f"({sum(removed.values())} rows: "
        + ", ".join(f"{table} {n}" for table, n in sorted(removed.items()))
        + f"; {rows} raw rows by the peer's scan in {scan_s:.1f}s: erasure/scan "
        f"{erase_s / scan_s:.1f}); recomputed in {recompute_s:.1f}s, vacuumed in "
        f"{vacuum_s:.1f}s: request to physically gone {erase_s + recompute_s + vacuum_s:.1f}s; "
        f"status {done.status.value}"
    )
    gone_s = erase_s + recompute_s + vacuum_s
    return {"record_s": record_s, "erase_s": erase_s, "scan_s": scan_s, "gone_s": gone_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--driver-memory", default="3g", help="the Spark driver's heap")
    parser.add_argument("--keep", action="store_true", help=KEEP_HELP)
    arguments = parser.parse_args()
    os.environ.setdefault("BEACON_SPARK__DRIVER_MEMORY", arguments.driver_memory)
    state = run_dir("erasure")
    settings = isolated_settings(state)
    spark = spark_session(settings, "beacon-bench-erasure")
    try:
        clock = time.perf_counter()
        loaded = load(spark, settings, Design.for_events(arguments.events))
        last_day = FIRST_DAY + timedelta(days=DAYS - 1)
        run_jobs(spark, settings, last_day, NIGHTLY, DAYS - 1)
        prepare_tables(spark, settings)
        create_delta_tables(spark, settings, (RAW_EVENTS_BAD,), lambda _: None)
        print(
            f"{loaded:,} raw events, the batch tables built and published in "
            f"{time.perf_counter() - clock:.1f}s (Spark {spark.version} {settings.spark.master})"
        )
        runs = [erase_one(spark, settings, f"v{visitor}") for visitor in VISITORS]
    finally:
        spark.stop()
        discard(state, arguments.keep)
    later = runs[1:]
    print(
        f"after the first: erasure {sum(r['erase_s'] for r in later) / len(later):.1f}s, "
        f"peer scan {sum(r['scan_s'] for r in later) / len(later):.1f}s, record "
        f"{sum(r['record_s'] for r in later) / len(later) * 1000:.0f} ms, request to physically "
        f"gone {sum(r['gone_s'] for r in later) / len(later):.1f}s (mean of {len(later)})"
    )


if __name__ == "__main__":
    main()
