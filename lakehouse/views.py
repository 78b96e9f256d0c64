"""Trino views of the serving layer: their type and the pieces their queries share."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.columns import Table
from lakehouse.sql_text import sql_string, trino_identifier, trino_name


@dataclass(frozen=True)
class View:
    """A Trino view; ``query`` names tables as ``{catalog}.<schema>.<table>``."""

    schema: str
    name: str
    query: str
    comment: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def trino_ddl(self, catalog: str) -> str:
        comment = f" COMMENT {sql_string(self.comment)}" if self.comment else ""
        name = trino_name(catalog, self.schema, self.name)
        return f"CREATE OR REPLACE VIEW {name}{comment} AS\n" + self.query.format(
            catalog=trino_identifier(catalog)
        )


def select_from(table: Table, exclude: tuple[str, ...] = ()) -> str:
    """``SELECT <the table's columns but exclude> FROM`` the table, for a view's query."""
    columns = ", ".join(c for c in table.column_names if c not in exclude)
    return f"SELECT {columns} FROM " + in_catalog(table)


def in_catalog(table: Table) -> str:
    """The table's name in a view's query: ``{catalog}.<schema>.<table>``."""
    return "{catalog}." + trino_name(table.schema, table.name)


UTC_TODAY = "CAST(current_timestamp AT TIME ZONE 'UTC' AS date)"
