"""Superset as a supervised service: gunicorn serving Superset's app on 127.0.0.1, its
metadata in SQLite under the state dir.

Before each start the set-up step (:mod:`stack.superset_setup`, in the Superset env) migrates
the metadata database and syncs roles once per Superset env, creates the admin (or resets a
changed password), and imports the dashboards of ``superset/`` zipped with the settings'
Trino URI: the database is registered by the import itself, which needs no Trino running.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.request import urlopen

from lakehouse.settings import Settings
from stack.errors import BeaconError
from stack.service import Launch, Service
from stack.superset_bundle.files import zip_bundle
from stack.superset_env import (
    admin_password,
    superset_env,
    superset_home,
    superset_program,
    superset_url,
)
from stack.supervisor import inherited_env

SETUP_SCRIPT = Path(__file__).with_name("superset_setup.py")
MIGRATED_MARKER = ".migrated"


class SupersetSetupFailed(BeaconError):
    pass


def bundle_zip(settings: Settings) -> Path:
    return superset_home(settings) / "bundle.zip"


def set_up(settings: Settings, report: Callable[[str], None]) -> None:
    """Migrate (once per Superset env), create the admin, import the bundle; idempotent."""
    python = superset_program(settings)
    env_name = python.parent.parent.name
    marker = superset_home(settings) / MIGRATED_MARKER
    env = {
        **inherited_env(),
        **superset_env(settings),
        "BEACON_SUPERSET_ADMIN_PASSWORD": admin_password(settings),
    }
    migrate = not (marker.exists() and marker.read_text().strip() == env_name)
    request = {
        "migrate": migrate,
        "admin_user": settings.superset.admin_user,
        "admin_email": settings.superset.admin_email,
        "bundle": str(zip_bundle(settings, bundle_zip(settings))),
    }
    process = subprocess.Popen(
        [str(python), "-I", str(SETUP_SCRIPT)],  # -I: no stack/ modules on its path
        env=env,
        cwd=superset_home(settings),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if process.stdin is None or process.stdout is None or process.stderr is None:
        raise SupersetSetupFailed("superset set-up: no pipes")
    process.stdin.write(json.dumps(request))
    process.stdin.close()
    for line in process.stdout:
        if line.strip():
            report(line.strip())
    errors = process.stderr.read().strip().splitlines()
    if process.wait() != 0:
        last = errors[-1] if errors else "no output"
        raise SupersetSetupFailed(f"superset set-up failed: {last[:500]}")
    if migrate:
        marker.write_text(env_name + "\n")


def prepare(settings: Settings) -> Launch:
    bind = f"{settings.host}:{settings.ports.superset}"
    return Launch(
        argv=[
            str(superset_program(settings, "gunicorn")),
            "--bind",
            bind,
            "--workers",
            str(settings.superset.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(settings.superset.threads),
            "--timeout",
            "120",
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
            "superset.app:create_app()",
        ],
        env=superset_env(settings),
        cwd=superset_home(settings),
    )


def healthy(settings: Settings) -> bool:
    # An http URL from the settings' host and port.
    with urlopen(f"{superset_url(settings)}/health", timeout=3) as response:  # noqa: S310
        return bool(response.read().strip() == b"OK")


SUPERSET = Service(
    name="superset",
    description="Superset: the dashboards of superset/ over Trino",
    ports=lambda s: {"superset": s.ports.superset},
    url=superset_url,
    prepare=prepare,
    healthy=healthy,
    set_up=set_up,
)
