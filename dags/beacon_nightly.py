"""
### beacon_nightly

The batch layer's nightly recompute of one closed day (the run's data interval), in one
Spark job per step, each spark-submitted through the `beacon_spark` connection:

1. **sessionize**: raw.events of the day (and the days before it that late events may have
   changed) -> `batch.sessions`;
2. **daily_metrics**: sessions and events -> the daily metrics overall and by dimension;
3. **users**, **funnels**, **retention** (in parallel) -> `batch.users`, `batch.funnels`,
   `batch.retention`;
4. **dq**: the data-quality gate, every Great Expectations suite of `expectations/` for the
   day (raw.events, batch.sessions, batch.daily_metrics, live vs batch, collector vs raw),
   each expectation's outcome a row of `ops.dq_results`. A failed critical expectation fails
   the task, naming the failed expectations in its log, so the day is not published and the
   run fails; a failed warning is recorded only. Not retried: the data would fail again;
5. **publish**: records the closed day in `ops.pipeline_runs`, which the serving views read
   to take batch values for it (and refuses a day whose gate did not pass).

Every job replaces exactly its days' partitions and never reads the clock, so a rerun, a
backfill or a catch-up of any day gives the same rows.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable
from beacon_spark import DEFAULT_ARGS, LOGICAL_DAY, spark_job

with DAG(
    dag_id="beacon_nightly",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=3,
    default_args=DEFAULT_ARGS,
    tags=["beacon", "batch", "spark"],
    doc_md=__doc__,
):
    sessionize = spark_job("sessionize", "--ds", LOGICAL_DAY)
    daily_metrics = spark_job("daily_metrics", "--ds", LOGICAL_DAY)
    per_day = [spark_job(job, "--ds", LOGICAL_DAY) for job in ("users", "funnels", "retention")]
    dq = spark_job("dq", "--ds", LOGICAL_DAY, retries=0)
    publish = spark_job("publish", "--ds", LOGICAL_DAY)
    sessionize >> daily_metrics >> per_day >> dq >> publish
