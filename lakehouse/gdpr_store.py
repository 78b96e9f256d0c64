"""Where the API and the CLI keep erasure requests and read a subject's events, without a
Spark session: a new request is one append to ops.gdpr_requests through delta-rs (the
``deltalake`` package: a Delta commit in milliseconds, atomic on a local disk, where Trino
refuses to write to a local file system at all); reads go through Trino, with request input
bound as parameters, never as text. The erasure job updates the requests with Spark."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from lakehouse.delta_rs import delta_rs_uri
from lakehouse.erasure import ErasureRequest, Subject, SubjectKind
from lakehouse.schema import ALIAS_EVENT, ALIAS_PREVIOUS_ID
from lakehouse.settings import Settings
from lakehouse.sql_text import sql_string, trino_name
from lakehouse.tables.ops import OPS_GDPR_REQUESTS
from lakehouse.tables.raw import RAW_EVENTS
from lakehouse.trino_sql import query_with_names


class StoreUnavailable(Exception):
    """Trino did not answer or refused the statement; the message says which."""


@contextmanager
def _through_trino(settings: Settings) -> Iterator[None]:
    import trino.exceptions

    try:
        yield
    except trino.exceptions.TrinoQueryError as error:
        raise StoreUnavailable(f"Trino at {settings.trino_url}: {error.message}") from None
    except (OSError, trino.exceptions.Error, trino.exceptions.HttpError):
        raise StoreUnavailable(f"Trino does not answer at {settings.trino_url}") from None


class GdprStore(Protocol):
    def record(self, request: ErasureRequest) -> None: ...

    def find(self, request_id: str) -> ErasureRequest | None: ...

    def subject_events(self, subject: Subject) -> Iterator[dict[str, Any]]: ...


def linked_ids_sql(events: str) -> str:
    """The ids the identity rule links to a user (``?`` = site, user): the visitor ids and
    anonymous ids of its events, the ids its alias calls name, and the user id itself."""
    previous_id = f"element_at(properties, {sql_string(ALIAS_PREVIOUS_ID)})"
    return (
        f"SELECT visitor_id AS id FROM {events} WHERE site_id = ? AND user_id = ? "
        f"UNION SELECT anonymous_id FROM {events} WHERE site_id = ? AND user_id = ? "
        "AND anonymous_id IS NOT NULL "
        f"UNION SELECT {previous_id} FROM {events} WHERE site_id = ? AND user_id = ? "
        f"AND type = 'identify' AND name = {sql_string(ALIAS_EVENT)} "
        f"AND {previous_id} IS NOT NULL "
        "UNION SELECT ?"
    )


def subject_events_query(events: str, subject: Subject) -> tuple[str, list[str]]:
    """SELECT of a subject's events in time order, and the parameters it binds."""
    columns = ", ".join(RAW_EVENTS.column_names)
    site, identifier = subject.site, subject.identifier
    if subject.kind is SubjectKind.USER_ID:
        linked = linked_ids_sql(events)
        linked_parameters = [site, identifier, site, identifier, site, identifier, identifier]
        where = f"user_id = ? OR visitor_id IN ({linked}) OR anonymous_id IN ({linked})"
        parameters = [site, identifier, *linked_parameters, *linked_parameters]
    else:
        where = "visitor_id = ? OR anonymous_id = ?"
        parameters = [site, identifier, identifier]
    sql = (
        f"SELECT {columns} FROM {events} WHERE site_id = ? AND ({where}) "
        "ORDER BY client_ts, event_id"
    )
    return sql, parameters


class LakehouseGdprStore:
    """Requests appended by delta-rs, read with raw.events through the running Trino."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.requests_location = settings.table_location(OPS_GDPR_REQUESTS.relative_path)
        catalog = settings.trino.catalog
        self.requests = trino_name(catalog, OPS_GDPR_REQUESTS.schema, OPS_GDPR_REQUESTS.name)
        self.events = trino_name(catalog, RAW_EVENTS.schema, RAW_EVENTS.name)

    def record(self, request: ErasureRequest) -> None:
        """Append the request: a blind append, which commits beside any other writer."""
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake
        from deltalake.exceptions import DeltaError, TableNotFoundError

        try:
            table = DeltaTable(delta_rs_uri(self.requests_location))
            schema = pa.schema(table.schema().to_arrow())
            row = dict(zip(OPS_GDPR_REQUESTS.column_names, request.row(), strict=True))
            write_deltalake(table, pa.Table.from_pylist([row], schema=schema), mode="append")
        except TableNotFoundError:
            raise StoreUnavailable(
                f"{OPS_GDPR_REQUESTS.qualified_name} does not exist at {self.requests_location}; "
                "create it with `beacon tables init`"
            ) from None
        except (DeltaError, OSError) as error:
            raise StoreUnavailable(f"cannot append to {self.requests_location}: {error}") from None

    def find(self, request_id: str) -> ErasureRequest | None:
        columns = ", ".join(OPS_GDPR_REQUESTS.column_names)
        with _through_trino(self.settings):
            names, rows = query_with_names(
                self.settings,
                f"SELECT {columns} FROM {self.requests} WHERE request_id = ?",
                [request_id],
            )
        if not rows:
            return None
        return ErasureRequest.from_row(dict(zip(names, rows[0], strict=True)))

    def subject_events(self, subject: Subject) -> Iterator[dict[str, Any]]:
        sql, parameters = subject_events_query(self.events, subject)
        with _through_trino(self.settings):
            names, rows = query_with_names(self.settings, sql, parameters)
        for row in rows:
            yield dict(zip(names, row, strict=True))


def json_line(event: dict[str, Any]) -> bytes:
    """One event of an export: a JSON object on one line (times in ISO 8601)."""
    import orjson

    return orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS) + b"\n"
