"""Kafka records -> events.v1 rows or bad rows with a typed reason; pure DataFrame functions.

Input: the Kafka source's rows as ``value`` (string), ``topic``, ``partition``, ``offset`` and
``kafka_ts``, from two topics: ``events.v1`` (events from any producer) and the bad-row topic
(``events.bad``: the collector's rejections). :func:`parse_records` adds the parsed event
fields, ``event_date``, ``bad_reason`` / ``bad_detail`` (null for a good event), ``bad_row``
(a well-formed record of the bad-row topic, else null) and ``dedupe_key``, and keeps
``value`` (the record's JSON) only for records the parse itself rejects: a good event is its
parsed fields and a collector's bad row its record, and the raw text, most of a row's bytes,
would only be carried through the dedupe shuffle and the micro-batch's cache.

An event must keep the whole events.v1 contract (:mod:`streaming.contract`: required fields,
lengths, bounds, allowed values); a record that breaks it is a bad row naming each field and
rule. :func:`raw_events` and :func:`bad_rows` shape the two halves into the rows of
``raw.events`` and ``raw.events_bad``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.bad_rows import BadReason, Stage, bad_record_spark_schema
from lakehouse.schema import EVENT_FIELDS, event_spark_schema
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.contract import bad_record_violations, violations

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

CORRUPT = "_corrupt_record"
RECORD_COLUMNS = ("value", "topic", "partition", "offset", "kafka_ts")


def _rejection(
    value: Column, corrupt: Column, breaches: Column, what: str
) -> tuple[Column, Column]:
    """(reason, detail) of a record whose JSON parse is ``corrupt`` or breaks rules."""
    from pyspark.sql import functions as F

    is_object = F.ltrim(value).startswith("{") & F.get_json_object(value, "$").isNotNull()
    # CASE stops at the first match: the second parse (is_object) runs for corrupt rows only.
    reason = (
        F.when(value.isNull(), F.lit(BadReason.MALFORMED.value))
        .when(corrupt & ~is_object, F.lit(BadReason.MALFORMED.value))
        .when(corrupt, F.lit(BadReason.SCHEMA_VIOLATION.value))
        .when(breaches.isNotNull(), F.lit(BadReason.SCHEMA_VIOLATION.value))
    )
    detail = (
        F.when(value.isNull(), F.lit("empty Kafka record value"))
        .when(corrupt & ~is_object, F.lit("not a JSON object"))
        .when(corrupt, F.lit(f"a field has the wrong type for {what}"))
        .when(
            breaches.isNotNull(), F.concat(F.lit(f"breaks {what}: "), F.array_join(breaches, "; "))
        )
    )
    return reason, detail


def parse_records(records: DataFrame, bad_topic: str) -> DataFrame:
    """Parse each record against its topic's contract and say why it is not a good event.

    Each decision is a column of its own, computed once and referred to by name after: the
    same expression written into several output columns makes a plan the optimizer takes
    far longer over (its constraints grow with every copy)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    value = F.col("value")
    corrupt = {"columnNameOfCorruptRecord": CORRUPT}
    event_schema = event_spark_schema().add(T.StructField(CORRUPT, T.StringType()))
    record_schema = bad_record_spark_schema().add(T.StructField(CORRUPT, T.StringType()))
    parsed = (
        records.withColumn("_from_bad_topic", F.col("topic") == F.lit(bad_topic))
        .withColumn("e", F.from_json(value, event_schema, corrupt))
        .withColumn(
            "b", F.when(F.col("_from_bad_topic"), F.from_json(value, record_schema, corrupt))
        )
        .withColumns({"_breaches": violations("e"), "_record_breaches": bad_record_violations("b")})
    )
    event_reason, event_detail = _rejection(
        value, F.col(f"e.{CORRUPT}").isNotNull(), F.col("_breaches"), "events.v1"
    )
    record_reason, record_detail = _rejection(
        value, F.col(f"b.{CORRUPT}").isNotNull(), F.col("_record_breaches"), "the bad-row contract"
    )
    from_bad_topic = F.col("_from_bad_topic")
    judged = parsed.withColumns(
        {
            "_rejected_here": F.when(from_bad_topic, record_reason).otherwise(event_reason),
            "_detail_here": F.when(from_bad_topic, record_detail).otherwise(event_detail),
        }
    ).withColumn(
        # A well-formed record of the bad-row topic is a bad row already: its own reason stands.
        "_is_bad_row",
        from_bad_topic & F.col("_rejected_here").isNull(),
    )
    is_bad_row, rejected_here = F.col("_is_bad_row"), F.col("_rejected_here")
    decided = judged.withColumns(
        {
            "bad_reason": F.when(is_bad_row, F.col("b.reason")).otherwise(rejected_here),
            "bad_detail": F.when(is_bad_row, F.col("b.detail")).otherwise(F.col("_detail_here")),
        }
    )
    location = F.concat_ws(":", F.lit("kafka"), "topic", "partition", "offset")
    return decided.select(
        *(
            F.when(rejected_here.isNotNull(), value).alias(c) if c == "value" else c
            for c in RECORD_COLUMNS
        ),
        *(F.col(f"e.{field.name}").alias(field.name) for field in EVENT_FIELDS),
        F.to_date(F.col("e.client_ts")).alias("event_date"),
        "bad_reason",
        "bad_detail",
        F.when(is_bad_row, F.col("b").dropFields(CORRUPT)).alias("bad_row"),
        # A good event is deduplicated by its event_id, a collector's bad row by its bad_id
        # (a spool replay sends it again); a record rejected here is unique by its offset.
        F.when(F.col("bad_reason").isNull(), F.col("e.event_id"))
        .when(is_bad_row, F.col("b.bad_id"))
        .otherwise(location)
        .alias("dedupe_key"),
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
    """The bad rows of :func:`parse_records` (the collector's, and the parse's own
    rejections), as rows of raw.events_bad."""
    from pyspark.sql import functions as F

    def of_record(name: str, otherwise: Column) -> Column:
        """A field of the collector's bad row; for the parse's own, ``otherwise``."""
        return F.coalesce(F.col(f"bad_row.{name}"), otherwise)

    received_at = of_record("received_at", F.coalesce(F.col("received_at"), F.col("kafka_ts")))
    columns = {
        # The parse's own: derived from the record's Kafka position, so a replayed batch
        # makes the same id.
        "bad_id": of_record("bad_id", _uuid_of(F.concat_ws(":", "topic", "partition", "offset"))),
        "stage": of_record("stage", F.lit(Stage.STREAMING_PARSE.value)),
        "reason": F.col("bad_reason"),
        "detail": F.col("bad_detail"),
        "payload": of_record("payload", F.coalesce(F.col("value"), F.lit(""))),
        "protocol": of_record(
            "protocol", F.coalesce(F.col("protocol"), F.get_json_object("value", "$.protocol"))
        ),
        "site_id": of_record(
            "site_id", F.coalesce(F.col("site_id"), F.get_json_object("value", "$.site_id"))
        ),
        "received_at": received_at,
        "bad_date": F.to_date(received_at),
    }
    if tuple(columns) != RAW_EVENTS_BAD.column_names:
        raise RuntimeError(f"bad rows' columns {tuple(columns)} differ from raw.events_bad's")
    return parsed.where(F.col("bad_reason").isNotNull()).select(
        *(column.alias(name) for name, column in columns.items())
    )
