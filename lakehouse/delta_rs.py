"""What every writer through delta-rs (the ``deltalake`` package) shares with Spark's view
of the same tables: the name it gives a table location."""

from __future__ import annotations


def delta_rs_uri(location: str) -> str:
    """delta-rs's name for a table location (``s3://`` for Spark's ``s3a://``)."""
    return location.replace("s3a://", "s3://", 1)
