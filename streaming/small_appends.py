"""The live tables' appends through delta-rs (the ``deltalake`` package): a micro-batch's
few hundred rows, already in the driver, committed in milliseconds without a Spark job.

A Spark append of the same rows is a job for a small file and a commit that lists the log
and builds the new snapshot, a fixed cost of hundreds of ms on every micro-batch's path
(docs/tuning.md). Each commit carries the micro-batch's marker as its
``commitInfo.userMetadata``, as Spark's do (:mod:`streaming.commit_markers`). A delta-rs
commit is atomic on a local disk (a rename that fails if the version exists); on object
storage, where that needs a locking store, the appends stay Spark's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lakehouse.gdpr_store import delta_rs_uri

LOCAL_SCHEMES = ("file:", "/")


def appends_through_delta_rs(location: str) -> bool:
    """Whether a table's appends go through delta-rs: a table on the local file system."""
    return location.startswith(LOCAL_SCHEMES)


class DeltaRsAppends:
    """Appends of rows (tuples in the table's column order) to Delta tables; each table's
    Arrow schema is read from its log once."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def append(
        self,
        location: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        marker: str | None,
    ) -> None:
        import pyarrow as pa
        from deltalake import CommitProperties, DeltaTable, write_deltalake

        uri = delta_rs_uri(location)
        schema = self.schemas.get(location)
        if schema is None:
            schema = self.schemas[location] = pa.schema(DeltaTable(uri).schema().to_arrow())
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        data = pa.Table.from_arrays(
            [
                pa.array(values, type=schema.field(name).type)
                for name, values in zip(columns, by_column, strict=True)
            ],
            schema=pa.schema([schema.field(name) for name in columns]),
        ).select(list(schema.names))
        metadata = {"userMetadata": marker} if marker else None
        write_deltalake(
            uri, data, mode="append", commit_properties=CommitProperties(custom_metadata=metadata)
        )
