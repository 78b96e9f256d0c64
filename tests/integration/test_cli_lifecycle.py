"""`beacon up` / `down` / `status` as a user runs them, in a state dir of their own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stack.supervisor import group_alive
from tests.conftest import free_port

BEACON = str(Path(sys.executable).parent / "beacon")


def test_down_after_the_cli_crashed_mid_start_leaves_no_orphan(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BEACON_STATE_DIR": str(tmp_path / "state"),
        "BEACON_PORTS__KAFKA": str(free_port()),
        "BEACON_PORTS__KAFKA_CONTROLLER": str(free_port()),
    }
    record_file = tmp_path / "state" / "run" / "kafka.json"
    starting = subprocess.Popen([BEACON, "up", "kafka"], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while not record_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert record_file.exists(), "kafka never started"
    starting.send_signal(signal.SIGKILL)  # the supervising command dies mid-start
    starting.wait()
    pgid = json.loads(record_file.read_text())["pgid"]
    assert group_alive(pgid)

    status = subprocess.run(
        [BEACON, "status", "--json"], env=env, capture_output=True, text=True, check=False
    )
    kafka = next(s for s in json.loads(status.stdout)["services"] if s["name"] == "kafka")
    assert kafka["state"] == "running" and kafka["pid"] == pgid

    down = subprocess.run([BEACON, "down"], env=env, capture_output=True, text=True, check=True)
    assert "kafka: stopped" in down.stdout
    assert not group_alive(pgid)
    assert not record_file.exists()

    reset = subprocess.run(
        [BEACON, "down", "--reset"], env=env, capture_output=True, text=True, check=True
    )
    assert "removed" in reset.stdout
    assert not (tmp_path / "state").exists()
