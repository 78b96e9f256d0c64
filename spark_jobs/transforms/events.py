"""From raw.events to the events the batch layer counts: deduplicated over the whole day,
humans apart from bots, each visitor mapped to its person (the identity rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from lakehouse.schema import ALIAS_EVENT, ALIAS_PREVIOUS_ID

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

USED_COLUMNS: tuple[str, ...] = (
    "event_id",
    "type",
    "name",
    "site_id",
    "anonymous_id",
    "user_id",
    "visitor_id",
    "client_ts",
    "received_at",
    "path",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "language",
    "properties",
    "browser",
    "os",
    "device_type",
    "is_bot",
    "country",
    "referrer_class",
    "event_date",
)
"""The raw columns the batch layer reads; the others are never loaded."""

VIEW_TYPES = ("page", "screen")


def deduplicated(raw: DataFrame) -> DataFrame:
    """One row per (site, day, event_id): the copy received first (then the smallest visitor
    id, for copies received at once), so every run keeps the same one. A window's first row
    per key: one sort, where an aggregate of the whole row would sort twice."""
    copies = Window.partitionBy("site_id", "event_date", "event_id").orderBy(
        "received_at", "visitor_id"
    )
    return (
        raw.select(*USED_COLUMNS)
        .withColumn("copy", F.row_number().over(copies))
        .where(F.col("copy") == 1)
        .drop("copy")
    )


def is_bot() -> Column:
    return F.coalesce(F.col("is_bot"), F.lit(False))


def humans(events: DataFrame) -> DataFrame:
    return events.where(~is_bot())


def bots(events: DataFrame) -> DataFrame:
    return events.where(is_bot())


def is_view() -> Column:
    return F.col("type").isin(*VIEW_TYPES)


def identity_map(events: DataFrame) -> DataFrame:
    """(site_id, visitor_id, person_id) for every visitor id seen with a user_id, directly
    (its events carry one) or by an alias (``previous_id`` -> ``user_id``). A visitor id
    seen with several user ids folds into the smallest, so the map is a function."""
    identified = events.where(F.col("user_id").isNotNull())
    direct = identified.select("site_id", "visitor_id", "user_id")
    anonymous = identified.where(F.col("anonymous_id").isNotNull()).select(
        "site_id", F.col("anonymous_id").alias("visitor_id"), "user_id"
    )
    aliased = identified.where(
        (F.col("type") == "identify")
        & (F.col("name") == ALIAS_EVENT)
        & F.col("properties")[ALIAS_PREVIOUS_ID].isNotNull()
    ).select("site_id", F.col("properties")[ALIAS_PREVIOUS_ID].alias("visitor_id"), "user_id")
    own = identified.select("site_id", F.col("user_id").alias("visitor_id"), "user_id")
    return (
        direct.unionByName(anonymous)
        .unionByName(aliased)
        .unionByName(own)
        .groupBy("site_id", "visitor_id")
        .agg(F.min("user_id").alias("person_id"))
    )


def with_person(frame: DataFrame, identities: DataFrame) -> DataFrame:
    """``frame`` with ``person_id``: its visitor's user id by the map, else its visitor id."""
    return frame.join(identities, ["site_id", "visitor_id"], "left").withColumn(
        "person_id", F.coalesce(F.col("person_id"), F.col("visitor_id"))
    )
