"""The `beacon` command turns every fixable problem into one line naming it and the fix, and
keeps what scripts and logs read plain."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack.cli.app import main
from stack.supervisor import free_port

BEACON = str(Path(sys.executable).parent / "beacon")


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def beacon(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Outcome]:
    """Run the CLI's `main` in this process (a subprocess a test cost a second of imports),
    with ``env`` added to the environment for that call."""

    def run(*args: str, env: dict[str, str]) -> Outcome:
        with monkeypatch.context() as patched:
            for name, value in env.items():
                patched.setenv(name, value)
            capsys.readouterr()
            code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def beacon_script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed `beacon` entry point, in a process of its own."""
    return subprocess.run(
        [BEACON, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def one_line_error(result: Outcome | subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("beacon: error: ")
    return lines[0]


@pytest.fixture
def isolated(tmp_path: Path) -> dict[str, str]:
    return {
        "BEACON_STATE_DIR": str(tmp_path / "state"),
        "BEACON_PORTS__KAFKA": str(free_port()),
        "BEACON_PORTS__KAFKA_CONTROLLER": str(free_port()),
        "BEACON_PORTS__TRINO": str(free_port()),
    }


def test_invalid_setting(beacon: Callable[..., Outcome], isolated: dict[str, str]) -> None:
    line = one_line_error(beacon("status", env={**isolated, "BEACON_PORTS__TRINO": "99999"}))
    assert "ports.trino" in line
    assert "BEACON_PORTS__TRINO" in line


def test_missing_jdk(
    beacon: Callable[..., Outcome], isolated: dict[str, str], tmp_path: Path
) -> None:
    env = {**isolated, "BEACON_JAVA__TRINO_HOME": str(tmp_path / "no-jdk")}
    line = one_line_error(beacon("up", "trino", env=env))
    assert "BEACON_JAVA__TRINO_HOME" in line
    assert "JDK 25+" in line


def test_missing_artifacts(
    beacon: Callable[..., Outcome], isolated: dict[str, str], tmp_path: Path
) -> None:
    env = {**isolated, "BEACON_CACHE_DIR": str(tmp_path / "empty-cache")}
    line = one_line_error(beacon("up", "kafka", env=env))
    assert "kafka artifacts are not installed" in line
    assert "make bootstrap" in line


def test_port_in_use(beacon: Callable[..., Outcome], isolated: dict[str, str]) -> None:
    port = int(isolated["BEACON_PORTS__KAFKA"])
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        line = one_line_error(beacon("up", "kafka", env=isolated))
    assert f"port {port}" in line
    assert "BEACON_PORTS__KAFKA" in line


def test_corrupt_state_dir(beacon: Callable[..., Outcome], isolated: dict[str, str]) -> None:
    Path(isolated["BEACON_STATE_DIR"]).write_text("not a folder")
    line = one_line_error(beacon("up", "kafka", env=isolated))
    assert "is not a folder" in line
    assert "beacon down --reset" in line


def test_unknown_service(beacon: Callable[..., Outcome], isolated: dict[str, str]) -> None:
    line = one_line_error(beacon("up", "kafak", env=isolated))
    assert "unknown service kafak" in line
    assert "kafka" in line


def test_status_of_a_fresh_state_dir(
    beacon: Callable[..., Outcome], isolated: dict[str, str]
) -> None:
    result = beacon("status", "--json", env=isolated)
    assert result.returncode == 0, result.stderr
    assert '"state": "stopped"' in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("status", "--jsn"), "no such option: --jsn"),
        (("stauts",), "no such command 'stauts'"),
        ((), "missing command"),
        (("tables",), "missing command"),
        (("logs",), "missing argument 'SERVICE'"),
        (("logs", "kafka", "--lines", "many"), "'--lines'"),
        (("simulate", "--minutes", "60", "--days", "1"), "--minutes or --days, not both"),
    ],
)
def test_a_command_line_that_does_not_parse(
    beacon: Callable[..., Outcome], args: tuple[str, ...], expected: str, isolated: dict[str, str]
) -> None:
    line = one_line_error(beacon(*args, env=isolated))
    assert expected in line
    assert "--help" in line


