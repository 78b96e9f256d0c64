"""`beacon bootstrap`: install the JVM artifacts and the Airflow and Superset environments."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from lakehouse.settings import load_settings
from stack.bootstrap import PARTS
from stack.bootstrap import bootstrap as install
from stack.cli.output import console, say

app = typer.Typer()


@app.command()
def bootstrap(
    only: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PART",
            help=f"Install only these parts (repeat, or separate with commas): {', '.join(PARTS)}.",
        ),
    ] = None,
) -> int:
    """Install JVM artifacts and the Airflow/Superset environments (what is missing only)."""
    from stack.cli.progress import BootstrapView

    settings = load_settings()
    parts = tuple(part for value in only or [] for part in value.split(",") if part)
    started = time.monotonic()
    with BootstrapView(console) as view:
        install(settings, view, only=parts)
    say(f"bootstrap done in {time.monotonic() - started:.1f}s (cache: {settings.cache_dir})")
    return 0
