"""Runs local services as background process groups and remembers them on disk.

Each running service has a record ``<state>/run/<name>.json`` (pid, process group, ports,
log file). Stopping signals the whole process group, so a JVM and anything it spawned go
together, even after the supervising shell crashed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from lakehouse.files import write_json_atomically
from stack.errors import BeaconError


class PortInUse(BeaconError):
    pass


class CorruptState(BeaconError):
    pass


class ServiceFailed(BeaconError):
    pass


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    pgid: int
    ports: dict[str, int]
    log: str
    started_at: float

    @classmethod
    def load(cls, path: Path) -> ProcessRecord:
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as error:
            raise CorruptState(
                f"state file {path} is unreadable ({error.__class__.__name__}); "
                "run `beacon down --reset` to clear the state dir"
            ) from None

    def save(self, path: Path) -> None:
        write_json_atomically(path, asdict(self), indent=2)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_accepts(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state to tell.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def inherited_env() -> dict[str, str]:
    """The environment a service inherits: ours without BEACON_* settings, which the caller
    passes explicitly so a service runs with exactly the settings it was started with."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}


class Supervisor:
    """Starts, tracks and stops the process groups of one state dir."""

    def __init__(self, run_dir: Path, logs_dir: Path, host: str) -> None:
        self.run_dir = run_dir
        self.logs_dir = logs_dir
        self.host = host

    def record_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def log_path(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def record(self, name: str) -> ProcessRecord | None:
        path = self.record_path(name)
        return ProcessRecord.load(path) if path.exists() else None

    def running(self, name: str) -> ProcessRecord | None:
        """The record of ``name`` if its process is alive; a stale record is removed."""
        record = self.record(name)
        if record is None:
            return None
        if pid_alive(record.pid):
            return record
        if group_alive(record.pgid):
            return record  # leader gone, children left: still ours to stop
        self.record_path(name).unlink(missing_ok=True)
        return None

    def check_ports(self, name: str, ports: Mapping[str, int]) -> None:
        for label, port in ports.items():
            if not port_is_free(self.host, port):
                raise PortInUse(
                    f"port {port} ({name} {label}) on {self.host} is in use by another process; "
                    f"stop it or choose another port with BEACON_PORTS__{label.upper()}"
                )

    def start(
        self,
        name: str,
        argv: Sequence[str],
        ports: Mapping[str, int],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ProcessRecord:
        self.check_ports(name, ports)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path(name)
        with log_file.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {name}\n".encode())
            log.flush()
            process = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env={**inherited_env(), **(env or {})},
                start_new_session=True,
            )
        record = ProcessRecord(
            name=name,
            pid=process.pid,
            pgid=process.pid,
            ports=dict(ports),
            log=str(log_file),
            started_at=time.time(),
        )
        record.save(self.record_path(name))
        return record

    def wait_healthy(
        self,
        name: str,
        probe: Callable[[], bool],
        timeout_s: float,
        progress: Callable[[float], None] | None = None,
    ) -> float:
        """Poll ``probe`` until it passes; ServiceFailed if the process dies or time runs out."""
        started = time.monotonic()
        last_report = started
        last_error = "probe never passed"
        while True:
            record = self.record(name)
            if record is None or not pid_alive(record.pid):
                raise ServiceFailed(
                    f"{name} exited during start-up; see {self.log_path(name)} "
                    f"(last line: {self.last_log_line(name)})"
                )
            try:
                if probe():
                    return time.monotonic() - started
            except Exception as error:  # noqa: BLE001 - a probe that errors is not healthy yet
                last_error = f"{error.__class__.__name__}: {error}"[:200]
            now = time.monotonic()
            if now - started > timeout_s:
                raise ServiceFailed(
                    f"{name} not healthy after {timeout_s:.0f}s ({last_error}); "
                    f"see {self.log_path(name)}"
                )
            if progress is not None and now - last_report >= 5:
                progress(now - started)
                last_report = now
            time.sleep(0.5)

    def last_log_line(self, name: str) -> str:
        try:
            lines = self.log_path(name).read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1][:200] if lines else "empty log"

    def stop(self, name: str, grace_s: float = 20.0) -> bool:
        """Stop the process group of ``name``: SIGTERM, then SIGKILL after ``grace_s``."""
        record = self.record(name)
        if record is None:
            return False
        if group_alive(record.pgid):
            os.killpg(record.pgid, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while group_alive(record.pgid) and time.monotonic() < deadline:
                pid_alive(record.pid)  # reaps our own child if it was one
                time.sleep(0.2)
            if group_alive(record.pgid):
                os.killpg(record.pgid, signal.SIGKILL)
                while group_alive(record.pgid) and time.monotonic() < deadline + 5:
                    pid_alive(record.pid)
                    time.sleep(0.1)
        self.record_path(name).unlink(missing_ok=True)
        return True
