"""The command line every job module shares: ``--ds YYYY-MM-DD [--lookback-days N]``.

A problem the user can fix (a malformed date, a bad setting, a missing table, publishing a
day whose jobs have not run) ends the job with one line ``beacon: error: ...`` and exit 2; the
dq job's failed gate names each failed critical expectation on a line of its own, then exits 1."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

USAGE_EXIT = 2
DATA_QUALITY_EXIT = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        _fail(f"{message} (see `{self.prog} --help`)")


def _fail(message: str) -> None:
    print(f"beacon: error: {message}", file=sys.stderr)
    raise SystemExit(USAGE_EXIT)


def parse(job: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog=f"python -m spark_jobs.{job}",
        description=f"Batch job {job}: recompute the logical date and the lookback days before it.",
    )
    parser.add_argument("--ds", required=True, metavar="YYYY-MM-DD", help="the logical date")
    parser.add_argument(
        "--lookback-days",
        type=int,
        metavar="N",
        help="days before --ds to recompute too (default: batch.lookback_days, 3)",
    )
    return parser.parse_args(argv)


def main(job: str, argv: Sequence[str] | None = None) -> int:
    """Run ``job`` for the command line's logical date in a session of its own."""
    from lakehouse.artifacts import MissingArtifacts
    from lakehouse.jdk import JdkNotFound
    from lakehouse.settings import SettingsError, load_settings
    from spark_jobs.inputs import MissingTable
    from spark_jobs.jobs import DataQualityFailed, NotPublishable
    from spark_jobs.window import BadLogicalDate, parse_ds

    arguments = parse(job, argv)
    try:
        ds = parse_ds(arguments.ds)
        if arguments.lookback_days is not None and arguments.lookback_days < 0:
            _fail("--lookback-days must not be negative")
        settings = load_settings()
    except (BadLogicalDate, SettingsError) as error:
        _fail(str(error))
    from expectations.run import MissingSource
    from lakehouse.spark import spark_session
    from spark_jobs.nightly import run_jobs

    try:
        spark = spark_session(settings, f"beacon-batch-{job}")
    except (JdkNotFound, MissingArtifacts) as error:
        _fail(str(error))
    try:
        (result,) = run_jobs(spark, settings, ds, (job,), arguments.lookback_days)
    except (MissingTable, MissingSource, NotPublishable) as error:
        _fail(str(error))
    except DataQualityFailed as error:
        for name in error.failed:
            print(f"dq: critical expectation failed: {name}", file=sys.stderr)
        print(f"beacon: error: {error}", file=sys.stderr)
        raise SystemExit(DATA_QUALITY_EXIT) from None
    finally:
        spark.stop()
    print(f"{job} {ds}: {result.rows_written} rows written in {result.seconds:.1f}s")
    return 0
