"""Running suites for a day: the tables read, each suite's frame validated by Great
Expectations, one ``ops.dq_results`` row per expectation, and the data docs (HTML) of the
run built under the state dir. The one module of :mod:`expectations` that does I/O."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.checks import Frames, Suite
from expectations.gx_suite import RESULT_FORMAT, Outcome, expectation_suite, outcomes
from lakehouse.columns import Table
from lakehouse.provision import create_delta_tables
from lakehouse.settings import Settings
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.ops import OPS_DQ_RESULTS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DATA_DOCS_SITE = "beacon"
TABLES: dict[str, Table] = {table.qualified_name: table for table in ALL_TABLES}


class MissingSource(Exception):
    """A table a suite validates does not exist."""


@dataclass
class SuiteRun:
    suite: str
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: str = ""

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    def summary(self) -> str:
        if self.skipped:
            return f"{self.suite}: skipped: {self.skipped}"
        failed = self.failed
        passed = len(self.outcomes) - len(failed)
        line = f"{self.suite}: {passed}/{len(self.outcomes)} passed in {self.seconds:.1f}s"
        if failed:
            line += " - failed: " + ", ".join(f"{o.check} ({o.severity})" for o in failed)
        return line


@dataclass
class DqRun:
    run_id: str
    day: date
    suites: list[SuiteRun]
    data_docs: Path | None = None

    @property
    def outcomes(self) -> list[Outcome]:
        return [outcome for run in self.suites for outcome in run.outcomes]

    @property
    def blocking(self) -> list[Outcome]:
        """The failed critical expectations: the day must not be published."""
        return [outcome for outcome in self.outcomes if outcome.blocks]


Progress = Callable[[SuiteRun], None]


def data_docs_dir(settings: Settings) -> Path:
    return settings.state_path / "dq" / "data_docs"


def new_context(docs: Path) -> Any:
    """An ephemeral Great Expectations context whose data docs site is ``docs``."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # never phone home
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _load(spark: SparkSession, settings: Settings, names: Iterable[str]) -> dict[str, Any]:
    from delta.tables import DeltaTable

    frames = {}
    for name in names:
        location = settings.table_location(TABLES[name].relative_path)
        if DeltaTable.isDeltaTable(spark, location):
            frames[name] = spark.read.format("delta").load(location)
    return frames


def validate(context: Any, suite: Suite, frames: Frames, day: date) -> list[Outcome]:
    """The outcome of each of the suite's checks on its frame of ``day``."""
    import great_expectations as gx

    frame = suite.frame(frames, day).persist()
    try:
        # The frame is persisted here, for the suite only (GX would keep it cached).
        source = context.data_sources.add_or_update_spark(
            name=f"beacon-{suite.name}", persist=False
        )
        asset = source.add_dataframe_asset(name=suite.name)
        batch = asset.add_batch_definition_whole_dataframe(f"{suite.name} {day}")
        expectations = context.suites.add_or_update(expectation_suite(suite))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{suite.name} {day}", data=batch, suite=expectations)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"beacon-dq {suite.name}",
                validation_definitions=[definition],
                result_format=RESULT_FORMAT,
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
    finally:
        frame.unpersist()
    (validation,) = result.run_results.values()
    return outcomes(suite, validation)


def run_suites(
    spark: SparkSession,
    settings: Settings,
    day: date,
    suites: Sequence[Suite],
    progress: Progress | None = None,
    run_id: str | None = None,
) -> DqRun:
    """Validate each suite's frame of ``day``, record every expectation's outcome in
    ops.dq_results and build the data docs of the run."""
    run = DqRun(run_id or str(uuid.uuid4()), day, [])
    docs = data_docs_dir(settings)
    shutil.rmtree(docs, ignore_errors=True)  # the docs are the latest run's
    docs.mkdir(parents=True)
    context = new_context(docs)
    create_delta_tables(spark, settings, (OPS_DQ_RESULTS,), lambda _: None)
    frames = _load(spark, settings, {name for suite in suites for name in suite.tables})
    for suite in suites:
        clock, started = time.perf_counter(), datetime.now(UTC)
        missing = [name for name in suite.tables if name not in frames]
        if missing and suite.presence is None:
            raise MissingSource(
                f"{', '.join(missing)} does not exist; run `beacon tables init` "
                "(and the nightly jobs) first"
            )
        if missing:
            suite_run = SuiteRun(suite.name, 0.0, skipped=f"{', '.join(missing)} does not exist")
        elif suite.presence is not None and suite.presence(frames, day).isEmpty():
            suite_run = SuiteRun(suite.name, 0.0, skipped=suite.skipped_because)
        else:
            found = validate(context, suite, frames, day)
            suite_run = SuiteRun(suite.name, time.perf_counter() - clock, found)
            record(spark, settings, run.run_id, day, found, started)
        run.suites.append(suite_run)
        if progress is not None:
            progress(suite_run)
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    run.data_docs = docs / "index.html"
    return run


def record(
    spark: SparkSession,
    settings: Settings,
    run_id: str,
    day: date,
    found: Sequence[Outcome],
    run_at: datetime,
) -> None:
    if not found:
        return
    rows = [
        (
            run_id,
            day,
            o.suite,
            o.check,
            o.kind,
            o.severity.value,
            o.success,
            o.observed_json,
            run_at,
        )
        for o in found
    ]
    location = settings.table_location(OPS_DQ_RESULTS.relative_path)
    frame = spark.createDataFrame(rows, OPS_DQ_RESULTS.spark_schema())
    frame.write.format("delta").mode("append").save(location)
