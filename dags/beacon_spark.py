"""The wiring the beacon DAGs share: their default task arguments and the
SparkSubmitOperator of one beacon job (``spark_jobs/<job>.py``).

Nothing here computes anything or imports Spark: the master comes from the ``beacon_spark``
connection, and the jobs' folder, the jars of the local cache, the properties file and the
driver's Python from the ``beacon_spark_submit`` variable, both set by `beacon up airflow`
from beacon's settings and read when a task runs, not when the file is parsed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SPARK_CONN_ID = "beacon_spark"
SUBMIT = "var.json.beacon_spark_submit"
LOGICAL_DAY = "{{ ds }}"
"""The day a run is for: its logical date. A scheduled run of a daily data interval has the
interval's start (the run at midnight closes the day before); a run triggered for a day has
that day's midnight (`beacon batch trigger`)."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "beacon",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=15),
    "execution_timeout": timedelta(minutes=45),
}


def spark_job(
    job: str, *arguments: str, task_id: str | None = None, **task: Any
) -> SparkSubmitOperator:
    """A task (named ``job`` unless ``task_id`` is given) that spark-submits
    ``spark_jobs/<job>.py`` with ``arguments``."""
    return SparkSubmitOperator(
        task_id=task_id or job,
        conn_id=SPARK_CONN_ID,
        name=f"beacon-{job}",
        application=f"{{{{ {SUBMIT}.jobs }}}}/{job}.py",
        application_args=list(arguments),
        jars=f"{{{{ {SUBMIT}.jars }}}}",
        properties_file=f"{{{{ {SUBMIT}.properties_file }}}}",
        conf={"spark.pyspark.python": f"{{{{ {SUBMIT}.python }}}}"},
        **task,
    )
