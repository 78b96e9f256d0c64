"""`beacon`: bootstrap, start, stop and inspect the local platform.

Every error a user can fix ends the command with one line ``beacon: error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lakehouse.artifacts import MissingArtifacts
from lakehouse.jdk import JdkNotFound
from lakehouse.settings import Settings, SettingsError, load_settings, settings_env
from stack.errors import BeaconError
from stack.registry import SERVICES, select
from stack.service import Service
from stack.state import open_state_dir, remove_state_dir
from stack.supervisor import Supervisor

USER_ERRORS = (BeaconError, SettingsError, JdkNotFound, MissingArtifacts)


def say(message: str) -> None:
    print(message, flush=True)


def supervisor_for(settings: Settings) -> Supervisor:
    return Supervisor(settings.run_path, settings.logs_path, settings.host)


def probe(service: Service, settings: Settings) -> bool:
    try:
        return service.healthy(settings)
    except Exception:
        return False


def start_service(service: Service, settings: Settings, supervisor: Supervisor) -> None:
    record = supervisor.running(service.name)
    if record is not None and probe(service, settings):
        say(f"  {service.name}: already running (pid {record.pid}) at {service.url(settings)}")
        return
    if record is not None:
        say(f"  {service.name}: running but not healthy; restarting")
        supervisor.stop(service.name)
    supervisor.check_ports(service.name, service.ports(settings))
    say(f"  {service.name}: preparing")
    launch = service.prepare(settings)
    record = supervisor.start(
        service.name,
        launch.argv,
        service.ports(settings),
        env={**settings_env(settings), **launch.env},
        cwd=launch.cwd,
    )
    say(f"  {service.name}: started (pid {record.pid}), waiting until healthy")
    took = supervisor.wait_healthy(
        service.name,
        lambda: service.healthy(settings),
        settings.health_timeout_s,
        progress=lambda s: say(f"  {service.name}: still starting ({s:.0f}s)"),
    )
    if service.after_start is not None:
        service.after_start(settings)
    say(f"  {service.name}: healthy in {took:.1f}s at {service.url(settings)}")


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    open_state_dir(settings)
    supervisor = supervisor_for(settings)
    services = select(args.services)
    say(f"starting {', '.join(s.name for s in services)} (state in {settings.state_path})")
    for service in services:
        try:
            start_service(service, settings, supervisor)
        except BaseException:
            if supervisor.running(service.name):
                supervisor.stop(service.name)
            raise
    return 0


def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    if settings.state_path.is_dir():
        supervisor = supervisor_for(settings)
        known = [s.name for s in SERVICES]
        recorded = (
            sorted(p.stem for p in settings.run_path.glob("*.json"))
            if settings.run_path.is_dir()
            else []
        )
        for name in [*reversed(known), *(n for n in recorded if n not in known)]:
            if supervisor.stop(name):
                say(f"  {name}: stopped")
    if args.reset and remove_state_dir(settings):
        say(f"  removed {settings.state_path}")
    return 0


def service_status(service: Service, settings: Settings, supervisor: Supervisor) -> dict[str, Any]:
    record = supervisor.running(service.name) if settings.state_path.is_dir() else None
    healthy = record is not None and probe(service, settings)
    return {
        "name": service.name,
        "description": service.description,
        "url": service.url(settings),
        "ports": service.ports(settings),
        "pid": record.pid if record else None,
        "state": "running" if record else "stopped",
        "health": "healthy" if healthy else ("unhealthy" if record else "-"),
        "uptime_s": round(time.time() - record.started_at) if record else None,
        "log": str(supervisor.log_path(service.name)),
    }


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    supervisor = supervisor_for(settings)
    rows = [service_status(s, settings, supervisor) for s in SERVICES]
    if args.json:
        print(json.dumps({"state_dir": str(settings.state_path), "services": rows}, indent=2))
    else:
        say(f"{'SERVICE':<10} {'STATE':<8} {'HEALTH':<10} {'PID':>7}  URL")
        for row in rows:
            pid = row["pid"] or "-"
            say(f"{row['name']:<10} {row['state']:<8} {row['health']:<10} {pid:>7}  {row['url']}")
        say(f"state: {settings.state_path}  logs: {settings.logs_path}")
    unhealthy = [r for r in rows if r["state"] == "running" and r["health"] != "healthy"]
    return 1 if unhealthy else 0


def cmd_logs(args: argparse.Namespace, settings: Settings) -> int:
    (service,) = select([args.service])
    path = supervisor_for(settings).log_path(service.name)
    if not path.exists():
        raise BeaconError(f"no log for {service.name} yet at {path}; start it with `beacon up`")
    lines = path.read_text(errors="replace").splitlines()
    for line in lines[-args.lines :]:
        print(line)
    if args.follow:
        with path.open(errors="replace") as log:
            log.seek(0, 2)
            try:
                while True:
                    line = log.readline()
                    if line:
                        print(line, end="", flush=True)
                    else:
                        time.sleep(0.5)
            except KeyboardInterrupt:
                return 0
    return 0


def cmd_tables_init(args: argparse.Namespace, settings: Settings) -> int:
    from lakehouse.provision import (
        TableLayoutMismatch,
        create_delta_tables,
        create_views,
        register_in_trino,
    )
    from lakehouse.spark import spark_session
    from lakehouse.tables import ALL_TABLES
    from lakehouse.tables.serving import SERVING_LIVE_VIEWS
    from stack.trino_server import TRINO

    open_state_dir(settings)
    if not probe(TRINO, settings):
        raise BeaconError(f"Trino is not running at {settings.trino_url}; run `beacon up trino`")
    tables = ALL_TABLES
    say("creating Delta tables")
    spark = spark_session(settings, "beacon-tables-init")
    try:
        created = create_delta_tables(spark, settings, tables, say)
    except TableLayoutMismatch as error:
        raise BeaconError(str(error)) from None
    finally:
        spark.stop()
    say(f"registering in Trino ({settings.trino_url})")
    registered = register_in_trino(settings, tables, say)
    create_views(settings, SERVING_LIVE_VIEWS, say)
    say(f"tables: {len(created)} created, {len(registered)} newly registered")
    return 0


def cmd_bootstrap(args: argparse.Namespace, settings: Settings) -> int:
    from stack.bootstrap import bootstrap

    started = time.monotonic()
    bootstrap(settings, say, only=tuple(args.only))
    say(f"bootstrap done in {time.monotonic() - started:.1f}s (cache: {settings.cache_dir})")
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from stack.collector_service import collector_url
    from traffic.send import CollectorUnreachable
    from traffic.simulate import SimulateOptions, SimulationError, report_lines, run
    from traffic.wire import UnknownSite

    span = timedelta(days=args.days) if args.days else timedelta(minutes=args.minutes)
    truth = args.truth or settings.state_path / "simulate" / f"truth-seed{args.seed}.json"
    options = SimulateOptions(
        args.visitors, args.seed, span, args.collector or collector_url(settings), truth, args.rate
    )
    try:
        result, report = run(options, settings, say)
    except (CollectorUnreachable, SimulationError, UnknownSite) as error:
        raise BeaconError(str(error)) from None
    for line in report_lines(result, report, truth):
        say(line)
    return 1 if report.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beacon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start services (all if none named) and wait for health")
    up.add_argument("services", nargs="*", metavar="SERVICE")
    up.set_defaults(run=cmd_up)

    down = commands.add_parser("down", help="stop every service this state dir started")
    down.add_argument("--reset", action="store_true", help="also delete the state dir")
    down.set_defaults(run=cmd_down)

    status = commands.add_parser("status", help="each service with its URL, PID and health")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=cmd_status)

    logs = commands.add_parser("logs", help="print a service's log")
    logs.add_argument("service", metavar="SERVICE")
    logs.add_argument("-n", "--lines", type=int, default=50)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(run=cmd_logs)

    tables = commands.add_parser("tables", help="lakehouse tables")
    table_commands = tables.add_subparsers(dest="tables_command", required=True)
    init = table_commands.add_parser("init", help="create the Delta tables, register in Trino")
    init.set_defaults(run=cmd_tables_init)

    boot = commands.add_parser("bootstrap", help="install JVM artifacts and Python envs")
    boot.add_argument("--only", nargs="*", default=[], metavar="PART")
    boot.set_defaults(run=cmd_bootstrap)

    simulate = commands.add_parser("simulate", help="send seeded simulated traffic, write truth")
    simulate.add_argument("--visitors", type=int, default=300)
    simulate.add_argument("--seed", type=int, default=1)
    span = simulate.add_mutually_exclusive_group()
    span.add_argument("--minutes", type=int, default=90, help="time span ending now")
    span.add_argument("--days", type=int, help="time span ending now, in days")
    simulate.add_argument("--rate", type=float, metavar="EVENTS_PER_S", help="send at most")
    simulate.add_argument("--collector", metavar="URL", help="default: the local collector")
    simulate.add_argument("--truth", type=Path, metavar="PATH", help="ground-truth JSON file")
    simulate.set_defaults(run=cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        code: int = args.run(args, settings)
        return code
    except USER_ERRORS as error:
        print(f"beacon: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("beacon: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
