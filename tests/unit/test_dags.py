"""DAG integrity, in the Airflow env's own Python (the core env has no Airflow): the DAG
files import without errors and without heavy modules, every DAG has an owner, retries with
backoff (but the data-quality gate), a timeout, tags and docs, and beacon_nightly wires its
Spark jobs in order, the gate before publish."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lakehouse.settings import load_settings
from stack.airflow_env import DAGS_FOLDER, JOBS_FOLDER, SPARK_CONN_ID
from stack.bootstrap import env_bin

HEAVY = ("pyspark", "pandas", "numpy", "pyarrow", "py4j", "delta", "lakehouse", "spark_jobs")
"""Modules a DAG file must not import when parsed: the DAG processor parses every file every
interval, and the Airflow env has none of beacon's own packages."""

SCHEDULES = {
    "beacon_nightly": "0 0 * * *",
    "beacon_maintenance": "0 0 * * *",
    "beacon_gdpr": "0 * * * *",
}

IMPORTS = """
import json, sys
sys.path.insert(0, sys.argv[1])
import importlib
for name in sys.argv[2:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""

DAG_FACTS = """
import json, sys
sys.path.insert(0, sys.argv[1])  # as the DAG processor puts the bundle's folder on the path
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(sys.argv[1])
dags = {}
for dag_id, dag in bag.dags.items():
    dags[dag_id] = {
        "tags": sorted(dag.tags),
        "doc_md": dag.doc_md or "",
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "timetable": type(dag.timetable).__name__,
        "schedule": getattr(dag.timetable, "expression", None),
        "tasks": {
            task.task_id: {
                "owner": task.owner,
                "retries": task.retries,
                "backoff": task.retry_exponential_backoff,
                "timeout_s": task.execution_timeout.total_seconds()
                if task.execution_timeout else None,
                "upstream": sorted(task.upstream_task_ids),
                "operator": type(task).__name__,
                "conn_id": getattr(task, "_conn_id", None),
                "application": getattr(task, "application", None),
                "arguments": getattr(task, "application_args", None),
                "jars": getattr(task, "jars", None),
                "conf": getattr(task, "conf", None) or getattr(task, "_conf", None),
            }
            for task in dag.tasks
        },
    }
