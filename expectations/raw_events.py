"""The ``raw.events`` suite: the day's accepted events keep the events.v1 contract.

The frame is the day's partition with a few derived columns (pure Spark), so that every
check is a plain Great Expectations expectation on one column:

- ``repeat_gap_s``: seconds since the previous copy of the same (site, event_id), by
  receipt; null for a first copy. The stream drops a repeat that arrives within its dedupe
  window, so a copy closer than that means an event landed twice (exactly-once broken); a
  client's resend past the window is expected (the batch layer counts it once) and only its
  share is bounded;
- ``client_ts_offset_s``: client_ts in seconds after the partition day's midnight;
- ``receipt_lag_s``: received_at - client_ts in seconds, which the collector keeps between
  -max_future_skew_s (it clamps later times) and max_event_age_hours (older ones are bad rows);
- ``bot``: is_bot as 0 or 1; the share of 1s is the bot share (of no events on an empty day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from expectations.checks import Check, Frames, Suite, critical, warning
from lakehouse.schema import EVENT_FIELDS, EventType, Protocol
from lakehouse.settings import Settings
from lakehouse.tables.raw import RAW_EVENTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SUITE = "raw.events"
REQUIRED = tuple(f.name for f in EVENT_FIELDS if f.required)
"""The contract's required fields: event_id, type, site_id, client_ts, received_at, ..."""
ENRICHMENTS = ("browser", "os", "device_type", "country", "referrer_class")
"""The collector's enrichments of every event; each may be unknown for some events only."""
DAY_S = 86_400


def day_frame(raw: DataFrame, day: date) -> DataFrame:
    """The day's raw events with the derived columns the checks read (see the module)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    midnight = datetime.combine(day, time.min, UTC)
    copies = Window.partitionBy("site_id", "event_id").orderBy("received_at")
    seconds = F.unix_micros
    return (
        raw.where(F.col("event_date") == F.lit(day))
        .select(
            *REQUIRED,
            *ENRICHMENTS,
            "is_bot",
            "event_date",
        )
        .select(
            "*",
            ((seconds("received_at") - F.lag(seconds("received_at")).over(copies)) / 1e6).alias(
                "repeat_gap_s"
            ),
            ((seconds("client_ts") - F.lit(int(midnight.timestamp() * 1e6))) / 1e6).alias(
                "client_ts_offset_s"
            ),
            ((seconds("received_at") - seconds("client_ts")) / 1e6).alias("receipt_lag_s"),
            F.coalesce(F.col("is_bot"), F.lit(False)).cast("int").alias("bot"),
        )
    )


def _frame(frames: Frames, day: date) -> DataFrame:
    return day_frame(frames[RAW_EVENTS.qualified_name], day)


def checks(settings: Settings) -> tuple[Check, ...]:
    collector, dq = settings.collector, settings.dq
    sites = sorted(site.site_id for site in collector.sites)
    return (
        *(
            critical(
                f"{column}_not_null",
                "ExpectColumnValuesToNotBeNull",
                f"every event has {column} (required by events.v1)",
                column=column,
            )
            for column in REQUIRED
        ),
        critical(
            "event_id_unique_within_dedupe_window",
            "ExpectColumnValuesToBeBetween",
            "no two copies of a (site, event_id) received within the stream's dedupe window",
            column="repeat_gap_s",
            min_value=float(settings.streaming.dedupe_window_s),
        ),
        warning(
            "event_id_repeats_share",
            "ExpectColumnValuesToBeNull",
            f"at most {dq.max_repeat_share:.0%} of events repeat an event_id past the window",
            column="repeat_gap_s",
            mostly=1 - dq.max_repeat_share,
        ),
        critical(
            "type_allowed",
            "ExpectColumnValuesToBeInSet",
            "type is one of events.v1's event types",
            column="type",
            value_set=[t.value for t in EventType],
        ),
        critical(
            "protocol_allowed",
            "ExpectColumnValuesToBeInSet",
            "protocol is one of the collector's wire formats",
            column="protocol",
            value_set=[p.value for p in Protocol],
        ),
        critical(
            "site_id_known",
            "ExpectColumnValuesToBeInSet",
            "site_id is a configured site",
            column="site_id",
            value_set=sites,
        ),
        critical(
            "client_ts_on_partition_day",
            "ExpectColumnValuesToBeBetween",
            "client_ts falls on the event_date partition it is stored in",
            column="client_ts_offset_s",
            min_value=0.0,
            max_value=float(DAY_S),
            strict_max=True,
        ),
        critical(
            "received_at_within_clock_bounds",
            "ExpectColumnValuesToBeBetween",
            "received_at - client_ts within the collector's bounds (future skew, maximum age)",
            column="receipt_lag_s",
            min_value=-collector.max_future_skew_s,
            max_value=collector.max_event_age_hours * 3600,
        ),
        warning(
            "bot_share",
            "ExpectColumnValuesToBeInSet",
            f"at most {dq.max_bot_share:.0%} of the day's events are bots",
            column="bot",
            value_set=[0],
            mostly=1 - dq.max_bot_share,
        ),
        *(
            warning(
                f"{column}_enriched_share",
                "ExpectColumnValuesToNotBeNull",
                f"at least {dq.min_enriched_share:.0%} of events have {column} set",
                column=column,
                mostly=dq.min_enriched_share,
            )
            for column in ENRICHMENTS
        ),
    )


def suite(settings: Settings) -> Suite:
    return Suite(
        SUITE,
        "the day's raw.events partition keeps the events.v1 contract",
        (RAW_EVENTS.qualified_name,),
        _frame,
        checks(settings),
    )
