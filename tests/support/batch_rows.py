"""raw.events rows for the batch tests: every column, with defaults a test overrides."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakehouse.settings import SiteSettings
from lakehouse.tables.raw import RAW_EVENTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_ids = itertools.count(1)


def at(text: str) -> datetime:
    """A UTC moment from ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def raw_event(**fields: Any) -> dict[str, Any]:
    """One raw.events row: a human pageview of / by visitor v1 on site s, unless told."""
    client_ts = fields.pop("client_ts", at("2026-03-10 12:00:00"))
    row: dict[str, Any] = dict.fromkeys(RAW_EVENTS.column_names)
    row.update(
        event_id=f"e{next(_ids):06d}",
        type="page",
        name="pageview",
        site_id="s",
        visitor_id="v1",
        client_ts=client_ts,
        received_at=client_ts + timedelta(seconds=1),
        protocol="native",
        path="/",
        is_bot=False,
        device_type="desktop",
        browser="Firefox",
        os="Linux",
        country="DE",
        language="de-DE",
        referrer_class="direct",
        properties={},
    )
    row.update(fields)
    row["event_date"] = row["client_ts"].date()
    return row


def raw_frame(spark: SparkSession, rows: Iterable[Mapping[str, Any]]) -> DataFrame:
    schema = RAW_EVENTS.spark_schema()
    return spark.createDataFrame(
        [tuple(row[c] for c in RAW_EVENTS.column_names) for row in rows], schema
    )


def batch_frames(
    spark: SparkSession,
    rows: Iterable[Mapping[str, Any]],
    sites: Sequence[SiteSettings],
    first: date,
    last: date,
    gap_s: float = 1800,
    engaged_after_s: float = 10,
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(events with person_id, tagged human events, sessions) of raw ``rows``, by the
    transforms a nightly run chains, for the days ``first`` to ``last``."""
    from spark_jobs.transforms.events import deduplicated, humans, identity_map, with_person
    from spark_jobs.transforms.goals import site_goals
    from spark_jobs.transforms.sessions import sessions_of, tag_sessions, with_identity

    events = deduplicated(raw_frame(spark, rows))
    identities = identity_map(events)
    with_people = with_person(events, identities)
    tagged = tag_sessions(humans(with_people), gap_s)
    nobody = spark.createDataFrame([], "site_id string, person_id string")
    sessions = with_identity(
        sessions_of(tagged, site_goals(sites), engaged_after_s), identities, nobody, first, last
    )
    return with_people, tagged, sessions