print(json.dumps({"import_errors": bag.import_errors, "dags": dags}))
"""


NOT_RETRIED = {("beacon_nightly", "dq")}
"""Tasks that fail at once: the data-quality gate, whose failure is the data's (a retry
would fail the same, later)."""


def airflow_python(
    tmp_path: Path, script: str, *arguments: str, env: dict[str, str] | None = None
) -> Any:
    python = env_bin(load_settings(), "airflow", "python")
    if not python.exists():
        pytest.fail(f"the Airflow env is missing ({python}); run `beacon bootstrap --only airflow`")
    env = {
        **(env or {}),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [str(python), "-c", script, str(DAGS_FOLDER), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result: dict[str, Any] = airflow_python(tmp_path_factory.mktemp("dagbag"), DAG_FACTS)
    return result


def test_the_dag_files_import_without_errors(facts: dict[str, Any]) -> None:
    assert facts["import_errors"] == {}
    assert set(facts["dags"]) == {"beacon_nightly", "beacon_maintenance", "beacon_gdpr"}


def test_dag_files_import_nothing_heavy(tmp_path: Path) -> None:
    files = sorted(path.stem for path in DAGS_FOLDER.glob("*.py"))
    assert "beacon_nightly" in files
    loaded = airflow_python(tmp_path, IMPORTS, *files)
    assert set(files) <= set(loaded)  # the check did import them
    heavy = sorted(name for name in loaded if name.split(".")[0] in HEAVY)
    assert heavy == []


def test_every_dag_has_an_owner_retries_with_backoff_a_timeout_tags_and_docs(
    facts: dict[str, Any],
) -> None:
    for dag_id, dag in facts["dags"].items():
        assert "beacon" in dag["tags"], dag_id
        assert dag["doc_md"].strip().startswith(f"### {dag_id}"), dag_id
        assert dag["schedule"] == SCHEDULES[dag_id], dag_id
        assert dag["max_active_runs"] == 1, dag_id
        for task_id, task in dag["tasks"].items():
            where = f"{dag_id}.{task_id}"
            assert task["owner"] == "beacon", where
            if (dag_id, task_id) in NOT_RETRIED:
                assert task["retries"] == 0, where
                continue
            assert task["retries"] >= 1, where
            assert task["backoff"] > 1, where  # the delay grows with each try
            assert (task["timeout_s"] or 0) > 0, where


def test_gdpr_erases_then_recomputes_then_vacuums(facts: dict[str, Any]) -> None:
    dag = facts["dags"]["beacon_gdpr"]
    assert dag["timetable"] == "CronTriggerTimetable"
    assert {task: spec["upstream"] for task, spec in dag["tasks"].items()} == {
        "erase": [],
        "recompute": ["erase"],
        "vacuum": ["recompute"],
    }
    for step, task in dag["tasks"].items():
        assert Path(task["application"]).name == "erase.py"
        assert task["arguments"] == ["--step", step]


def test_maintenance_drops_expired_days_before_it_compacts(facts: dict[str, Any]) -> None:
    tasks = facts["dags"]["beacon_maintenance"]["tasks"]
    assert {task: spec["upstream"] for task, spec in tasks.items()} == {
        "retention": [],
        "optimize": ["retention"],
        "vacuum": ["optimize"],
        "clean_up_log": ["vacuum"],
    }
    assert tasks["retention"]["arguments"] == ["--step", "retention", "--ds", "{{ ds }}"]


def test_the_gdpr_schedule_is_the_setting(tmp_path: Path) -> None:
    every_quarter = {"BEACON_GDPR": json.dumps({"schedule": "*/15 * * * *"})}
    found = airflow_python(tmp_path, DAG_FACTS, env=every_quarter)
    assert found["dags"]["beacon_gdpr"]["schedule"] == "*/15 * * * *"


def test_nightly_runs_each_job_after_the_ones_it_reads(facts: dict[str, Any]) -> None:
    tasks = facts["dags"]["beacon_nightly"]["tasks"]
    assert {task: spec["upstream"] for task, spec in tasks.items()} == {
        "sessionize": [],
        "daily_metrics": ["sessionize"],
        "users": ["daily_metrics"],
        "funnels": ["daily_metrics"],
        "retention": ["daily_metrics"],
        "dq": ["funnels", "retention", "users"],
        "publish": ["dq"],
    }
    assert facts["dags"]["beacon_nightly"]["timetable"] == "CronDataIntervalTimetable"


def test_every_task_spark_submits_a_job_file_through_the_spark_connection(
    facts: dict[str, Any],
) -> None:
    for dag_id, dag in facts["dags"].items():
        for task_id, task in dag["tasks"].items():
            where = f"{dag_id}.{task_id}"
            assert task["operator"] == "SparkSubmitOperator", where
            assert task["conn_id"] == SPARK_CONN_ID, where
            job = Path(task["application"]).name
            assert task["application"] == f"{{{{ var.json.beacon_spark_submit.jobs }}}}/{job}"
            assert task["jars"] == "{{ var.json.beacon_spark_submit.jars }}", where
            assert task["conf"] == {
                "spark.pyspark.python": "{{ var.json.beacon_spark_submit.python }}"
            }, where
    nightly = facts["dags"]["beacon_nightly"]["tasks"]
    for task_id, task in nightly.items():
        assert Path(task["application"]).name == f"{task_id}.py"
        assert task["arguments"] == ["--ds", "{{ ds }}"]


def test_every_job_file_a_dag_submits_exists(facts: dict[str, Any]) -> None:
    submitted = {
        Path(task["application"]).name
        for dag in facts["dags"].values()
        for task in dag["tasks"].values()
    }
    assert {"sessionize.py", "maintenance.py", "dq.py", "publish.py"} <= submitted
    missing = sorted(job for job in submitted if not (JOBS_FOLDER / job).is_file())
    assert missing == []
