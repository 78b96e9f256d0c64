"""`python -m spark_jobs.erase [--step STEP] [--request-id ID]`, or `spark-submit
spark_jobs/erase.py ...`: carry out erasure requests, the beacon_gdpr DAG's steps.

- ``--step erase``: delete the subject of one request, or of every one still to erase
  (pending, failed, interrupted), from the spool and every table with rows per subject; one
  line each: erased, with the rows removed per table and the days affected, or failed, with
  the reason (identifiers blanked);
- ``--step recompute``: rerun the nightly jobs for the erased requests' closed days;
- ``--step vacuum``: vacuum the touched tables, then mark the erased requests done;
- ``--step all`` (the default): the three in order, in one session.

The exit code is 1 if a request failed or a step did."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if not __package__:  # spark-submit runs this file by its path: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.settings import Settings

FAILED_EXIT = 1
STEPS = ("erase", "recompute", "vacuum", "all")


def _fail(message: str) -> int:
    from spark_jobs.cli import USAGE_EXIT

    print(f"beacon: error: {message}", file=sys.stderr)
    return USAGE_EXIT


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse.artifacts import MissingArtifacts
    from lakehouse.jdk import JdkNotFound
    from lakehouse.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(
        prog="python -m spark_jobs.erase",
        description="Carry out erasure requests of ops.gdpr_requests.",
    )
    parser.add_argument("--request-id", metavar="ID", help="this request (default: every open one)")
    parser.add_argument("--step", choices=STEPS, default="all", help="the step to run")
    arguments = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        return _fail(str(error))
    from lakehouse.spark import spark_session
    from spark_jobs.erasure import UnknownRequest

    try:
        spark = spark_session(settings, f"beacon-gdpr-{arguments.step}")
    except (JdkNotFound, MissingArtifacts) as error:
        return _fail(str(error))
    try:
        return run_steps(spark, settings, arguments.step, arguments.request_id)
    except UnknownRequest as error:
        return _fail(str(error))
    finally:
        spark.stop()


def run_steps(spark: SparkSession, settings: Settings, step: str, request_id: str | None) -> int:
    """Run ``step`` (or all three); the exit code. A failed step prints one line."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    from spark_jobs.erasure import run_requests
    from spark_jobs.erasure_completion import recompute_requests, vacuum_requests

    def say(line: str) -> None:
        print(line, flush=True)

    if step in ("erase", "all"):
        outcomes = run_requests(spark, settings, request_id, say)
        if any(not outcome.erased for outcome in outcomes):
            return FAILED_EXIT
    try:
        if step in ("recompute", "all"):
            recompute_requests(spark, settings, say)
        if step in ("vacuum", "all"):
            vacuum_requests(spark, settings, say)
    except (PySparkException, Py4JError, OSError, ValueError) as error:
        from lakehouse.erasure import redacted

        print(f"beacon: error: erasure {step} failed: {redacted(error, ())}", file=sys.stderr)
        return FAILED_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
