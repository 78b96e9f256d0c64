"""The SQL beacon writes quotes every name and value it takes from definitions and settings."""

from __future__ import annotations

from lakehouse.sql_text import spark_path_identifier, sql_string, trino_name
from lakehouse.tables.raw import RAW_EVENTS
from lakehouse.tables.serving import SERVING_LIVE_VIEWS


def test_a_quote_in_a_name_or_value_stays_inside_its_quotes() -> None:
    assert sql_string("it's") == "'it''s'"
    assert trino_name('del"ta', "raw") == '"del""ta"."raw"'
    assert spark_path_identifier("/lake/od`d") == "delta.`/lake/od``d`"


def test_table_and_view_ddl_name_the_catalog_quoted() -> None:
    ddl = RAW_EVENTS.trino_ddl('my"catalog', "local:///raw/events")
    assert ddl.startswith('CREATE TABLE IF NOT EXISTS "my""catalog"."raw"."events" (')
    by_name = {view.name: view for view in SERVING_LIVE_VIEWS}
    view = by_name["bad_rows_by_reason"].trino_ddl("delta")
    assert view.startswith('CREATE OR REPLACE VIEW "delta"."serving"."bad_rows_by_reason"')
    assert 'FROM "delta"."raw"."events_bad" GROUP BY' in view


def test_the_live_daily_view_has_the_columns_the_batch_layer_reads() -> None:
    by_name = {view.name: view for view in SERVING_LIVE_VIEWS}
    view = by_name["live_daily_metrics"].trino_ddl("delta")
    select = view.split(" FROM ", 1)[0]
    for column in ("site_id", "event_date", "dimension", "value", "pageviews", "events"):
        assert column in select
    assert "AS visitors" in select
    assert "AS new_sessions" in select
