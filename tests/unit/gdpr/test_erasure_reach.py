"""What an erasure reaches besides the tables' rows, on real files and settings: the spool
purge rewrites a segment without the subject's records (events by their ids, bad rows by
their text) and keeps everyone else's; the topics' retention and a record's expiry come from
the settings; no table with an identifier keeps Delta statistics of it; the completion's
day runs group consecutive days."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import orjson

from collector.records import Record
from collector.spool import Spool, SpoolFolder, decode_line
from collector.spool_purge import purge_subject
from lakehouse.erasure import IDENTIFIER_COLUMNS
from lakehouse.kafka_topics import record_expiry, topic_configs
from lakehouse.settings import load_settings
from lakehouse.tables import ALL_TABLES
from spark_jobs.erasure_completion import VACUUMED_TABLES, day_runs

STATS = "delta.dataSkippingStatsColumns"
NOT_IN_STATS = IDENTIFIER_COLUMNS | {"session_key", "payload", "detail"}


def event(**fields: object) -> Record:
    value = {"event_id": "e", "type": "page", "site_id": "s", **fields}
    return Record("events.v1", b"s:v", orjson.dumps(value))


def bad(payload: str, site_id: str | None) -> Record:
    value = {"bad_id": "b", "stage": "collector.validate", "payload": payload, "site_id": site_id}
    return Record("events.bad", b"s", orjson.dumps(value))


def test_the_spool_purge_removes_the_subjects_records_only(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    folder = SpoolFolder.claim(root)
    spool = Spool(folder.path, 2**20)
    mine = [
        event(visitor_id="x-device"),
        event(visitor_id="v9", user_id="x-user"),
        event(visitor_id="v8", type="identify", properties={"previous_id": "x-device"}),
        bad('{"user_id":"x-user","type":"nope"}', None),
    ]
    others = [
        event(visitor_id="v7", user_id="y-user"),
        event(visitor_id="x-device", site_id="t"),  # the same id on another site
        bad('{"user_id":"y-user"}', "s"),
    ]
    spool.append(mine[:2] + others[:1])
    spool.oldest()  # as a replay does: the next append starts a second segment
    spool.append(mine[2:] + others[1:])
    assert len(spool.segments()) == 2

    assert purge_subject(root, "s", {"x-user", "x-device"}) == len(mine)

    left = [decode_line(line) for s in spool.segments() for line in s.read_bytes().splitlines()]
    assert left == others
    assert purge_subject(root, "s", {"x-user", "x-device"}) == 0
    assert not list(root.rglob("*.purge"))
    folder.release()


def test_an_empty_or_missing_spool_purges_nothing(tmp_path: Path) -> None:
    assert purge_subject(tmp_path / "none", "s", {"x"}) == 0
    assert purge_subject(tmp_path, "s", set()) == 0


def test_the_topics_retention_and_a_records_expiry_follow_the_settings(tmp_path: Path) -> None:
    settings = load_settings(state_dir=tmp_path)
    assert topic_configs(settings)["retention.ms"] == str(72 * 3600 * 1000)
    assert topic_configs(settings)["segment.ms"] == str(3600 * 1000)
    assert record_expiry(settings) == timedelta(hours=73, minutes=5)
    shorter = load_settings(state_dir=tmp_path, kafka={"retention_hours": 24, "segment_hours": 0.5})
    assert topic_configs(shorter)["retention.ms"] == str(24 * 3600 * 1000)
    assert record_expiry(shorter) == timedelta(hours=24.5, minutes=5)


def test_no_table_keeps_statistics_of_an_identifier() -> None:
    for table in ALL_TABLES:
        held = NOT_IN_STATS & set(table.column_names)
        if not held:
            continue
        properties = dict(table.properties)
        assert STATS in properties, table.qualified_name  # else the first 32 columns
        assert not held & set(properties[STATS].split(",")), table.qualified_name


def test_sites_keep_14_months_unless_told(tmp_path: Path) -> None:
    settings = load_settings(state_dir=tmp_path)
    assert {site.retention_days for site in settings.collector.sites} == {425}


def test_day_runs_group_consecutive_days() -> None:
    d = date(2026, 3, 10)
    days = [d, d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=5), d]
    assert day_runs(days) == [(d + timedelta(days=2), 2), (d + timedelta(days=5), 0)]
    assert day_runs([]) == []


def test_the_vacuum_covers_each_touched_table_once() -> None:
    names = [table.qualified_name for table in VACUUMED_TABLES]
    assert len(names) == len(set(names))
    assert {"raw.events", "raw.events_bad", "batch.sessions", "ops.gdpr_requests"} <= set(names)
