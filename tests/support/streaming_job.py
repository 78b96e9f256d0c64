"""`python -m streaming` as a child process of a test, on the test's settings."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from lakehouse.settings import Settings, settings_env
from streaming.progress import is_fresh, progress_path, read_progress
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180


class StreamingJob:
    """The job's process, its log file, and its heartbeat as the readiness test."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the job and return once its heartbeat says every query runs."""
        env = {**os.environ, **settings_env(self.settings)}
        progress_path(self.settings).unlink(missing_ok=True)  # a killed run's may look fresh
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streaming"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self.running, START_TIMEOUT_S, self)

    def running(self) -> bool:
        """The heartbeat is fresh and says every query runs."""
        return is_fresh(read_progress(self.settings), self.settings)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9 the driver and its JVM, as a crash would."""
        assert self.process is not None
        progress = read_progress(self.settings) or {}
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        jvm = progress.get("jvm_pid")
        if jvm:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(jvm), signal.SIGKILL)

    def terminate(self, timeout_s: float = 120) -> int:
        """SIGTERM: the job finishes its batch and stops; its exit code. If it has not within
        ``timeout_s``, it is killed (no job outlives the test run) and TimeoutExpired raised."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def last_lines(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
