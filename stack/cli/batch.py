"""`beacon batch run` and `beacon batch trigger`: the nightly recompute of closed days, in
one Spark session without Airflow, or as beacon_nightly runs of the running Airflow."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from lakehouse.settings import load_settings
from stack.cli.output import say
from stack.errors import BeaconError

app = typer.Typer(name="batch", help="The batch layer: recompute closed days.")

DS_HELP = "The logical date (YYYY-MM-DD), the last day of the run."
DAYS_HELP = "Run this many logical dates, ending at --ds, oldest first."


def logical_dates(ds: str, days: int) -> list[date]:
    """The ``days`` logical dates ending at ``ds``, oldest first; BeaconError if malformed."""
    try:
        if len(ds) != 10:
            raise ValueError(ds)
        last = date.fromisoformat(ds)
    except ValueError:
        raise BeaconError(f"--ds {ds!r} is not a date in YYYY-MM-DD form") from None
    if days < 1:
        raise BeaconError(f"--days {days} must be at least 1")
    return [last - timedelta(days=back) for back in range(days - 1, -1, -1)]


@app.command()
def run(
    ds: Annotated[str, typer.Option("--ds", metavar="DATE", help=DS_HELP)],
    days: Annotated[int, typer.Option("--days", metavar="N", help=DAYS_HELP)] = 1,
    lookback_days: Annotated[
        int | None,
        typer.Option(
            "--lookback-days",
            metavar="N",
            help="Days before each date to recompute too (default: batch.lookback_days).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Run the nightly jobs for each date in one Spark session, without Airflow."""
    from expectations.run import MissingSource
    from lakehouse.spark import spark_session
    from spark_jobs.inputs import MissingTable
    from spark_jobs.jobs import DataQualityFailed, NotPublishable
    from spark_jobs.nightly import JobResult, run_nightly
    from stack.state import open_state_dir

    dates = logical_dates(ds, days)
    if lookback_days is not None and lookback_days < 0:
        raise BeaconError(f"--lookback-days {lookback_days} must not be negative")
    settings = load_settings()
    open_state_dir(settings)

    def progress(result: JobResult) -> None:
        say(f"  {result.ds} {result.job}: {result.rows_written} rows in {result.seconds:.1f}s")

    say(f"batch: nightly jobs for {dates[0]} .. {dates[-1]} in one Spark session")
    spark = spark_session(settings, "beacon-batch-run")
    try:
        for day in dates:
            results = run_nightly(spark, settings, day, lookback_days, progress)
            say(f"{day}: {len(results)} jobs in {sum(r.seconds for r in results):.1f}s")
    except (MissingTable, MissingSource, NotPublishable, DataQualityFailed) as error:
        raise BeaconError(str(error)) from None
    finally:
        spark.stop()
    return 0


@app.command()
def trigger(
    ds: Annotated[str, typer.Option("--ds", metavar="DATE", help=DS_HELP)],
    days: Annotated[int, typer.Option("--days", metavar="N", help=DAYS_HELP)] = 1,
    dag: Annotated[str, typer.Option("--dag", metavar="DAG_ID")] = "beacon_nightly",
    wait_for_stream: Annotated[
        bool,
        typer.Option(
            "--wait-for-stream",
            help="First wait until the streaming job has landed all Kafka holds in raw.events.",
        ),
    ] = False,
    timeout_s: Annotated[
        float, typer.Option("--timeout", metavar="S", help="Give up after S seconds.")
    ] = 3600.0,
) -> int:
    """Run a DAG (beacon_nightly) for each date through the running Airflow and wait."""
    from stack.airflow_env import airflow_url
    from stack.airflow_runs import AirflowApi, run_days
    from stack.stream_landing import wait_until_landed

    dates = logical_dates(ds, days)
    settings = load_settings()
    if wait_for_stream:
        AirflowApi(settings).close()  # Airflow answers before the wait for the stream
        wait_until_landed(settings, timeout_s, say)
    results = run_days(settings, dag, dates, say, timeout_s)
    failed = [str(result.day) for result in results if result.state != "success"]
    if failed:
        raise BeaconError(
            f"{dag} failed for {', '.join(failed)}; see its task logs at {airflow_url(settings)}"
        )
    took = ", ".join(f"{r.day} {r.seconds:.0f}s" for r in results if r.seconds is not None)
    say(f"{dag}: {len(results)} runs succeeded ({took})")
    return 0
