"""How `beacon` writes: lines and tables through Rich on stdout, JSON as plain text, and
every error as one line on stderr.

Lines are printed as they are (no markup, no highlighting, no wrapping), so a tool's output
or a path with brackets in it reads the same in a terminal, a pipe and a log file.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text

UNBOUNDED = 10_000
console = Console(highlight=False, emoji=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)


def say(line: str) -> None:
    console.print(Text(line))


def show(renderable: RenderableType) -> None:
    """A table or panel: fitted to a terminal; at its natural width anywhere else, as a log
    file or a pipe has no edge to wrap at."""
    if console.is_terminal:
        console.print(renderable)
        return
    width = console.measure(renderable, options=console.options.update(max_width=UNBOUNDED))
    Console(width=width.maximum, highlight=False, emoji=False).print(renderable)


def print_json(data: Any) -> None:
    """Plain JSON on stdout, for scripts: no colours, whatever the terminal."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
    sys.stdout.flush()


def error_line(message: str) -> None:
    """``beacon: error: <message>``, on one line even if the message has several."""
    text = " ".join(message.split())
    errors.print(Text.assemble(("beacon: error: ", "bold red"), text))


def interrupted() -> None:
    errors.print("beacon: interrupted")
