"""`python -m spark_jobs.erase [--request-id ID]`, or `spark-submit spark_jobs/erase.py ...`:
carry out one erasure request, or every one not done yet (pending, failed, interrupted).

Each prints one line: done, with the rows removed per table and the days to recompute, or
failed, with the reason (identifiers blanked); the exit code is 1 if one failed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

if not __package__:  # spark-submit runs this file by its path: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

FAILED_EXIT = 1


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
    arguments = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        return _fail(str(error))
    from lakehouse.spark import spark_session
    from spark_jobs.erasure import UnknownRequest, run_requests

    try:
        spark = spark_session(settings, "beacon-gdpr-erase")
    except (JdkNotFound, MissingArtifacts) as error:
        return _fail(str(error))
    try:
        outcomes = run_requests(spark, settings, arguments.request_id, print)
    except UnknownRequest as error:
        return _fail(str(error))
    finally:
        spark.stop()
    return FAILED_EXIT if any(not outcome.done for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
