"""`beacon up`, `down`, `status` and `logs`: the services of the state dir."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from lakehouse.settings import Settings, load_settings
from lakehouse.state_secrets import ADMIN_TOKEN_FILE
from stack.cli.output import print_json, say, show
from stack.errors import BeaconError
from stack.lifecycle import (
    ServiceStatus,
    service_status,
    start_services,
    stop_all,
    supervisor_for,
)
from stack.registry import GROUPS, SERVICES, named, select
from stack.state import open_state_dir, remove_state_dir

app = typer.Typer()

HEALTH_STYLES = {"healthy": "green", "unhealthy": "bold red"}
NAMES = ", ".join(service.name for service in SERVICES)
UP_NAMES = ", ".join([*GROUPS, *(service.name for service in SERVICES)])


@app.command()
def up(
    services: Annotated[
        list[str] | None,
        typer.Argument(metavar="SERVICE", help=UP_NAMES, show_default=False),
    ] = None,
) -> int:
    """Start services (all if none named, with what they depend on), wait until healthy."""
    settings = load_settings()
    open_state_dir(settings)
    chosen = select(services or [])
    say(f"starting {', '.join(s.name for s in chosen)} (state in {settings.state_path})")
    start_services(chosen, settings, supervisor_for(settings), say)
    return 0


@app.command()
def down(
    reset: Annotated[bool, typer.Option("--reset", help="Also delete the state dir.")] = False,
) -> int:
    """Stop every process group this state dir started."""
    settings = load_settings()
    stop_all(settings, supervisor_for(settings), report=say)
    if reset and remove_state_dir(settings):
        say(f"  removed {settings.state_path}")
    return 0


def status_table(rows: list[ServiceStatus]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("SERVICE", no_wrap=True)
    table.add_column("STATE", no_wrap=True)
    table.add_column("HEALTH", no_wrap=True)
    table.add_column("PID", justify="right", no_wrap=True)
    table.add_column("UPTIME", justify="right", no_wrap=True)
    table.add_column("URL", overflow="fold")  # the one column that gives way when narrow
    for row in rows:
        table.add_row(
            row.name,
            row.state,
            Text(row.health, style=HEALTH_STYLES.get(row.health, "dim")),
            str(row.pid or "-"),
            uptime(row.uptime_s),
            row.url,
            style=None if row.state == "running" else "dim",
        )
    return table


def uptime(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}m" if hours else f"{minute}m{second:02d}s"


def airflow_login(settings: Settings) -> dict[str, str] | None:
    """Where and as whom to sign in to Airflow, once its password has been generated."""
    from stack.airflow_env import ADMIN_USER, admin_password, airflow_url, passwords_file

    if not passwords_file(settings).exists():
        return None
    return {
        "url": airflow_url(settings),
        "user": ADMIN_USER,
        "password": admin_password(settings),
        "password_file": str(passwords_file(settings)),
    }


def superset_login(settings: Settings) -> dict[str, str] | None:
    """Where and as whom to sign in to Superset, once its password is set or generated."""
    from stack.superset_env import ADMIN_PASSWORD_FILE, admin_password, superset_url

    password_file = settings.state_path / ADMIN_PASSWORD_FILE
    configured = settings.superset.admin_password is not None
    if not configured and not password_file.exists():
        return None
    return {
        "url": superset_url(settings),
        "user": settings.superset.admin_user,
        "password": admin_password(settings),
        "password_file": "" if configured else str(password_file),
    }


@app.command()
def status(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (the state dir and every service).")
    ] = False,
) -> int:
    """Each service's state, health, PID and URL; exit 1 if one that runs is unhealthy."""
    settings = load_settings()
    supervisor = supervisor_for(settings)
    rows = [service_status(service, settings, supervisor) for service in SERVICES]
    login = airflow_login(settings)
    if as_json:
        print_json(
            {
                "state_dir": str(settings.state_path),
                "services": [asdict(r) for r in rows],
                "airflow": login,
                "superset": superset_login(settings),
            }
        )
    else:
        show(status_table(rows))
        if login is not None:
            say(
                f"airflow: {login['url']}  user {login['user']}  password {login['password']}"
                f"  (stored in {login['password_file']})"
            )
        superset = superset_login(settings)
        if superset is not None:
            say(
                f"superset: {superset['url']}  user {superset['user']}  password "
                f"{superset['password']}"
                + (
                    f"  (stored in {superset['password_file']})"
                    if superset["password_file"]
                    else ""
                )
            )
        token_file = settings.state_path / ADMIN_TOKEN_FILE
        if settings.api.admin_token is None and token_file.exists():
            say(f"api: admin endpoints take the bearer token in {token_file}")
        say(f"state: {settings.state_path}  logs: {settings.logs_path}")
    return 1 if any(row.unhealthy for row in rows) else 0


@app.command()
def logs(
    service: Annotated[str, typer.Argument(metavar="SERVICE", help=NAMES)],
    lines: Annotated[int, typer.Option("-n", "--lines", help="Lines from the end.")] = 50,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing what is appended.")
    ] = False,
) -> int:
    """Print a service's log."""
    settings = load_settings()
    name = named(service).name
    path = supervisor_for(settings).log_path(name)
    if not path.exists():
        raise BeaconError(f"no log for {name} yet at {path}; start it with `beacon up`")
    tail = path.read_text(errors="replace").splitlines()[-lines:] if lines > 0 else []
    sys.stdout.writelines(f"{line}\n" for line in tail)
    sys.stdout.flush()
    if follow:
        follow_log(path)
    return 0


def follow_log(path: Path) -> None:
    """Print what is appended to ``path`` until interrupted."""
    with path.open(errors="replace") as log:
        log.seek(0, 2)
        try:
            while True:
                line = log.readline()
                if line:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                else:
                    time.sleep(0.5)
        except KeyboardInterrupt:
            return
