"""Running batch jobs for a logical date, each recording its run in ops.pipeline_runs: one
job (a job module's main), or the whole nightly chain in one SparkSession, sharing what it
reads (``beacon batch run`` and bench/batch.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pyspark.sql import SparkSession

from lakehouse.settings import Settings
from spark_jobs import runs
from spark_jobs.inputs import BatchInputs
from spark_jobs.jobs import DQ, JOBS, PUBLISH, RunContext, prepare_tables
from spark_jobs.window import DayWindow

NIGHTLY: tuple[str, ...] = tuple(JOBS)
"""sessionize -> daily_metrics -> users -> funnels -> retention -> dq -> publish."""
RECOMPUTE: tuple[str, ...] = tuple(job for job in NIGHTLY if job not in (DQ, PUBLISH))
"""A closed day's rerun after an erasure: the jobs that write its tables. The day stays
closed (its publish stands), and it passed its data-quality gate when it was closed: the
reconciliations would now count the erased rows as lost."""


@dataclass(frozen=True)
class JobResult:
    job: str
    ds: date
    rows_written: int
    seconds: float


Progress = Callable[[JobResult], None]


def run_job(
    spark: SparkSession, settings: Settings, job: str, window: DayWindow, inputs: BatchInputs
) -> JobResult:
    """Run one job for the window and record it (success, or failed with the error, which
    is raised again)."""
    started, clock = runs.now(), time.perf_counter()
    context = RunContext(spark, settings, window, inputs)
    try:
        rows = JOBS[job](context)
    except BaseException as error:
        runs.record(
            spark,
            settings,
            runs.PipelineRun(job, window.ds, runs.FAILED, started, runs.now(), None, str(error)),
        )
        raise
    runs.record(
        spark, settings, runs.PipelineRun(job, window.ds, runs.SUCCESS, started, runs.now(), rows)
    )
    return JobResult(job, window.ds, rows, time.perf_counter() - clock)


def window_for(settings: Settings, ds: date, lookback_days: int | None) -> DayWindow:
    return DayWindow(ds, settings.batch.lookback_days if lookback_days is None else lookback_days)


def run_jobs(
    spark: SparkSession,
    settings: Settings,
    ds: date,
    jobs: Sequence[str] = NIGHTLY,
    lookback_days: int | None = None,
    progress: Progress | None = None,
) -> list[JobResult]:
    """Run ``jobs`` in order for ``ds`` in this session, sharing their inputs."""
    unknown = [job for job in jobs if job not in JOBS]
    if unknown:
        raise ValueError(f"unknown batch job {unknown[0]!r}; the jobs are {', '.join(JOBS)}")
    window = window_for(settings, ds, lookback_days)
    prepare_tables(spark, settings)
    inputs = BatchInputs(spark, settings, window, persist=len(jobs) > 1)
    results = []
    try:
        for job in jobs:
            result = run_job(spark, settings, job, window, inputs)
            results.append(result)
            if progress is not None:
                progress(result)
    finally:
        inputs.release()
    return results


def run_nightly(
    spark: SparkSession,
    settings: Settings,
    ds: date,
    lookback_days: int | None = None,
    progress: Progress | None = None,
) -> list[JobResult]:
    """The whole nightly chain for ``ds`` (and its lookback days) in one session."""
    return run_jobs(spark, settings, ds, NIGHTLY, lookback_days, progress)
