"""Every Delta table of the lakehouse, by schema: one module a schema (raw, live, batch, ops,
and the serving views), and here the registry of what ``beacon tables init`` creates."""

from __future__ import annotations

from lakehouse.columns import Table
from lakehouse.tables.batch import BATCH_TABLES
from lakehouse.tables.live import LIVE_TABLES
from lakehouse.tables.ops import (
    OPS_COLLECTOR_ACCEPTED,
    OPS_DQ_RESULTS,
    OPS_GDPR_AUDIT,
    OPS_GDPR_REQUESTS,
    OPS_PIPELINE_RUNS,
)
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD

SCHEMAS: tuple[str, ...] = ("raw", "live", "batch", "serving", "ops")

FOUNDATION_TABLES: tuple[Table, ...] = (
    RAW_EVENTS,
    RAW_EVENTS_BAD,
    OPS_GDPR_REQUESTS,
    OPS_GDPR_AUDIT,
    OPS_DQ_RESULTS,
    OPS_PIPELINE_RUNS,
    OPS_COLLECTOR_ACCEPTED,
)
"""The tables `beacon tables init` creates besides the live and batch ones."""

ALL_TABLES: tuple[Table, ...] = (*FOUNDATION_TABLES, *LIVE_TABLES, *BATCH_TABLES)
