from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from lakehouse.settings import Settings
from stack.lifecycle import service_status, start_service, start_services, stop_all
from stack.service import Launch, Service
from stack.state import isolated_settings
from stack.supervisor import (
    CorruptState,
    PortInUse,
    ServiceFailed,
    Supervisor,
    free_port,
    group_alive,
)
from tests.support.waiting import wait_for

# A parent that spawns a child in its own group: stopping must take both.
PARENT_WITH_CHILD = (
    "import subprocess, sys, time;"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
    "time.sleep(600)"
)


def live_members(pgid: int) -> set[int]:
    """The processes of a group that are running (not zombies), from /proc."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.add(int(stat.parent.name))
    return members


@pytest.fixture
def supervisor(tmp_path: Path) -> Supervisor:
    return Supervisor(tmp_path / "run", tmp_path / "logs", "127.0.0.1")


def test_start_records_and_stop_kills_the_whole_group(supervisor: Supervisor) -> None:
    record = supervisor.start("sleeper", [sys.executable, "-c", PARENT_WITH_CHILD], {})
    assert supervisor.running("sleeper") == record
    wait_for(lambda: len(live_members(record.pgid)) == 2, 10, poll_s=0.05)  # parent and child
    assert group_alive(record.pgid)
    assert supervisor.stop("sleeper", grace_s=5)
    assert not group_alive(record.pgid)
    assert supervisor.record("sleeper") is None


def test_stop_after_the_leader_crashed_leaves_no_orphan(supervisor: Supervisor) -> None:
    record = supervisor.start("sleeper", [sys.executable, "-c", PARENT_WITH_CHILD], {})
    wait_for(lambda: len(live_members(record.pgid)) == 2, 10, poll_s=0.05)  # parent and child
    os.kill(record.pid, 9)  # the leader dies; its child lives on in the group
    wait_for(lambda: record.pid not in live_members(record.pgid), 10, poll_s=0.05)
    assert group_alive(record.pgid)
    assert supervisor.running("sleeper") is not None
    supervisor.stop("sleeper", grace_s=5)
    assert not group_alive(record.pgid)


def test_a_port_in_use_is_refused_with_the_setting_to_change(supervisor: Supervisor) -> None:
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        with pytest.raises(PortInUse) as raised:
            supervisor.start("kafka", [sys.executable, "-c", "pass"], {"kafka": port})
    assert f"port {port} (kafka kafka)" in str(raised.value)
    assert "BEACON_PORTS__KAFKA" in str(raised.value)


def test_a_process_that_dies_while_starting_is_reported_with_its_log(
    supervisor: Supervisor,
) -> None:
    supervisor.start(
        "broken", [sys.executable, "-c", "print('bad config'); raise SystemExit(3)"], {}
    )
    with pytest.raises(ServiceFailed, match=r"broken exited during start-up.*bad config"):
        supervisor.wait_healthy("broken", lambda: False, timeout_s=10)


def test_a_probe_that_never_passes_times_out_with_its_last_error(supervisor: Supervisor) -> None:
    supervisor.start("slow", [sys.executable, "-c", "import time; time.sleep(30)"], {})

    def probe() -> bool:
        raise ConnectionRefusedError("nobody home")

    with pytest.raises(ServiceFailed, match=r"not healthy after 1s.*nobody home"):
        supervisor.wait_healthy("slow", probe, timeout_s=1)
    supervisor.stop("slow", grace_s=2)


def test_an_unreadable_record_is_corrupt_state(supervisor: Supervisor) -> None:
    supervisor.run_dir.mkdir(parents=True)
    supervisor.record_path("kafka").write_text("{not json")
    with pytest.raises(CorruptState, match="beacon down --reset"):
        supervisor.running("kafka")


def sleeper_service(name: str, argv: list[str] | None = None, healthy: bool = True) -> Service:
    """A service that sleeps; its probe answers ``healthy``."""
    return Service(
        name=name,
        description=f"{name} for tests",
        ports=lambda settings: {},
        url=lambda settings: f"test://{name}",
        prepare=lambda settings: Launch(
            argv or [sys.executable, "-c", "import time; time.sleep(600)"]
        ),
        healthy=lambda settings: healthy,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return isolated_settings(tmp_path / "state", health_timeout_s=10)


def test_start_service_starts_once_and_status_shows_it(settings: Settings) -> None:
    supervisor = Supervisor(settings.run_path, settings.logs_path, settings.host)
    service = sleeper_service("sleeper")
    lines: list[str] = []
    start_service(service, settings, supervisor, lines.append)
    record = supervisor.running("sleeper")
    assert record is not None
    assert lines[-1].startswith("  sleeper: healthy in ")
    start_service(service, settings, supervisor, lines.append)
    assert lines[-1] == f"  sleeper: already running (pid {record.pid}) at test://sleeper"
    status = service_status(service, settings, supervisor)
    assert (status.state, status.health, status.pid) == ("running", "healthy", record.pid)
    assert not status.unhealthy
    assert stop_all(settings, supervisor, [service], lines.append) == ["sleeper"]
    assert service_status(service, settings, supervisor).state == "stopped"


def test_a_service_that_fails_to_start_is_stopped_and_the_ones_before_it_keep_running(
    settings: Settings,
) -> None:
    supervisor = Supervisor(settings.run_path, settings.logs_path, settings.host)
    first = sleeper_service("first")
    broken = sleeper_service("broken", [sys.executable, "-c", "raise SystemExit(3)"], False)
    with pytest.raises(ServiceFailed, match="broken exited during start-up"):
        start_services([first, broken], settings, supervisor, lambda line: None)
    assert supervisor.running("first") is not None
    assert supervisor.record("broken") is None
    supervisor.stop("first", grace_s=5)


def test_stop_all_stops_in_reverse_order_and_records_of_unknown_services(
    settings: Settings,
) -> None:
    supervisor = Supervisor(settings.run_path, settings.logs_path, settings.host)
    services = [sleeper_service("first"), sleeper_service("second")]
    start_services(services, settings, supervisor, lambda line: None)
    supervisor.start("renamed", [sys.executable, "-c", "import time; time.sleep(600)"], {})
    lines: list[str] = []
    assert stop_all(settings, supervisor, services, lines.append) == ["second", "first", "renamed"]
    assert lines == ["  second: stopped", "  first: stopped", "  renamed: stopped"]
    assert not list(settings.run_path.glob("*.json"))
