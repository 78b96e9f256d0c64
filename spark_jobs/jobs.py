"""The batch jobs, each a function of one run's context that reads, transforms and writes,
returning the rows it wrote. The job modules (``python -m spark_jobs.<job>``) and the
nightly chain call these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pyspark.sql import SparkSession

from lakehouse.provision import create_delta_tables
from lakehouse.settings import Settings, SiteSettings
from lakehouse.tables.batch import (
    BATCH_DAILY_EVENTS,
    BATCH_DAILY_GOALS,
    BATCH_DAILY_METRICS,
    BATCH_DAILY_PAGES,
    BATCH_FUNNELS,
    BATCH_RETENTION,
    BATCH_SESSIONS,
    BATCH_TABLES,
    BATCH_USERS,
)
from lakehouse.tables.ops import OPS_PIPELINE_RUNS
from spark_jobs import runs
from spark_jobs.inputs import BatchInputs
from spark_jobs.transforms.daily import daily_goals, daily_metrics
from spark_jobs.transforms.events import humans
from spark_jobs.transforms.funnels import funnels
from spark_jobs.transforms.goals import site_goals
from spark_jobs.transforms.pages import daily_events, daily_pages
from spark_jobs.transforms.retention import retention
from spark_jobs.transforms.sessions import sessions_of, with_identity
from spark_jobs.transforms.users import users
from spark_jobs.window import DayWindow
from spark_jobs.writes import replace_all, replace_days

PUBLISH = "publish"


class NotPublishable(Exception):
    """publish ran before the jobs whose tables it closes succeeded for the day."""


class DataQualityFailed(Exception):
    """Critical expectations failed for the day: it must not be published."""

    def __init__(self, message: str, failed: list[str]) -> None:
        super().__init__(message)
        self.failed = failed


@dataclass
class RunContext:
    spark: SparkSession
    settings: Settings
    window: DayWindow
    inputs: BatchInputs

    @property
    def sites(self) -> tuple[SiteSettings, ...]:
        return self.settings.collector.sites


def prepare_tables(spark: SparkSession, settings: Settings) -> None:
    """The tables the jobs write, created if missing (``beacon tables init`` does the same)."""
    create_delta_tables(spark, settings, (*BATCH_TABLES, OPS_PIPELINE_RUNS), lambda _: None)


def sessionize(run: RunContext) -> int:
    window, inputs = run.window, run.inputs
    sessions = sessions_of(inputs.tagged, site_goals(run.sites), run.settings.batch.engaged_after_s)
    rows = with_identity(
        sessions, inputs.identities, inputs.earlier_people(), window.first_day, window.last_day
    )
    return replace_days(rows, run.settings, BATCH_SESSIONS, window)


def daily(run: RunContext) -> int:
    window, inputs, settings = run.window, run.inputs, run.settings
    sessions = inputs.sessions()
    goal_names = {site.site_id: [g.name for g in site.analytics.goals] for site in run.sites}
    value_goals = {
        (site.site_id, g.name)
        for site in run.sites
        for g in site.analytics.goals
        if g.value_property
    }
    properties = {
        site.site_id: {name: list(keys) for name, keys in site.analytics.event_properties.items()}
        for site in run.sites
    }
    written = replace_days(
        daily_metrics(sessions, inputs.events), settings, BATCH_DAILY_METRICS, window
    )
    written += replace_days(
        daily_goals(sessions, goal_names, value_goals), settings, BATCH_DAILY_GOALS, window
    )
    written += replace_days(daily_pages(inputs.tagged), settings, BATCH_DAILY_PAGES, window)
    written += replace_days(
        daily_events(humans(inputs.events), properties), settings, BATCH_DAILY_EVENTS, window
    )
    return written


def people(run: RunContext) -> int:
    return replace_all(users(run.inputs.all_sessions()), run.settings, BATCH_USERS)


def funnel_steps(run: RunContext) -> int:
    frame = funnels(run.inputs.tagged, run.sites)
    if frame is None:
        frame = run.spark.createDataFrame([], BATCH_FUNNELS.spark_schema())
    return replace_days(frame, run.settings, BATCH_FUNNELS, run.window)


def cohorts(run: RunContext) -> int:
    return replace_all(retention(run.inputs.all_sessions()), run.settings, BATCH_RETENTION)


def quality(run: RunContext) -> int:
    """The data-quality gate: every suite of expectations/ for the logical date, each
    expectation's outcome a row of ops.dq_results (the rows it writes). A failed critical
    expectation raises :class:`DataQualityFailed`, naming them all; a failed warning is
    recorded only."""
    from expectations.run import SuiteRun, run_suites
    from expectations.suites import all_suites

    def progress(suite: SuiteRun) -> None:
        print(f"dq {run.window.ds} {suite.summary()}", flush=True)

    result = run_suites(run.spark, run.settings, run.window.ds, all_suites(run.settings), progress)
    failed = [f"{o.suite}/{o.check}" for o in result.blocking]
    if failed:
        raise DataQualityFailed(
            f"data quality of {run.window.ds}: {len(failed)} critical expectations failed "
            f"({', '.join(failed)}); the day is not published (ops.dq_results run "
            f"{result.run_id})",
            failed,
        )
    return len(result.outcomes)


DQ = "dq"
CLOSED_BY_PUBLISH = ("sessionize", "daily_metrics", DQ)


def publish(run: RunContext) -> int:
    """Close the logical date: its sessions and daily metrics are final for serving, once
    they and the data-quality gate succeeded for it. The rows of its day in
    batch.daily_metrics are the rows it records."""
    from pyspark.sql import functions as F

    for job in CLOSED_BY_PUBLISH:
        status = runs.latest_status(run.spark, run.settings, job, run.window.ds)
        if status == runs.FAILED and job == DQ:
            raise NotPublishable(
                f"cannot publish {run.window.ds}: its data-quality gate failed (the failed "
                "expectations are in ops.dq_results); fix the data and run dq again"
            )
        if status != runs.SUCCESS:
            raise NotPublishable(
                f"cannot publish {run.window.ds}: {job} has "
                + ("not run" if status is None else f"status {status}")
                + " for it; run the nightly jobs first"
            )
    metrics = run.inputs.table(BATCH_DAILY_METRICS)
    return metrics.where(F.col("event_date") == F.lit(run.window.ds)).count()


JOBS: Mapping[str, Callable[[RunContext], int]] = {
    "sessionize": sessionize,
    "daily_metrics": daily,
    "users": people,
    "funnels": funnel_steps,
    "retention": cohorts,
    DQ: quality,
    PUBLISH: publish,
}
"""Every batch job by name, in the nightly chain's order."""
