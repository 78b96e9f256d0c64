from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.jdk import JdkNotFound, find_jdk, jdk_major
from lakehouse.settings import Settings
from stack.state import MARKER, open_state_dir, remove_state_dir
from stack.supervisor import CorruptState


def fake_jdk(root: Path, version: str) -> Path:
    home = root / f"jdk-{version}"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n')
    return home


def test_jdk_major_reads_the_release_file(tmp_path: Path) -> None:
    assert jdk_major(fake_jdk(tmp_path, "25.0.3")) == 25
    assert jdk_major(fake_jdk(tmp_path, "1.8.0_392")) == 8
    assert jdk_major(tmp_path / "nothing") is None


def test_a_setting_pointing_at_an_old_jdk_names_the_setting(tmp_path: Path) -> None:
    old = fake_jdk(tmp_path, "17.0.15")
    with pytest.raises(JdkNotFound) as raised:
        find_jdk(25, "Trino", old, "BEACON_JAVA__TRINO_HOME")
    message = str(raised.value)
    assert "BEACON_JAVA__TRINO_HOME" in message
    assert "JDK 25+" in message
    assert "\n" not in message


def test_the_lowest_suitable_jdk_is_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lakehouse.jdk.JVM_ROOT", tmp_path)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    fake_jdk(tmp_path, "25.0.1")
    fake_jdk(tmp_path, "17.0.2")
    assert find_jdk(17, "Kafka", None, "BEACON_JAVA__HOME").major == 17
    assert find_jdk(21, "Trino", None, "BEACON_JAVA__TRINO_HOME").major == 25
    with pytest.raises(JdkNotFound, match="no JDK 26\\+ for Trino"):
        find_jdk(26, "Trino", None, "BEACON_JAVA__TRINO_HOME")


def test_a_new_state_dir_is_created_with_its_marker(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    path = open_state_dir(settings)
    assert (path / MARKER).exists()
    assert open_state_dir(settings) == path  # idempotent


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_text("a file"), "is not a folder"),
        (lambda p: (p.mkdir(), (p / "photos").mkdir()), "is not a beacon state dir"),
        (lambda p: (p.mkdir(), (p / MARKER).write_text("garbage")), f"unreadable {MARKER}"),
    ],
)
def test_a_corrupt_state_dir_is_one_line_with_the_fix(
    tmp_path: Path, make: object, expected: str
) -> None:
    target = tmp_path / "state"
    make(target)  # type: ignore[operator]
    with pytest.raises(CorruptState) as raised:
        open_state_dir(Settings(state_dir=target))
    assert expected in str(raised.value)
    assert "BEACON_STATE_DIR" in str(raised.value)


def test_reset_refuses_a_folder_that_is_not_a_state_dir(tmp_path: Path) -> None:
    (tmp_path / "precious").write_text("keep me")
    with pytest.raises(CorruptState, match="refusing"):
        remove_state_dir(Settings(state_dir=tmp_path))
    assert (tmp_path / "precious").exists()
