"""The local Airflow as four supervised services: the api-server (UI, REST API and the
execution API its tasks report to, on 127.0.0.1 only), the scheduler (LocalExecutor), the
DAG processor and the triggerer. The scheduler and the triggerer run with
``--skip-serve-logs``: task logs are files the api-server reads itself, so no process opens
a port besides the api-server's.

The api-server migrates the SQLite database first (on the first start and after an upgrade
of the Airflow env). Each process is healthy when the api-server's health endpoint reports
its component healthy (the metadatabase, for the api-server itself).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from typing import Any
from urllib.request import urlopen

from lakehouse.settings import Settings
from stack.airflow_env import airflow_env, airflow_home, airflow_program, airflow_url
from stack.errors import BeaconError
from stack.service import Launch, Service
from stack.supervisor import inherited_env

API_SERVER = "airflow-api-server"
MIGRATED_MARKER = ".migrated"
LOG_LINE = re.compile(
    r"\[(?P<level>info|warning|error)\s*\]\s+(?P<message>.+?)\s+\[(?P<logger>[\w.]+)\](?:\s|$)"
)
"""A line of Airflow's structured log: ``<time> [info     ] <message> [<logger>] key=value``."""
PLUMBING = "alembic.runtime.migration"
"""Alembic's lines for each connection it opens; only its ``Running ...`` lines are progress."""


class MigrationFailed(BeaconError):
    pass


def health(settings: Settings) -> dict[str, Any]:
    """The api-server's ``/api/v2/monitor/health`` document."""
    # An http URL from the settings' host and port.
    with urlopen(f"{airflow_url(settings)}/api/v2/monitor/health", timeout=3) as response:  # noqa: S310
        document: dict[str, Any] = json.load(response)
    return document


def component_healthy(component: str) -> Callable[[Settings], bool]:
    def healthy(settings: Settings) -> bool:
        return bool(health(settings).get(component, {}).get("status") == "healthy")

    return healthy


def migrate(settings: Settings, report: Callable[[str], None]) -> None:
    """``airflow db migrate``, once per Airflow env (the marker names the env it was done
    with), reporting the migration's log messages as it goes."""
    program = airflow_program(settings)
    marker = airflow_home(settings) / MIGRATED_MARKER
    env_name = program.parent.parent.name
    if marker.exists() and marker.read_text().strip() == env_name:
        return
    report("migrating the Airflow database (first start)")
    process = subprocess.Popen(
        [str(program), "db", "migrate"],
        env={**inherited_env(), **airflow_env(settings)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if process.stdout is None:
        raise MigrationFailed("airflow db migrate: no output pipe")
    last = "no output"
    for line in process.stdout:
        found = LOG_LINE.search(line)
        if line.strip():
            last = (found.group("message") if found else line).strip()
        if found is None or found.group("level") != "info":
            continue
        if found.group("logger") != PLUMBING or last.startswith("Running"):
            report(f"db migrate: {last}")
    if process.wait() != 0:
        raise MigrationFailed(f"airflow db migrate failed: {last[:300]}")
    marker.write_text(env_name + "\n")


def launch(*arguments: str) -> Callable[[Settings], Launch]:
    def prepare(settings: Settings) -> Launch:
        return Launch(
            argv=[str(airflow_program(settings)), *arguments],
            env=airflow_env(settings),
            cwd=airflow_home(settings),
        )

    return prepare


def api_server_launch(settings: Settings) -> Launch:
    host, port = settings.host, str(settings.ports.airflow)
    return launch("api-server", "--host", host, "--port", port, "--workers", "1")(settings)


def _url(settings: Settings) -> str:
    return airflow_url(settings)


AIRFLOW_API_SERVER = Service(
    name=API_SERVER,
    description="Airflow api-server: UI, REST API, execution API",
    ports=lambda s: {"airflow": s.ports.airflow},
    url=_url,
    prepare=api_server_launch,
    healthy=component_healthy("metadatabase"),
    set_up=migrate,
)
AIRFLOW_SCHEDULER = Service(
    name="airflow-scheduler",
    description="Airflow scheduler with the LocalExecutor",
    ports=lambda s: {},
    url=_url,
    prepare=launch("scheduler", "--skip-serve-logs"),
    healthy=component_healthy("scheduler"),
    depends_on=(API_SERVER,),
)
AIRFLOW_DAG_PROCESSOR = Service(
    name="airflow-dag-processor",
    description="Airflow DAG processor (dags/)",
    ports=lambda s: {},
    url=_url,
    prepare=launch("dag-processor"),
    healthy=component_healthy("dag_processor"),
    depends_on=(API_SERVER,),
)
AIRFLOW_TRIGGERER = Service(
    name="airflow-triggerer",
    description="Airflow triggerer",
    ports=lambda s: {},
    url=_url,
    prepare=launch("triggerer", "--skip-serve-logs"),
    healthy=component_healthy("triggerer"),
    depends_on=(API_SERVER,),
)
AIRFLOW_SERVICES = (AIRFLOW_API_SERVER, AIRFLOW_SCHEDULER, AIRFLOW_DAG_PROCESSOR, AIRFLOW_TRIGGERER)
