"""The local Airflow's configuration from beacon's settings, `beacon up airflow`'s service
group, the logical dates of `beacon batch`, and when the stream counts as caught up."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from stack.airflow_env import admin_password, airflow_env, passwords_file
from stack.cli.batch import logical_dates
from stack.errors import BeaconError
from stack.registry import named, select
from stack.state import isolated_settings
from stack.stream_landing import caught_up


def test_airflow_runs_on_loopback_with_the_settings_port_and_its_own_state(
    tmp_path: Path,
) -> None:
    settings = isolated_settings(tmp_path / "state", spark={"master": "spark://batch:7077"})
    env = airflow_env(settings)
    port = settings.ports.airflow
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__PORT"] == str(port)
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://127.0.0.1:{port}/execution/"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(f"sqlite:///{tmp_path}/state/")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"].endswith("/dags")
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "False"  # its port would be 0.0.0.0
    spark = json.loads(env["AIRFLOW_CONN_BEACON_SPARK"])
    assert spark["host"] == "spark://batch:7077"  # a cluster master by configuration alone
    trino = json.loads(env["AIRFLOW_CONN_BEACON_TRINO"])
    assert (trino["host"], trino["port"]) == ("127.0.0.1", settings.ports.trino)
    submit = json.loads(env["AIRFLOW_VAR_BEACON_SPARK_SUBMIT"])
    jars = submit["jars"].split(",")
    assert any("delta-spark" in jar for jar in jars)
    assert all(Path(jar).is_file() for jar in jars)  # from the local cache, not resolved
    defaults = Path(submit["properties_file"]).read_text()
    assert "spark.sql.extensions io.delta.sql.DeltaSparkSessionExtension" in defaults
    assert "spark.jars" not in defaults
    assert (Path(env["PATH"].split(":")[0]) / "spark-submit").exists()


def test_the_admin_password_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path / "state")
    first = admin_password(settings)
    assert len(first) >= 16
    assert admin_password(settings) == first
    airflow_env(settings)  # a restart keeps it
    assert json.loads(passwords_file(settings).read_text()) == {"admin": first}
    assert stat.S_IMODE(passwords_file(settings).stat().st_mode) == 0o600
    other = isolated_settings(tmp_path / "other")
    assert admin_password(other) != first


def test_airflow_names_its_four_services() -> None:
    names = [service.name for service in select(["airflow"])]
    assert names == [
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ]
    assert [s.name for s in select(["airflow-triggerer"])] == [
        "airflow-api-server",
        "airflow-triggerer",
    ]
    with pytest.raises(BeaconError, match="several services"):
        named("airflow")


def test_logical_dates_end_at_ds_oldest_first() -> None:
    assert [str(d) for d in logical_dates("2026-03-01", 3)] == [
        "2026-02-27",
        "2026-02-28",
        "2026-03-01",
    ]
    with pytest.raises(BeaconError, match="not a date"):
        logical_dates("2026-3-1", 1)
    with pytest.raises(BeaconError, match="at least 1"):
        logical_dates("2026-03-01", 0)


def test_the_stream_is_caught_up_after_a_later_batch_left_nothing_behind() -> None:
    since = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    later, earlier = "2027-01-15T08:00:05.000Z", "2027-01-15T07:59:55.000Z"
    assert caught_up({"batch_timestamp": later, "offsets_behind_latest": 0}, since)
    assert not caught_up({"batch_timestamp": later, "offsets_behind_latest": 120}, since)
    assert not caught_up({"batch_timestamp": earlier, "offsets_behind_latest": 0}, since)
    assert not caught_up({"batch_timestamp": None}, since)
    assert caught_up({"batch_timestamp": later, "input_rows": 0}, since)
    assert not caught_up({"batch_timestamp": later, "input_rows": 5}, since)
