"""The serving layer's daily series through a real Trino: batch values for the days the
batch layer has closed, live values after them, with no gap and no day counted twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakehouse.provision import create_delta_tables, create_views, register_in_trino
from lakehouse.settings import Settings
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.raw import RAW_EVENTS
from lakehouse.tables.serving import SERVING_VIEWS
from lakehouse.trino_sql import query
from spark_jobs.nightly import run_nightly
from streaming.live_writer import LiveWriter
from streaming.metrics import VISITORS_RELATIVE_ERROR
from streaming.recent_sketches import RecentSketches
from tests.support.batch_rows import raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SITE = "edge-site"
CLOSED, OPEN = date(2027, 1, 10), date(2027, 1, 11)
CLOSED_VISITORS = 20_000
"""Past the sketch's exact range: the live figure is an estimate."""


def day_events(day: date, visitors: int) -> list[dict[str, Any]]:
    """Two pageviews 40 s apart per visitor, the visitors a second apart from 09:00."""
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
    rows = []
    for n in range(visitors):
        at = start + timedelta(seconds=n)
        rows.append(raw_event(site_id=SITE, visitor_id=f"v{n}", client_ts=at))
        rows.append(
            raw_event(site_id=SITE, visitor_id=f"v{n}", client_ts=at + timedelta(seconds=40))
        )
    return rows


def write_live(spark: SparkSession, settings: Settings, events: list[dict[str, Any]]) -> None:
    """The live rows of ``events`` as the streaming job writes them: partial rows per
    micro-batch (two here), appended as versions with the visitors' sketches."""
    writer = LiveWriter(settings, RecentSketches())
    half = len(events) // 2
    for batch in (events[:half], events[half:]):
        writer.write(spark, writer.partial_rows(raw_frame(spark, batch)), written=set())


def series(settings: Settings) -> list[tuple[Any, ...]]:
    return query(
        settings,
        "SELECT event_date, layer, pageviews, visitors, sessions"
        f" FROM {settings.trino.catalog}.serving.daily_metrics"
        f" WHERE site_id = '{SITE}' AND dimension = 'all' ORDER BY event_date, layer",
    )


def test_closed_days_come_from_batch_and_later_days_from_live(
    spark: SparkSession, trino: Settings
) -> None:
    # The site is a configured one: the nightly chain's data-quality gate refuses others.
    site = trino.collector.sites[0].model_copy(
        update={"site_id": SITE, "domains": (), "aliases": ()}
    )
    collector = trino.collector.model_copy(update={"sites": (*trino.collector.sites, site)})
    settings = trino.model_copy(update={"collector": collector})
    create_delta_tables(spark, settings, ALL_TABLES, lambda _: None)
    register_in_trino(settings, ALL_TABLES, lambda _: None)
    create_views(settings, SERVING_VIEWS, lambda _: None)
    events = day_events(CLOSED, CLOSED_VISITORS) + day_events(OPEN, 4)
    raw_frame(spark, events).write.format("delta").mode("append").save(
        settings.table_location(RAW_EVENTS.relative_path)
    )
    write_live(spark, settings, events)
    before = series(settings)
    assert [(day, layer) for day, layer, *_ in before] == [(CLOSED, "live"), (OPEN, "live")]

    run_nightly(spark, settings, CLOSED, lookback_days=0)

    after = series(settings)
    assert [(day, layer) for day, layer, *_ in after] == [(CLOSED, "batch"), (OPEN, "live")]
    closed_batch, open_live = after
    closed_live = before[0]
    # the same on-time events: the batch day has the live day's pageviews
    assert closed_batch[2] == closed_live[2] == 2 * CLOSED_VISITORS
    assert closed_batch[3] == closed_batch[4] == CLOSED_VISITORS  # exact visitors, sessions
    # the live visitors, a sketch's estimate, within three of its standard errors
    assert abs(closed_live[3] - CLOSED_VISITORS) <= 3 * VISITORS_RELATIVE_ERROR * CLOSED_VISITORS
    assert open_live[2:] == before[1][2:]
    assert open_live[3] == 4  # a sketch is exact for a few visitors
    assert open_live[4] is None  # sessions are batch-only
