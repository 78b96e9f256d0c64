"""The batch tables' one definition: every one created by `beacon tables init`, in its schema.
(The Delta tables the nightly run creates are checked against it in the integration tier.)"""

from __future__ import annotations

from lakehouse.tables import ALL_TABLES, SCHEMAS
from lakehouse.tables.batch import BATCH_TABLES


def test_every_batch_table_is_created_by_tables_init() -> None:
    assert set(BATCH_TABLES) <= set(ALL_TABLES)
    assert all(table.schema == "batch" for table in BATCH_TABLES)
    assert "batch" in SCHEMAS


def test_every_batch_table_has_a_trino_ddl_of_its_location() -> None:
    for table in BATCH_TABLES:
        ddl = table.trino_ddl("delta", "file:///lake/" + table.relative_path)
        assert ddl.startswith("CREATE TABLE IF NOT EXISTS"), table.qualified_name
        assert "file:///lake/" + table.relative_path in ddl, table.qualified_name
        assert all(f"\n  {name} " in ddl for name in table.column_names), table.qualified_name
