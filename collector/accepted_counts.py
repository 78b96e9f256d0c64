"""The events a collector process accepted, per site and UTC day of receipt, appended to
``ops.collector_accepted`` every ``collector.accepted_flush_s`` and when the process stops:
what the data-quality reconciliation compares raw.events with (nothing lost between the
collector and the lake).

Counts wait in memory until an append commits; one that fails (the table missing, the
storage down) leaves them for the next, so a count is late at worst, never dropped while the
process lives. Rows are appended by delta-rs: a blind append commits beside every other
process's, without a Spark session in the collector."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from lakehouse.settings import Settings
from lakehouse.tables.ops import OPS_COLLECTOR_ACCEPTED

log = logging.getLogger("beacon.collector.accepted")

Row = tuple[str, date, int, str, datetime]
"""(site_id, received_date, accepted, collector, flushed_at): ops.collector_accepted's columns."""
Append = Callable[[Sequence[Row]], None]
Clock = Callable[[], datetime]


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class AcceptedCounts:
    """Counts of one process since its last successful append."""

    def __init__(
        self,
        append: Append,
        every_s: float,
        name: str | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.append = append
        self.every_s = every_s
        self.name = name or this_process()
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, date], int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def add(self, site_id: str, received_at: datetime, accepted: int) -> None:
        key = (site_id, received_at.astimezone(UTC).date())
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + accepted

    def pending(self) -> dict[tuple[str, date], int]:
        with self._lock:
            return dict(self._pending)

    def flush(self) -> int:
        """Append what was counted since the last append; the rows appended (0 if the
        append failed: the counts wait for the next)."""
        with self._lock:
            taken, self._pending = self._pending, {}
        if not taken:
            return 0
        now = self.clock()
        rows = [(site, day, n, self.name, now) for (site, day), n in sorted(taken.items())]
        try:
            self.append(rows)
        except Exception as error:  # noqa: BLE001 - kept for the next flush, said once
            with self._lock:
                for key, n in taken.items():
                    self._pending[key] = self._pending.get(key, 0) + n
            if not self._warned:
                log.warning("accepted counts wait: cannot append them: %s", error)
                self._warned = True
            return 0
        self._warned = False
        return len(rows)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="accepted-counts", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.flush()

    def stop(self) -> None:
        """Stop the thread and append what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every_s + 5)
        self.flush()


def delta_append(settings: Settings) -> Append:
    """Rows appended to ops.collector_accepted of ``settings``' lakehouse by delta-rs."""
    from lakehouse.delta_rs import delta_rs_uri

    location = delta_rs_uri(settings.table_location(OPS_COLLECTOR_ACCEPTED.relative_path))
    names = OPS_COLLECTOR_ACCEPTED.column_names

    def append(rows: Sequence[Row]) -> None:
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake

        table = DeltaTable(location)
        schema = pa.schema(table.schema().to_arrow())
        records: list[dict[str, Any]] = [dict(zip(names, row, strict=True)) for row in rows]
        write_deltalake(table, pa.Table.from_pylist(records, schema=schema), mode="append")

    return append
