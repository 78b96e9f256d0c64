"""The rows the live writer appends line up, by position, with their table's columns (all
but the visitors' estimate, which Spark adds from the sketch)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lakehouse.columns import Table
from lakehouse.tables.live import LIVE_DAILY_METRICS, LIVE_MINUTE_METRICS
from streaming.live_totals import Totals
from streaming.live_writer import metric_rows, minute_partitions

UPDATED_AT = datetime(2026, 3, 2, 0, 0, 5, tzinfo=UTC)
TOTALS = Totals(pageviews=3, events=5, new_sessions=1, sketch=b"\x01\x02")


def by_column(table: Table, row: tuple[object, ...]) -> dict[str, object]:
    names = [name for name in table.column_names if name != "unique_visitors"]
    assert len(row) == len(names)
    return dict(zip(names, row, strict=True))


def test_a_minute_row_carries_its_minute_s_date_and_hour_as_partitions() -> None:
    minute = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    (row,) = metric_rows({("shop", minute, "path", "/a"): TOTALS}, UPDATED_AT, minute_partitions)
    assert by_column(LIVE_MINUTE_METRICS, row) == {
        "site_id": "shop",
        "minute": minute,
        "dimension": "path",
        "value": "/a",
        "pageviews": 3,
        "events": 5,
        "new_sessions": 1,
        "visitors_sketch": b"\x01\x02",
        "updated_at": UPDATED_AT,
        "event_date": date(2026, 3, 1),
        "event_hour": 23,
    }


def test_a_day_row_ends_with_its_update_time() -> None:
    day = date(2026, 3, 1)
    (row,) = metric_rows({("shop", day, "all", "(all)"): TOTALS}, UPDATED_AT)
    assert by_column(LIVE_DAILY_METRICS, row) == {
        "site_id": "shop",
        "event_date": day,
        "dimension": "all",
        "value": "(all)",
        "pageviews": 3,
        "events": 5,
        "new_sessions": 1,
        "visitors_sketch": b"\x01\x02",
        "updated_at": UPDATED_AT,
    }
