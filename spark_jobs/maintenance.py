"""The lakehouse's daily table maintenance, one step a run, for the beacon_maintenance DAG:
``python -m spark_jobs.maintenance --step retention|optimize|vacuum|clean-up-log [--ds
YYYY-MM-DD]`` (or spark-submit ``spark_jobs/maintenance.py`` with the same arguments).

- ``retention`` deletes the rows of raw and batch tables older than their site's
  ``retention_days`` before ``--ds`` and vacuums the files that held them at once
  (:mod:`spark_jobs.site_retention`);

The other steps run :mod:`lakehouse.maintenance` (the operations the streaming job's
maintenance thread runs) on every table of the lakehouse that exists yet:

- ``optimize`` compacts the small files of each table whose compaction no streaming job owns:
  a table the streaming job compacts, inline or in its maintenance thread, is left to it (a
  second compaction beside it would make one of the two fail on the files both remove);
- ``vacuum`` deletes the files each table no longer uses once past the table's own
  ``delta.deletedFileRetentionDuration``;
- ``clean-up-log`` deletes each table's Delta log files past its log retention.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if not __package__:  # spark-submit runs this file by its path: import from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from lakehouse import maintenance
from lakehouse.columns import Table
from lakehouse.delta_properties import COMPACTED_IN_BACKGROUND, COMPACTED_INLINE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.settings import Settings

STEPS: dict[str, Callable[[SparkSession, str], None]] = {
    "optimize": maintenance.compact,
    "vacuum": maintenance.vacuum,
    "clean-up-log": maintenance.clean_up_log,
}
STREAMING_COMPACTION = (COMPACTED_INLINE, COMPACTED_IN_BACKGROUND)
RETENTION = "retention"


def tables_for(step: str, tables: Iterable[Table]) -> list[Table]:
    """The tables ``step`` looks after: every one, but for ``optimize`` only those whose
    compaction no streaming job owns."""
    if step != "optimize":
        return list(tables)
    return [t for t in tables if not any(p in t.properties for p in STREAMING_COMPACTION)]


class _Arguments(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"beacon: error: {message} (see `python -m spark_jobs.maintenance -h`)\n")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Arguments(prog="spark_jobs.maintenance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", required=True, choices=(RETENTION, *STEPS))
    parser.add_argument("--ds", metavar="YYYY-MM-DD", help="the run's logical date (retention)")
    arguments = parser.parse_args(argv)
    if arguments.step == RETENTION and arguments.ds is None:
        parser.error("--step retention needs --ds")
    return arguments


def run(spark: SparkSession, step: str, locations: dict[str, str]) -> list[str]:
    """Run ``step`` on each table (name -> location) that is a Delta table; the tables done."""
    from delta.tables import DeltaTable

    session = maintenance.maintenance_session(spark)
    done = []
    for name, location in locations.items():
        if not DeltaTable.isDeltaTable(session, location):
            print(f"maintenance: {step} {name}: no table at {location} yet, skipped", flush=True)
            continue
        started = time.monotonic()
        STEPS[step](session, location)
        print(f"maintenance: {step} {name} ({time.monotonic() - started:.1f}s)", flush=True)
        done.append(name)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse(argv)
    from lakehouse.settings import load_settings
    from lakehouse.spark import spark_session
    from lakehouse.tables import ALL_TABLES

    settings = load_settings()
    if arguments.step == RETENTION:
        return retention(settings, arguments.ds)
    tables = tables_for(arguments.step, ALL_TABLES)
    locations = {t.qualified_name: settings.table_location(t.relative_path) for t in tables}
    spark = spark_session(settings, f"beacon-maintenance-{arguments.step}")
    try:
        done = run(spark, arguments.step, locations)
    finally:
        spark.stop()
    print(f"maintenance: {arguments.step} done on {len(done)} of {len(locations)} tables")
    return 0


def retention(settings: Settings, ds: str) -> int:
    from lakehouse.spark import spark_session
    from spark_jobs.site_retention import drop_expired
    from spark_jobs.window import BadLogicalDate, parse_ds

    try:
        as_of = parse_ds(ds)
    except BadLogicalDate as error:
        print(f"beacon: error: {error}", file=sys.stderr)
        return 2
    spark = spark_session(settings, "beacon-maintenance-retention")
    try:
        done = drop_expired(spark, settings, as_of, lambda line: print(line, flush=True))
    finally:
        spark.stop()
    rows = sum(rows for rows, _ in done.values())
    print(f"maintenance: retention done on {len(done)} tables, {rows} rows deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
