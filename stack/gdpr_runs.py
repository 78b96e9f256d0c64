"""Running beacon_gdpr at once for a new erasure request: the reporting API and `beacon gdpr
erase` trigger a run through Airflow's REST API (unpausing the DAG, whose hourly schedule
then keeps running); when Airflow does not answer, the request waits for the next scheduled
run, and the answer says so."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.settings import Settings
from stack.airflow_runs import AirflowApi, AirflowApiError

GDPR_DAG = "beacon_gdpr"
TRIGGER_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ErasureRun:
    """What became of the run a request asked for."""

    triggered: bool
    detail: str
    dag_run_id: str | None = None

    def public(self) -> dict[str, object]:
        return {"triggered": self.triggered, "dag_run_id": self.dag_run_id, "detail": self.detail}


def trigger_erasure_run(settings: Settings) -> ErasureRun:
    """A beacon_gdpr run now, or why the request waits for the scheduled one."""
    waits = f"the request waits for beacon_gdpr's scheduled run ({settings.gdpr.schedule})"
    try:
        api = AirflowApi(settings, TRIGGER_TIMEOUT_S)
    except AirflowApiError as error:
        return ErasureRun(False, f"{waits}: {error}")
    try:
        api.set_paused(GDPR_DAG, False)
        created = api.call(
            "POST", f"/api/v2/dags/{GDPR_DAG}/dagRuns", json={"logical_date": None, "conf": {}}
        )
    except AirflowApiError as error:
        return ErasureRun(False, f"{waits}: {error}")
    finally:
        api.close()
    run_id = str(created["dag_run_id"])
    return ErasureRun(True, f"beacon_gdpr run {run_id} triggered: the erasure runs now", run_id)
