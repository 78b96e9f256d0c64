"""DAG runs through the running Airflow's REST API (v2): sign in for a JWT at /auth/token,
trigger a run per logical date, unpause the DAG so the scheduler picks the runs up, and
follow them, task by task, until each has finished.

`beacon batch trigger` and `make demo` run beacon_nightly this way, as a user of Airflow
would; the integration tier checks the same path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

from lakehouse.settings import Settings
from stack.airflow_env import ADMIN_USER, admin_password, airflow_url
from stack.errors import BeaconError

FINISHED = ("success", "failed")
POLL_S = 2.0


class AirflowApiError(BeaconError):
    pass


class AirflowApi:
    """A signed-in client of one Airflow api-server."""

    def __init__(self, settings: Settings, timeout_s: float = 30.0) -> None:
        self.url = airflow_url(settings)
        self.client = httpx.Client(base_url=self.url, timeout=timeout_s)
        try:
            # Airflow answers first: signing in generates the admin's password, which an
            # Airflow that is not running has no use for.
            self.call("GET", "/api/v2/monitor/health")
            token = self.call(
                "POST",
                "/auth/token",
                json={"username": ADMIN_USER, "password": admin_password(settings)},
            )["access_token"]
        except AirflowApiError:
            self.client.close()
            raise
        self.client.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, allow: Sequence[int] = (), **request: Any) -> Any:
        """The JSON answer of one request; AirflowApiError (one line) on any failure except
        the ``allow``-ed statuses, which return None."""
        try:
            response = self.client.request(method, path, **request)
        except httpx.HTTPError as error:
            raise AirflowApiError(
                f"Airflow at {self.url} does not answer ({error.__class__.__name__}: {error}); "
                "start it with `beacon up airflow`"
            ) from None
        if response.status_code in allow:
            return None
        if response.is_error:
            detail = response.text[:300]
            raise AirflowApiError(
                f"Airflow {method} {path}: HTTP {response.status_code}: {detail}"
            ) from None
        return response.json() if response.content else {}

    def wait_for_dag(self, dag_id: str, timeout_s: float) -> None:
        """Wait until the DAG processor has parsed ``dag_id``."""
        deadline = time.monotonic() + timeout_s
        while self.call("GET", f"/api/v2/dags/{dag_id}", allow=(404,)) is None:
            if time.monotonic() > deadline:
                errors = self.call("GET", "/api/v2/importErrors")["import_errors"]
                detail = f"; import errors: {errors[0]['stack_trace'][-300:]}" if errors else ""
                raise AirflowApiError(f"Airflow has no DAG {dag_id} after {timeout_s:.0f}s{detail}")
            time.sleep(POLL_S)

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})

    def run_for(self, dag_id: str, day: date) -> dict[str, Any] | None:
        """The run of ``dag_id`` whose logical date is midnight UTC of ``day``, if any."""
        stamp = logical_date(day)
        runs = self.call(
            "GET",
            f"/api/v2/dags/{dag_id}/dagRuns",
            params={"logical_date_gte": stamp, "logical_date_lte": stamp},
        )["dag_runs"]
        return runs[0] if runs else None

    def trigger(self, dag_id: str, day: date) -> tuple[str, str]:
        """A run of ``dag_id`` for ``day`` that will run now: a new one, or the existing one
        (cleared to run again if it had finished). Its run id and what was done."""
        created = self.call(
            "POST",
            f"/api/v2/dags/{dag_id}/dagRuns",
            allow=(409,),
            json={"logical_date": logical_date(day), "conf": {}},
        )
        if created is not None:
            return created["dag_run_id"], "triggered"
        existing = self.run_for(dag_id, day)
        if existing is None:
            raise AirflowApiError(f"Airflow refused a run of {dag_id} for {day} and has none")
        run_id = existing["dag_run_id"]
        if existing["state"] in FINISHED:
            self.call(
                "POST", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/clear", json={"dry_run": False}
            )
            return run_id, f"cleared to run again (it had {existing['state']})"
        return run_id, f"already {existing['state']}"

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        return result

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        found = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {ti["task_id"]: ti["state"] or "none" for ti in found["task_instances"]}


def logical_date(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


@dataclass
class RunResult:
    day: date
    run_id: str
    state: str = "queued"
    seconds: float | None = None
    """From the run's start to its end, as Airflow recorded them."""
    tasks: dict[str, str] = field(default_factory=dict)


def _seconds(run: dict[str, Any]) -> float | None:
    if not run.get("start_date") or not run.get("end_date"):
        return None
    start = datetime.fromisoformat(run["start_date"])
    return (datetime.fromisoformat(run["end_date"]) - start).total_seconds()


def run_days(
    settings: Settings,
    dag_id: str,
    days: Sequence[date],
    report: Callable[[str], None],
    timeout_s: float = 3600.0,
) -> list[RunResult]:
    """Run ``dag_id`` for each day through Airflow and wait for all; a line per task state
    change. The runs are triggered before the DAG is unpaused, so the scheduler's own run
    of the latest interval is one of them, not another."""
    api = AirflowApi(settings)
    try:
        api.wait_for_dag(dag_id, timeout_s=120)
        results = []
        for day in days:
            run_id, done = api.trigger(dag_id, day)
            report(f"{dag_id} {day}: {done} ({run_id})")
            results.append(RunResult(day, run_id))
        api.set_paused(dag_id, False)
        deadline = time.monotonic() + timeout_s
        while any(result.state not in FINISHED for result in results):
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id} runs not finished after {timeout_s:.0f}s")
            time.sleep(POLL_S)
            for result in results:
                if result.state not in FINISHED:
                    _follow(api, dag_id, result, report)
        return results
    finally:
        api.close()


def _follow(api: AirflowApi, dag_id: str, result: RunResult, report: Callable[[str], None]) -> None:
    tasks = api.task_states(dag_id, result.run_id)
    for task, state in tasks.items():
        if result.tasks.get(task) != state and state != "none":
            report(f"{dag_id} {result.day}: {task} {state}")
    result.tasks = tasks
    run = api.run(dag_id, result.run_id)
    if run["state"] != result.state:
        result.state = run["state"]
        result.seconds = _seconds(run)
        if result.state in FINISHED:
            took = f" in {result.seconds:.0f}s" if result.seconds is not None else ""
            report(f"{dag_id} {result.day}: run {result.state}{took}")
