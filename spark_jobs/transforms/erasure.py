"""Which rows an erasure deletes: the subject resolved to every id the identity rule links to
it, and for each table the condition of the rows that hold one of those ids. The tables are
derived from their definitions: every table with an identifier column (or, for the bad rows,
the original payload)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.columns import Table
from lakehouse.erasure import IDENTIFIER_COLUMNS, Subject, SubjectKind
from lakehouse.schema import ALIAS_PREVIOUS_ID
from spark_jobs.transforms.events import identity_map

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

TEXT_COLUMNS = ("payload", "detail")
"""Columns of free text (a bad row's original input and its explanation): an id anywhere in
them is the subject's."""
DAY_COLUMN = "event_date"


@dataclass(frozen=True)
class SubjectIds:
    """A subject on a site and every id that stands for it."""

    site_id: str
    ids: frozenset[str]

    def sorted(self) -> list[str]:
        return sorted(self.ids)


def linked_ids(raw: DataFrame, subject: Subject) -> DataFrame:
    """One column ``id``: the subject's own id and, for a user, every visitor and anonymous
    id the identity map links to it (its events' ids and its alias calls'), whichever user
    the map folds a shared device into."""
    own = raw.sparkSession.createDataFrame([(subject.identifier,)], "id STRING")
    if subject.kind is not SubjectKind.USER_ID:
        return own
    users_events = raw.where(
        (F.col("site_id") == subject.site) & (F.col("user_id") == subject.identifier)
    )
    linked = identity_map(users_events).select(F.col("visitor_id").alias("id"))
    return own.unionByName(linked).distinct()


def erasable_tables(tables: Iterable[Table]) -> tuple[Table, ...]:
    """The tables with rows of a subject: an identifier column, or free text that can hold
    one; each has a site_id."""
    return tuple(
        table
        for table in tables
        if "site_id" in table.column_names
        and set(table.column_names) & (IDENTIFIER_COLUMNS | set(TEXT_COLUMNS))
    )


def subject_rows(table: Table, subject: SubjectIds) -> Column:
    """The condition of ``table``'s rows of the subject: on its site, an identifier column
    (or an alias call's previous id) equal to one of the ids, or free text containing one.
    A bad row without a site (its site was unknown) counts as the subject's site."""
    names = set(table.column_names)
    ids = subject.sorted()
    matches = [F.col(name).isin(ids) for name in sorted(IDENTIFIER_COLUMNS & names)]
    if "properties" in names:
        matches.append(F.col("properties")[ALIAS_PREVIOUS_ID].isin(ids))
    texts = [name for name in TEXT_COLUMNS if name in names]
    matches += [F.coalesce(F.col(text).contains(i), F.lit(False)) for text in texts for i in ids]
    if not matches:
        raise ValueError(f"{table.qualified_name} has no column that identifies a subject")
    on_site = F.col("site_id") == subject.site_id
    if texts:
        on_site = on_site | F.col("site_id").isNull()
    return on_site & functools.reduce(operator.or_, matches)


SOURCE_ID = "id"


def subject_match(table: Table, site_id: str) -> Column:
    """The MERGE condition between ``table``'s rows (alias ``t``) and the subject's ids
    (alias ``s``, one column ``id``): :func:`subject_rows` with the ids taken from the
    source, so no identifier is written into the Delta log (a DELETE records its predicate,
    literals and all, in the commit's info; a MERGE records only its condition)."""
    names = set(table.column_names)
    source = F.col(f"s.{SOURCE_ID}")
    matches = [F.col(f"t.{name}") == source for name in sorted(IDENTIFIER_COLUMNS & names)]
    if "properties" in names:
        matches.append(F.col("t.properties")[ALIAS_PREVIOUS_ID] == source)
    texts = [name for name in TEXT_COLUMNS if name in names]
    matches += [F.coalesce(F.col(f"t.{text}").contains(source), F.lit(False)) for text in texts]
    if not matches:
        raise ValueError(f"{table.qualified_name} has no column that identifies a subject")
    on_site = F.col("t.site_id") == F.lit(site_id)
    if texts:
        on_site = on_site | F.col("t.site_id").isNull()
    return on_site & functools.reduce(operator.or_, matches)


def affected_days(frame: DataFrame) -> DataFrame:
    """The days (``event_date``) of a table's rows of the subject: whose aggregates the
    batch layer recomputes."""
    return frame.select(DAY_COLUMN).distinct()
