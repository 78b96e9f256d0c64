"""Starting, inspecting and stopping the services of one state dir.

The :class:`~stack.supervisor.Supervisor` runs process groups and knows nothing of services;
this module joins it to the :class:`~stack.service.Service` definitions and the settings.
The `beacon` command, the test fixtures and the benchmarks all start services through here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lakehouse.settings import Settings, settings_env
from stack.registry import SERVICES
from stack.service import Service
from stack.supervisor import Supervisor

Report = Callable[[str], None]


def print_line(line: str) -> None:
    print(line, flush=True)


def supervisor_for(settings: Settings) -> Supervisor:
    return Supervisor(settings.run_path, settings.logs_path, settings.host)


def probe(service: Service, settings: Settings) -> bool:
    """One health probe; a probe that errors counts as not healthy."""
    try:
        return service.healthy(settings)
    except Exception:  # noqa: BLE001 - a probe that errors is not healthy
        return False


def start_service(
    service: Service, settings: Settings, supervisor: Supervisor, report: Report = print_line
) -> None:
    """Start ``service`` unless it already runs healthy, and wait until it is healthy.

    A service that runs but does not answer is restarted. Raises PortInUse before starting
    anything if one of its ports is taken, ServiceFailed if it dies or never gets healthy.
    """
    record = supervisor.running(service.name)
    if record is not None and probe(service, settings):
        report(f"  {service.name}: already running (pid {record.pid}) at {service.url(settings)}")
        return
    if record is not None:
        report(f"  {service.name}: running but not healthy; restarting")
        supervisor.stop(service.name)
    supervisor.check_ports(service.name, service.ports(settings))
    if service.set_up is not None:
        service.set_up(settings, lambda line: report(f"  {service.name}: {line}"))
    report(f"  {service.name}: preparing")
    launch = service.prepare(settings)
    record = supervisor.start(
        service.name,
        launch.argv,
        service.ports(settings),
        env={**settings_env(settings), **launch.env},
        cwd=launch.cwd,
    )
    report(f"  {service.name}: started (pid {record.pid}), waiting until healthy")
    took = supervisor.wait_healthy(
        service.name,
        lambda: service.healthy(settings),
        settings.health_timeout_s,
        progress=lambda s: report(f"  {service.name}: still starting ({s:.0f}s)"),
    )
    if service.after_start is not None:
        service.after_start(settings)
    report(f"  {service.name}: healthy in {took:.1f}s at {service.url(settings)}")


def start_services(
    services: Sequence[Service],
    settings: Settings,
    supervisor: Supervisor,
    report: Report = print_line,
) -> None:
    """Start each service in order; one that fails to start is stopped again (the ones
    before it keep running, healthy)."""
    for service in services:
        try:
            start_service(service, settings, supervisor, report)
        except BaseException:
            if supervisor.running(service.name):
                supervisor.stop(service.name)
            raise


def stop_all(
    settings: Settings,
    supervisor: Supervisor,
    services: Sequence[Service] = SERVICES,
    report: Report = print_line,
) -> list[str]:
    """Stop every process group the state dir has a record of: the known services in
    reverse start order, then any other record (a service since renamed or removed)."""
    if not settings.state_path.is_dir():
        return []
    known = [service.name for service in services]
    recorded = (
        sorted(path.stem for path in settings.run_path.glob("*.json"))
        if settings.run_path.is_dir()
        else []
    )
    stopped = []
    for name in [*reversed(known), *(name for name in recorded if name not in known)]:
        if supervisor.stop(name):
            report(f"  {name}: stopped")
            stopped.append(name)
    return stopped


@dataclass(frozen=True)
class ServiceStatus:
    """One service as `beacon status` shows it (and its --json prints, field by field)."""

    name: str
    description: str
    url: str
    ports: dict[str, int]
    pid: int | None
    state: str  # running, stopped
    health: str  # healthy, unhealthy, or "-" when stopped
    uptime_s: int | None
    log: str

    @property
    def unhealthy(self) -> bool:
        return self.state == "running" and self.health != "healthy"


def service_status(service: Service, settings: Settings, supervisor: Supervisor) -> ServiceStatus:
    record = supervisor.running(service.name) if settings.state_path.is_dir() else None
    healthy = record is not None and probe(service, settings)
    return ServiceStatus(
        name=service.name,
        description=service.description,
        url=service.url(settings),
        ports=service.ports(settings),
        pid=record.pid if record else None,
        state="running" if record else "stopped",
        health="healthy" if healthy else ("unhealthy" if record else "-"),
        uptime_s=round(time.time() - record.started_at) if record else None,
        log=str(supervisor.log_path(service.name)),
    )
