"""
### beacon_maintenance

Daily housekeeping of every lakehouse table, through `lakehouse/maintenance.py` (the same
operations the streaming job's maintenance thread runs on the tables it writes):

0. **retention**: the rows of raw and batch tables older than their site's retention
   (`retention_days` of each site, 425 by default) deleted, and the files that held them
   vacuumed at once;
1. **optimize**: compaction of small files (OPTIMIZE) of the tables no streaming job
   compacts itself;
2. **vacuum**: VACUUM of every table, with the file retention configured on the table;
3. **clean_up_log**: deletion of each table's Delta log files past its log retention.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable
from beacon_spark import DEFAULT_ARGS, LOGICAL_DAY, spark_job

with DAG(
    dag_id="beacon_maintenance",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(hours=1)},
    tags=["beacon", "maintenance", "spark"],
    doc_md=__doc__,
):
    steps = [
        spark_job("maintenance", "--step", step, task_id=step.replace("-", "_"))
        for step in ("optimize", "vacuum", "clean-up-log")
    ]
    retention = spark_job(
        "maintenance", "--step", "retention", "--ds", LOGICAL_DAY, task_id="retention"
    )
    retention >> steps[0] >> steps[1] >> steps[2]
