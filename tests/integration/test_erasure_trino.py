"""The way the API and the CLI reach the requests and a subject's events: Trino, over the same
Delta tables the erasure job writes with Spark. A request recorded through Trino is carried
out by the job and read back done; an export holds exactly the events the job erases (the
identity rule in SQL and in Spark agree), and nothing once they are erased."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lakehouse.erasure import ErasureRequest, RequestStatus, Subject
from lakehouse.gdpr_store import LakehouseGdprStore
from lakehouse.provision import create_delta_tables, register_in_trino
from lakehouse.settings import Settings, settings_env
from lakehouse.state_secrets import gdpr_hash_secret
from lakehouse.tables.ops import OPS_GDPR_AUDIT, OPS_GDPR_REQUESTS
from lakehouse.tables.raw import RAW_EVENTS
from spark_jobs.erasure import run_requests
from spark_jobs.transforms.erasure import SubjectIds, linked_ids, subject_rows
from stack.cli.app import main as beacon
from tests.support.batch_rows import at, raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The run's shared lakehouse: a day no batch test's window reaches, ids of this module only.
SITE = "demo-docs"
DAY = date(2025, 1, 5)
TABLES = (RAW_EVENTS, OPS_GDPR_REQUESTS, OPS_GDPR_AUDIT)


def events() -> list[dict[str, object]]:
    def event(event_id: str, visitor: str, minute: int, **fields: object) -> dict[str, object]:
        moment = at(f"{DAY.isoformat()} 10:{minute:02d}:00")
        return raw_event(
            event_id=event_id, site_id=SITE, visitor_id=visitor, client_ts=moment, **fields
        )

    return [
        event("trino-t1", "trino-anon-t", 1, anonymous_id="trino-anon-t"),
        event("trino-t2", "trino-anon-t", 2, anonymous_id="trino-anon-t", user_id="trino-u-t"),
        event(
            "trino-t3",
            "trino-anon-t",
            3,
            user_id="trino-u-t",
            type="identify",
            name="alias",
            properties={"previous_id": "trino-old-t"},
        ),
        event("trino-t4", "trino-old-t", 0),
        event("trino-o1", "trino-anon-o", 4, anonymous_id="trino-anon-o", user_id="trino-u-o"),
    ]


def logs_naming(log: Path, identifier: str) -> list[str]:
    """The Delta log files holding the identifier (a file's statistics would)."""
    return [f.name for f in sorted(log.glob("*.json")) if identifier.encode() in f.read_bytes()]


@pytest.fixture(scope="module")
def lake(spark: SparkSession, trino: Settings) -> Settings:
    create_delta_tables(spark, trino, TABLES, lambda _: None)
    register_in_trino(trino, TABLES, lambda _: None)
    location = trino.table_location(RAW_EVENTS.relative_path)
    raw_frame(spark, events()).write.format("delta").mode("append").save(location)
    return trino


def test_a_request_through_trino_is_erased_by_the_job_and_read_back_done(
    spark: SparkSession, lake: Settings
) -> None:
    store = LakehouseGdprStore(lake)
    subject = Subject.model_validate({"site": SITE, "user_id": "trino-u-t"})
    exported = [event["event_id"] for event in store.subject_events(subject)]
    raw = spark.read.format("delta").load(lake.table_location(RAW_EVENTS.relative_path))
    ids = SubjectIds(SITE, frozenset(row["id"] for row in linked_ids(raw, subject).collect()))
    erased = sorted(row["event_id"] for row in raw.where(subject_rows(RAW_EVENTS, ids)).collect())
    assert exported == ["trino-t4", "trino-t1", "trino-t2", "trino-t3"]  # in time order
    assert sorted(exported) == erased

    request = ErasureRequest.new(subject, gdpr_hash_secret(lake), "api", datetime.now(UTC))
    store.record(request)
    assert store.find(request.request_id) == request
    log = Path(lake.table_location(OPS_GDPR_REQUESTS.relative_path)) / "_delta_log"
    assert logs_naming(log, "trino-u-t") == []  # no statistics of subject_id
    assert store.find("no-such-request") is None

    (outcome,) = run_requests(spark, lake, request.request_id, lambda _: None)

    assert outcome.erased
    assert logs_naming(log, "trino-u-t") == []
    done = store.find(request.request_id)
    assert done is not None
    assert (done.status, done.subject_id) == (RequestStatus.ERASED, None)
    # The lake is shared with other tests: a batch table they made is erased too, of 0 rows.
    assert done.rows_removed is not None
    assert {table: n for table, n in done.rows_removed.items() if n} == {"raw.events": 4}
    assert done.affected_days == (DAY,)
    assert list(store.subject_events(subject)) == []
    other = Subject.model_validate({"site": SITE, "user_id": "trino-u-o"})
    assert [event["event_id"] for event in store.subject_events(other)] == ["trino-o1"]


def test_the_cli_records_reads_and_exports_through_trino(
    lake: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in settings_env(lake).items():
        monkeypatch.setenv(name, value)
    output = tmp_path / "export.jsonl"

    assert (
        beacon(
            ["gdpr", "export", "--site", SITE, "--user-id", "trino-u-o", "--output", str(output)]
        )
        == 0
    )
    (line,) = output.read_text().splitlines()
    exported = json.loads(line)
    assert (exported["event_id"], exported["user_id"]) == ("trino-o1", "trino-u-o")
    assert exported["client_ts"] == "2025-01-05T10:04:00+00:00"

    assert beacon(["gdpr", "erase", "--site", SITE, "--visitor-id", "trino-anon-o"]) == 0
    recorded = capsys.readouterr().out
    request_id = recorded.split()[1].rstrip(":")
    assert "the request waits for beacon_gdpr's scheduled run (@hourly)" in recorded
    assert beacon(["gdpr", "status", request_id]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["status"], status["subject_kind"]) == ("pending", "visitor_id")
    assert "trino-anon-o" not in json.dumps(status)

    assert beacon(["gdpr", "status", "no-such-request"]) == 2
    assert "no erasure request 'no-such-request'" in capsys.readouterr().err
