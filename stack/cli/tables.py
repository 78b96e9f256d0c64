"""`beacon tables ...`: the lakehouse tables."""

from __future__ import annotations

import typer

from lakehouse.settings import load_settings
from stack.cli.output import say
from stack.errors import BeaconError
from stack.lifecycle import probe
from stack.state import open_state_dir

app = typer.Typer(name="tables", help="The lakehouse tables.")


@app.command()
def init() -> int:
    """Create the Delta tables and register them in Trino (idempotent)."""
    from lakehouse.provision import (
        TableLayoutMismatch,
        create_delta_tables,
        create_views,
        register_in_trino,
    )
    from lakehouse.spark import spark_session
    from lakehouse.tables import ALL_TABLES
    from lakehouse.tables.serving import SERVING_VIEWS
    from stack.trino_server import TRINO

    settings = load_settings()
    open_state_dir(settings)
    if not probe(TRINO, settings):
        raise BeaconError(f"Trino is not running at {settings.trino_url}; run `beacon up trino`")
    say("creating Delta tables")
    spark = spark_session(settings, "beacon-tables-init")
    try:
        created = create_delta_tables(spark, settings, ALL_TABLES, say)
    except TableLayoutMismatch as error:
        raise BeaconError(str(error)) from None
    finally:
        spark.stop()
    say(f"registering in Trino ({settings.trino_url})")
    registered = register_in_trino(settings, ALL_TABLES, say)
    create_views(settings, SERVING_VIEWS, say)
    say(f"tables: {len(created)} created, {len(registered)} newly registered")
    return 0
