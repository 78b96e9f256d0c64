"""The events.v1 contract as Spark column checks, derived from ``EVENT_FIELDS``: what the
collector's validation enforces, enforced again on whatever any producer puts on Kafka.

:func:`violations` names each breached rule as ``<field>: <rule>``; null is a good event.
:func:`bad_record_violations` does the same for an ``events.bad`` record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.bad_rows import BAD_ROW_COLUMNS, BadReason, Stage
from lakehouse.columns import ColumnType
from lakehouse.schema import EVENT_FIELDS, MAX_PROPERTY_KEY, MAX_PROPERTY_VALUE, EventField

if TYPE_CHECKING:
    from pyspark.sql import Column


def _field_checks(field: EventField, value: Column) -> list[tuple[Column, str]]:
    """(breached, rule) for each rule of one field; ``value`` is the parsed field."""
    from pyspark.sql import functions as F

    checks: list[tuple[Column, str]] = []
    if field.required:
        checks.append((value.isNull(), "required"))
    if field.type is ColumnType.STRING:
        if field.required:
            checks.append((F.length(value) == 0, "must not be empty"))
        if field.choices is not None:
            allowed = [choice.value for choice in field.choices]
            checks.append((~value.isin(allowed), "not one of " + ", ".join(allowed)))
        elif field.max_length is not None:
            checks.append(
                (F.length(value) > field.max_length, f"longer than {field.max_length} characters")
            )
        if field.pattern is not None:
            checks.append((~value.rlike(field.pattern), f"does not match {field.pattern}"))
    if field.type is ColumnType.STRING_MAP:
        if field.max_length is not None:
            checks.append((F.size(value) > field.max_length, f"over {field.max_length} entries"))
        checks.append(
            (
                F.exists(F.map_keys(value), lambda key: F.length(key) > MAX_PROPERTY_KEY),
                f"a key longer than {MAX_PROPERTY_KEY} characters",
            )
        )
        checks.append(
            (
                F.exists(F.map_values(value), lambda item: F.length(item) > MAX_PROPERTY_VALUE),
                f"a value longer than {MAX_PROPERTY_VALUE} characters",
            )
        )
    if field.bounds is not None:
        low, high = field.bounds
        checks.append(((value < low) | (value > high), f"not between {low} and {high}"))
    return checks


def _named(checks: list[tuple[str, Column, str]]) -> Column:
    """The rules breached, as ``field: rule`` texts; null when none is. The plain OR of the
    checks decides first, so a good record (nearly every one) builds no array."""
    from functools import reduce

    from pyspark.sql import functions as F

    breached = reduce(lambda any_, check: any_ | check, (check for _, check, _ in checks))
    named = [F.when(check, F.lit(f"{name}: {rule}")) for name, check, rule in checks]
    return F.when(breached, F.filter(F.array(*named), lambda item: item.isNotNull()))


def violations(event: str) -> Column:
    """The events.v1 rules the struct column ``event`` breaks, as ``field: rule`` texts."""
    from pyspark.sql import functions as F

    return _named(
        [
            (field.name, breached, rule)
            for field in EVENT_FIELDS
            for breached, rule in _field_checks(field, F.col(f"{event}.{field.name}"))
        ]
    )


def bad_record_violations(record: str) -> Column:
    """The bad-row contract's rules the struct column ``record`` (an events.bad record)
    breaks: its required fields, and a stage and reason of the typed sets."""
    from pyspark.sql import functions as F

    checks = [
        (column.name, F.col(f"{record}.{column.name}").isNull(), "required")
        for column in BAD_ROW_COLUMNS
        if not column.nullable
    ]
    for name, allowed in (("stage", list(Stage)), ("reason", list(BadReason))):
        values = [item.value for item in allowed]
        checks.append((name, ~F.col(f"{record}.{name}").isin(values), "not a known " + name))
    return _named(checks)