def test_logs_of_a_service_with_dependencies(
    beacon: Callable[..., Outcome], isolated: dict[str, str]
) -> None:
    line = one_line_error(beacon("logs", "collector", env=isolated))
    assert "no log for collector yet" in line


def test_an_unknown_bootstrap_part(
    beacon: Callable[..., Outcome], isolated: dict[str, str]
) -> None:
    line = one_line_error(beacon("bootstrap", "--only", "kafka,trinno", env=isolated))
    assert "unknown part trinno" in line
    assert "superset" in line


@pytest.mark.parametrize("waiting", [(), ("--wait-for-stream",)])
def test_batch_trigger_without_airflow(
    beacon: Callable[..., Outcome], isolated: dict[str, str], waiting: tuple[str, ...]
) -> None:
    port = free_port()
    env = {**isolated, "BEACON_PORTS__AIRFLOW": str(port)}
    line = one_line_error(beacon("batch", "trigger", "--ds", "2026-03-01", *waiting, env=env))
    assert f"Airflow at http://127.0.0.1:{port} does not answer" in line
    assert "beacon up airflow" in line
    assert not list(Path(isolated["BEACON_STATE_DIR"]).rglob("passwords.json"))


SERVICE_NAMES = (
    "kafka",
    "trino",
    "collector",
    "streaming",
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "api",
    "superset",
)


def test_status_json_stays_plain_in_a_colour_terminal(isolated: dict[str, str]) -> None:
    result = beacon_script(
        "status", "--json", env={**isolated, "FORCE_COLOR": "1", "COLUMNS": "40"}
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert [s["name"] for s in services] == list(SERVICE_NAMES)


def test_status_table_keeps_each_url_whole_off_a_terminal(
    beacon: Callable[..., Outcome], isolated: dict[str, str]
) -> None:
    result = beacon("status", env=isolated)
    assert result.returncode == 0, result.stderr
    header, _, *rows, footer = result.stdout.splitlines()
    assert header.split() == ["SERVICE", "STATE", "HEALTH", "PID", "UPTIME", "URL"]
    assert [row.split()[:2] for row in rows] == [[name, "stopped"] for name in SERVICE_NAMES]
    assert rows[1].split()[-1] == f"http://127.0.0.1:{isolated['BEACON_PORTS__TRINO']}"
    assert footer.startswith("state: ")


def test_help_exits_zero(isolated: dict[str, str]) -> None:
    result = beacon_script("--help", env=isolated)
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in ("up", "status", "tables", "simulate"))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("gdpr", "erase", "--site", "nope", "--user-id", "u"), "unknown site 'nope'"),
        (("gdpr", "erase", "--site", "demo-shop"), "exactly one of --user-id"),
        (
            ("gdpr", "erase", "--site", "demo-shop", "--user-id", "u", "--visitor-id", "v"),
            "exactly one of --user-id",
        ),
        (("gdpr", "erase", "--site", "demo-shop", "--user-id", ""), "user_id: String should"),
        (("gdpr", "export", "--site", "demo-shop", "--user-id", "u" * 129), "user_id: String"),
        (("gdpr", "erase", "--user-id", "u"), "missing option '--site'"),
        (("gdpr", "status", "some-id"), "Trino does not answer at http://127.0.0.1:"),
    ],
)
def test_a_bad_gdpr_request_is_one_line(
    beacon: Callable[..., Outcome], isolated: dict[str, str], args: tuple[str, ...], named: str
) -> None:
    line = one_line_error(beacon(*args, env=isolated))
    assert named in line
    assert "\\n" not in line


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("dq", "run", "--suite", "raw.event"), "unknown suite 'raw.event'; the suites are raw"),
        (("dq", "run", "--ds", "2026-02-30"), "--ds '2026-02-30' is not a date"),
        (("dq", "run", "--ds", "yesterday"), "--ds 'yesterday' is not a date"),
    ],
)
def test_a_bad_dq_run_is_one_line(
    beacon: Callable[..., Outcome], isolated: dict[str, str], args: tuple[str, ...], named: str
) -> None:
    line = one_line_error(beacon(*args, env=isolated))
    assert named in line
