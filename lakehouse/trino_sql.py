"""Talking to Trino: connections, statements, and Trino's names for lakehouse paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakehouse.settings import Settings

METASTORE_DIR = "_trino_metastore"


def trino_location(settings: Settings, relative_path: str) -> str:
    """Trino's URI for a path under the lakehouse root (``local:///raw/events`` locally)."""
    if settings.profile == "local":
        return f"local:///{relative_path.strip('/')}"
    return settings.table_location(relative_path).replace("s3a://", "s3://", 1)


def connect(settings: Settings) -> Any:
    import trino

    host = settings.host if settings.profile == "local" else "trino"
    return trino.dbapi.connect(  # type: ignore[no-untyped-call]
        host=host,
        port=settings.ports.trino,
        user=settings.trino.user,
        catalog=settings.trino.catalog,
        request_timeout=60,
        legacy_prepared_statements=False,  # Trino 476 runs EXECUTE IMMEDIATE: no probe first
    )


def query(
    settings: Settings, sql: str, parameters: Sequence[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run one statement (with ``?`` bound to ``parameters``: how request input enters a
    statement, never as text); the rows it returns."""
    return query_with_names(settings, sql, parameters)[1]


def query_with_names(
    settings: Settings, sql: str, parameters: Sequence[Any] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """:func:`query`, with the names of the result's columns."""
    connection = connect(settings)
    try:
        cursor = connection.cursor()
        cursor.execute(sql, parameters)
        rows = [tuple(row) for row in cursor.fetchall()]
        names = [column[0] for column in cursor.description or ()]
        return names, rows
    finally:
        connection.close()
