"""Kafka records -> events.v1 rows or bad rows with a typed reason; pure DataFrame functions.

Input: the Kafka source's rows as ``value`` (string), ``topic``, ``partition``, ``offset`` and
``kafka_ts``. :func:`parse_records` adds the parsed fields, ``event_date``, ``bad_reason`` /
``bad_detail`` (null for a good event) and ``dedupe_key``, and keeps ``value`` (the record's
JSON) for bad records only: a good event is its parsed fields, and the raw text, most of a
row's bytes, would only be carried through the dedupe shuffle and the micro-batch's cache.
:func:`raw_events` and :func:`bad_rows` shape its two halves into the rows of ``raw.events``
and ``raw.events_bad``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.bad_rows import BadReason, Stage
from lakehouse.schema import EVENT_FIELDS, event_spark_schema
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

CORRUPT = "_corrupt_record"
REQUIRED = tuple(field.name for field in EVENT_FIELDS if field.required)
CHOICES = {field.name: field.choices for field in EVENT_FIELDS if field.choices is not None}
RECORD_COLUMNS = ("value", "topic", "partition", "offset", "kafka_ts")


def _missing_required() -> Column:
    from pyspark.sql import functions as F

    named = [F.when(F.col(f"e.{name}").isNull(), F.lit(name)) for name in REQUIRED]
    return F.filter(F.array(*named), lambda name: name.isNotNull())


def _invalid_choices() -> Column:
    from pyspark.sql import functions as F

    named = [
        F.when(
            F.col(f"e.{name}").isNotNull() & ~F.col(f"e.{name}").isin([c.value for c in enum]),
            F.concat(F.lit(f"{name}="), F.col(f"e.{name}")),
        )
        for name, enum in CHOICES.items()
    ]
    return F.filter(F.array(*named), lambda item: item.isNotNull())


def parse_records(records: DataFrame) -> DataFrame:
    """Parse each record's JSON against events.v1 and say why a record is not a good event."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = event_spark_schema().add(T.StructField(CORRUPT, T.StringType()))
    value = F.col("value")
    is_object = F.ltrim(value).startswith("{") & F.get_json_object(value, "$").isNotNull()
    parsed = records.withColumn(
        "e", F.from_json(value, schema, {"columnNameOfCorruptRecord": CORRUPT})
    ).withColumns({"_missing": _missing_required(), "_invalid": _invalid_choices()})
    corrupt = F.col(f"e.{CORRUPT}").isNotNull()
    # CASE stops at the first match: the second parse (is_object) runs for corrupt rows only.
    reason = (
        F.when(value.isNull(), F.lit(BadReason.MALFORMED.value))
        .when(corrupt & ~is_object, F.lit(BadReason.MALFORMED.value))
        .when(corrupt, F.lit(BadReason.SCHEMA_VIOLATION.value))
        .when(F.size("_missing") > 0, F.lit(BadReason.SCHEMA_VIOLATION.value))
        .when(F.size("_invalid") > 0, F.lit(BadReason.SCHEMA_VIOLATION.value))
    )
    detail = (
        F.when(value.isNull(), F.lit("empty Kafka record value"))
        .when(corrupt & ~is_object, F.lit("not a JSON object"))
        .when(corrupt, F.lit("a field has the wrong type for events.v1"))
        .when(
            F.size("_missing") > 0,
            F.concat(F.lit("missing required: "), F.array_join("_missing", ", ")),
        )
        .when(
            F.size("_invalid") > 0,
            F.concat(F.lit("not an allowed value: "), F.array_join("_invalid", ", ")),
        )
    )
    location = F.concat_ws(":", F.lit("kafka"), "topic", "partition", "offset")
    return parsed.select(
        *(
            F.when(reason.isNotNull(), value).alias(c) if c == "value" else c
            for c in RECORD_COLUMNS
        ),
        *(F.col(f"e.{field.name}").alias(field.name) for field in EVENT_FIELDS),
        F.to_date(F.col("e.client_ts")).alias("event_date"),
        reason.alias("bad_reason"),
        detail.alias("bad_detail"),
        # A good event is deduplicated by its event_id; a bad record is unique by its offset.
        F.when(reason.isNull(), F.col("e.event_id")).otherwise(location).alias("dedupe_key"),
    )


def raw_events(parsed: DataFrame) -> DataFrame:
    """The good events of :func:`parse_records`, as rows of raw.events."""
    from pyspark.sql import functions as F

    return parsed.where(F.col("bad_reason").isNull()).select(*RAW_EVENTS.column_names)


def _uuid_of(text: Column) -> Column:
    from pyspark.sql import functions as F

    digest = F.md5(text)
    parts = [F.substring(digest, start, length) for start, length in _UUID_PARTS]
    return F.concat_ws("-", *parts)


_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def bad_rows(parsed: DataFrame) -> DataFrame:
    """The rejected records of :func:`parse_records`, as rows of raw.events_bad."""
    from pyspark.sql import functions as F

    received_at = F.coalesce(F.col("received_at"), F.col("kafka_ts"))
    columns = {
        # Derived from the record's Kafka position, so a replayed batch makes the same id.
        "bad_id": _uuid_of(F.concat_ws(":", "topic", "partition", "offset")),
        "stage": F.lit(Stage.STREAMING_PARSE.value),
        "reason": F.col("bad_reason"),
        "detail": F.col("bad_detail"),
        "payload": F.coalesce(F.col("value"), F.lit("")),
        "protocol": F.coalesce(F.col("protocol"), F.get_json_object("value", "$.protocol")),
        "site_id": F.coalesce(F.col("site_id"), F.get_json_object("value", "$.site_id")),
        "received_at": received_at,
        "bad_date": F.to_date(received_at),
    }
    assert tuple(columns) == RAW_EVENTS_BAD.column_names
    return parsed.where(F.col("bad_reason").isNotNull()).select(
        *(column.alias(name) for name, column in columns.items())
    )
