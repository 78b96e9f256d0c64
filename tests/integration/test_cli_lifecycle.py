"""`beacon up` / `down` / `status` as a user runs them, in a state dir of their own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from stack.supervisor import free_port, group_alive
from tests.support.waiting import wait_for

BEACON = str(Path(sys.executable).parent / "beacon")


def kafka_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BEACON_STATE_DIR": str(tmp_path / "state"),
        "BEACON_PORTS__KAFKA": str(free_port()),
        "BEACON_PORTS__KAFKA_CONTROLLER": str(free_port()),
    }


def beacon(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BEACON, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_up_status_logs_down(tmp_path: Path) -> None:
    env = kafka_env(tmp_path)
    up = beacon("up", "kafka", env=env)
    assert up.returncode == 0, up.stderr
    assert "kafka: healthy in" in up.stdout
    try:
        again = beacon("up", "kafka", env=env)
        assert again.returncode == 0
        assert "kafka: already running" in again.stdout

        status = beacon("status", env=env)
        assert status.returncode == 0, status.stderr
        kafka_row = next(line for line in status.stdout.splitlines() if line.startswith("kafka"))
        assert kafka_row.split()[1:3] == ["running", "healthy"]

        logs = beacon("logs", "kafka", "-n", "3", env=env)
        assert logs.returncode == 0
        assert 0 < len(logs.stdout.splitlines()) <= 3
    finally:
        down = beacon("down", env=env)
    assert down.returncode == 0
    assert "kafka: stopped" in down.stdout


def test_down_after_the_cli_crashed_mid_start_leaves_no_orphan(tmp_path: Path) -> None:
    env = kafka_env(tmp_path)
    record_file = tmp_path / "state" / "run" / "kafka.json"
    starting = subprocess.Popen([BEACON, "up", "kafka"], env=env, stdout=subprocess.DEVNULL)
    wait_for(record_file.exists, 90, poll_s=0.1)  # kafka started
    starting.send_signal(signal.SIGKILL)  # the supervising command dies mid-start
    starting.wait()
    pgid = json.loads(record_file.read_text())["pgid"]
    assert group_alive(pgid)

    status = beacon("status", "--json", env=env)
    kafka = next(s for s in json.loads(status.stdout)["services"] if s["name"] == "kafka")
    assert kafka["state"] == "running"
    assert kafka["pid"] == pgid

    down = beacon("down", env=env)
    assert down.returncode == 0, down.stderr
    assert "kafka: stopped" in down.stdout
    assert not group_alive(pgid)
    assert not record_file.exists()

    reset = beacon("down", "--reset", env=env)
    assert reset.returncode == 0, reset.stderr
    assert "removed" in reset.stdout
    assert not (tmp_path / "state").exists()


def test_an_interrupted_up_stops_what_it_was_starting(tmp_path: Path) -> None:
    env = kafka_env(tmp_path)
    record_file = tmp_path / "state" / "run" / "kafka.json"
    starting = subprocess.Popen(
        [BEACON, "up", "kafka"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(record_file.exists, 90, poll_s=0.1)  # kafka started
    pgid = json.loads(record_file.read_text())["pgid"]
    starting.send_signal(signal.SIGINT)  # Ctrl-C while it waits for health
    _, stderr = starting.communicate(timeout=60)
    assert starting.returncode == 130
    assert stderr.strip().splitlines()[-1] == "beacon: interrupted"
    assert not group_alive(pgid)
    assert not record_file.exists()
