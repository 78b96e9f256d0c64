"""Small appends through delta-rs (the ``deltalake`` package): the live tables' versions of a
micro-batch, already in the driver, and a small micro-batch's raw rows, collected as Arrow,
committed in milliseconds without a Spark write job.

A Spark append of the same rows is a job for a small file and a commit that lists the log
and builds the new snapshot, a fixed cost of hundreds of ms on every micro-batch's path
(docs/tuning.md). Each commit carries the micro-batch's marker as its
``commitInfo.userMetadata``, as Spark's do (:mod:`streaming.commit_markers`). A delta-rs
commit is atomic on a local disk (a rename that fails if the version exists); on object
storage, where that needs a locking store, the appends stay Spark's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakehouse.delta_rs import delta_rs_uri

LOCAL_SCHEMES = ("file:", "/")


def appends_through_delta_rs(location: str) -> bool:
    """Whether a table's appends go through delta-rs: a table on the local file system."""
    return location.startswith(LOCAL_SCHEMES)


DRIVER_APPEND_ROWS = 5_000
"""A micro-batch of fewer rows has its raw rows collected and appended by delta-rs; a larger
one (a backlog, a spike) is written by Spark's tasks, in parallel and without a collect."""


class DeltaRsAppends:
    """Appends to Delta tables of rows (tuples in the given column order) or of an Arrow
    table; each table's Arrow schema is read from its log once."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def schema(self, location: str) -> Any:
        import pyarrow as pa
        from deltalake import DeltaTable

        schema = self.schemas.get(location)
        if schema is None:
            uri = delta_rs_uri(location)
            schema = self.schemas[location] = pa.schema(DeltaTable(uri).schema().to_arrow())
        return schema

    def append_arrow(self, location: str, data: Any, marker: str | None) -> None:
        """Append an Arrow table with the table's columns, cast to its schema (Spark's
        Arrow batches are nullable throughout and may differ in string and time types)."""
        from deltalake import CommitProperties, write_deltalake

        schema = self.schema(location)
        shaped = data.select(list(schema.names)).cast(schema)
        # A blind append, said so as Spark's appends say it: under Delta's default isolation
        # (WriteSerializable) a concurrent DELETE, MERGE or erasure does not conflict with it.
        metadata: dict[str, Any] = {"isBlindAppend": True}
        if marker:
            metadata["userMetadata"] = marker
        write_deltalake(
            delta_rs_uri(location),
            shaped,
            mode="append",
            commit_properties=CommitProperties(custom_metadata=metadata),
        )

    def append(
        self,
        location: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        marker: str | None,
    ) -> None:
        import pyarrow as pa

        schema = self.schema(location)
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        arrays = [
            pa.array(values, type=schema.field(name).type)
            for name, values in zip(columns, by_column, strict=True)
        ]
        self.append_arrow(location, pa.Table.from_arrays(arrays, names=list(columns)), marker)
