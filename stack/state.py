"""The state dir: one folder for all runtime state (service data, logs, PIDs, the lakehouse)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lakehouse.settings import Ports, Settings, load_settings
from stack.supervisor import CorruptState, free_port

MARKER = ".beacon-state"
FORMAT = 1


def open_state_dir(settings: Settings, create: bool = True) -> Path:
    """The validated state dir; CorruptState naming the problem and the fix otherwise."""
    path = settings.state_path
    fix = "remove it (`beacon down --reset`) or set BEACON_STATE_DIR to another folder"
    if path.exists() and not path.is_dir():
        raise CorruptState(f"state dir {path} is not a folder; {fix}")
    marker = path / MARKER
    if marker.exists():
        try:
            recorded = json.loads(marker.read_text())["format"]
        except (OSError, ValueError, KeyError, TypeError):
            raise CorruptState(f"state dir {path} has an unreadable {MARKER}; {fix}") from None
        if recorded != FORMAT:
            raise CorruptState(f"state dir {path} is of format {recorded}, not {FORMAT}; {fix}")
    elif path.exists() and any(path.iterdir()):
        raise CorruptState(f"{path} is not a beacon state dir (no {MARKER}); {fix}")
    elif create:
        path.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"format": FORMAT}) + "\n")
    return path


def remove_state_dir(settings: Settings) -> bool:
    path = settings.state_path
    if not path.exists():
        return False
    if path.is_dir():
        if not (path / MARKER).exists() and any(path.iterdir()):
            raise CorruptState(f"refusing to delete {path}: it is not a beacon state dir")
        shutil.rmtree(path)
    else:
        path.unlink()
    return True


def isolated_settings(state_dir: Path, **overrides: object) -> Settings:
    """Settings of a private platform: every port one that is free now, all state under
    ``state_dir`` (created), and any other ``overrides``. Tests and benchmarks run on these,
    so they never collide with a running demo or with each other."""
    ports = Ports(**{name: free_port() for name in Ports.model_fields})
    settings = load_settings(state_dir=state_dir, ports=ports, **overrides)
    open_state_dir(settings)
    return settings
