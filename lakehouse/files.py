"""Small state files shared between beacon's processes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_json_atomically(
    path: Path,
    document: Any,
    indent: int | None = None,
    default: Callable[[Any], Any] | None = None,
) -> None:
    """Replace ``path`` with ``document`` as JSON: written to a file of this process's own
    beside it, then renamed over it, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(document, indent=indent, default=default))
    temporary.replace(path)
