"""
### beacon_gdpr

Erasure requests (ops.gdpr_requests) carried out to the end, hourly (`gdpr.schedule`) and at
once when the reporting API or `beacon gdpr erase` records a request. Each step is one run of
`spark_jobs/erase.py`, spark-submitted through the `beacon_spark` connection:

1. **erase**: for each request still to erase, its subject's records purged from the
   collector's spool and its rows deleted from raw.events, raw.events_bad, batch.sessions and
   batch.users (the live tables hold no row per person: counts and hashed sketches); the
   request is then erased, its identifier in clear dropped, and its audit row written with
   when its last Kafka copy expires;
2. **recompute**: the nightly chain's jobs rerun for the closed days the subjects' rows were
   on, so the aggregates no longer count them;
3. **vacuum**: the touched tables vacuumed with the erasure's retention, so the files that
   held the rows are physically gone; each request is then done, its audit row complete.

A step that fails leaves its requests failed or erased, never done: the next run (or a
retry) carries them on.
"""

from __future__ import annotations

import json
import os

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable
from beacon_spark import DEFAULT_ARGS, spark_job

SCHEDULE = json.loads(os.environ.get("BEACON_GDPR") or "{}").get("schedule") or "@hourly"
"""`gdpr.schedule`: beacon's settings reach every Airflow process as ``BEACON_*`` variables
(the ``gdpr`` section as JSON in ``BEACON_GDPR``)."""

with DAG(
    dag_id="beacon_gdpr",
    schedule=CronTriggerTimetable(SCHEDULE, timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["beacon", "gdpr", "spark"],
    doc_md=__doc__,
):
    steps = [
        spark_job("erase", "--step", step, task_id=step)
        for step in ("erase", "recompute", "vacuum")
    ]
    steps[0] >> steps[1] >> steps[2]
