"""What the batch jobs read, for one run: raw.events of the days around its window and the
frames derived from it, each built once (a chain of jobs in one session shares them)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.columns import Table
from lakehouse.settings import Settings
from lakehouse.tables.batch import BATCH_SESSIONS
from lakehouse.tables.raw import RAW_EVENTS
from spark_jobs.transforms.events import (
    USED_COLUMNS,
    deduplicated,
    humans,
    identity_map,
    with_person,
)
from spark_jobs.transforms.sessions import tag_sessions
from spark_jobs.window import DayWindow

if TYPE_CHECKING:
    from datetime import date

    from pyspark.sql import Column, DataFrame, SparkSession


class MissingTable(Exception):
    """A table a job reads does not exist."""


def _dates(first: date, last: date) -> Column:
    return F.col("event_date").between(F.lit(first), F.lit(last))


class BatchInputs:
    """The frames one run works on. ``persist`` keeps the sessionized events once computed,
    for runs that hand the same inputs to several jobs."""

    def __init__(
        self, spark: SparkSession, settings: Settings, window: DayWindow, persist: bool = False
    ) -> None:
        self.spark = spark
        self.settings = settings
        self.window = window
        self.persist = persist
        self._persisted: list[DataFrame] = []

    def table(self, table: Table) -> DataFrame:
        from delta.tables import DeltaTable

        location = self.settings.table_location(table.relative_path)
        if not DeltaTable.isDeltaTable(self.spark, location):
            raise MissingTable(
                f"{table.qualified_name} does not exist at {location}; "
                "run `beacon tables init` (and the streaming job) first"
            )
        return self.spark.read.format("delta").load(location)

    @cached_property
    def raw(self) -> DataFrame:
        """raw.events of the days read: the window and one day on each side."""
        return self.table(RAW_EVENTS).where(_dates(self.window.read_from, self.window.read_to))

    @cached_property
    def identities(self) -> DataFrame:
        """The identity map from every identified event up to the last day read."""
        identified = (
            self.table(RAW_EVENTS)
            .where(
                (F.col("event_date") <= F.lit(self.window.read_to)) & F.col("user_id").isNotNull()
            )
            .select(*USED_COLUMNS)
        )
        return identity_map(identified)

    @cached_property
    def events(self) -> DataFrame:
        """Deduplicated events of the days read, humans and bots, with person_id."""
        return self._keep(with_person(deduplicated(self.raw), self.identities))

    @cached_property
    def tagged(self) -> DataFrame:
        """Human events with their session (tag_sessions)."""
        gap_s = self.settings.batch.session_gap_minutes * 60
        return self._keep(tag_sessions(humans(self.events), gap_s))

    def sessions(self) -> DataFrame:
        """batch.sessions of the window's days (as the sessionize job wrote them)."""
        return self.table(BATCH_SESSIONS).where(_dates(self.window.first_day, self.window.last_day))

    def all_sessions(self) -> DataFrame:
        return self.table(BATCH_SESSIONS)

    def earlier_people(self) -> DataFrame:
        """(site_id, person_id) of every session before the days read."""
        return (
            self.table(BATCH_SESSIONS)
            .where(F.col("event_date") < F.lit(self.window.read_from))
            .select("site_id", "person_id")
        )

    def _keep(self, frame: DataFrame) -> DataFrame:
        if self.persist:
            frame = frame.persist()
            self._persisted.append(frame)
        return frame

    def release(self) -> None:
        for frame in self._persisted:
            frame.unpersist()
        self._persisted.clear()
