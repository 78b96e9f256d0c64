"""The pieces of a Superset bundle as beacon defines them, each rendered to the YAML that
Superset's import reads: datasets on Trino tables, charts with the form data the UI draws
from and the query context the chart-data API runs, dashboards with native filters.

UUIDs are derived from each piece's key (uuid5), so they are stable without being listed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from lakehouse.columns import Column, ColumnType

NAMESPACE = uuid.UUID("4d1f6a0e-9b3c-5e7a-8c2d-bea7c0000000")
"""Of every UUID of the bundle: changing it would make every piece a new one."""
VERSION = "1.0.0"


def stable_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))


@dataclass(frozen=True)
class Metric:
    """A saved metric of a dataset: its name is what charts ask for."""

    name: str
    expression: str
    label: str
    d3format: str | None = None

    def yaml(self) -> dict[str, Any]:
        return {
            "metric_name": self.name,
            "verbose_name": self.label,
            "metric_type": None,
            "expression": self.expression,
            "description": None,
            "d3format": self.d3format,
            "currency": None,
            "extra": {},
            "warning_text": None,
        }


@dataclass(frozen=True)
class Dataset:
    """A physical dataset: one Trino table or view of the lakehouse."""

    schema: str
    table: str
    columns: tuple[Column, ...]
    time_column: str
    metrics: tuple[Metric, ...]
    description: str
    cache_timeout: int | None = None

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def uuid(self) -> str:
        return stable_uuid("dataset", self.key)

    @property
    def metric_names(self) -> frozenset[str]:
        return frozenset(metric.name for metric in self.metrics)

    def yaml(self, database_uuid: str) -> dict[str, Any]:
        return {
            "table_name": self.table,
            "main_dttm_col": self.time_column,
            "description": self.description,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": self.cache_timeout,
            "catalog": None,
            "schema": self.schema,
            "sql": None,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "always_filter_main_dttm": False,
            "uuid": self.uuid,
            "metrics": [metric.yaml() for metric in self.metrics],
            "columns": [self._column(column) for column in self.columns],
            "version": VERSION,
            "database_uuid": database_uuid,
        }

    def _column(self, column: Column) -> dict[str, Any]:
        temporal = column.type in (ColumnType.DATE, ColumnType.TIMESTAMP)
        return {
            "column_name": column.name,
            "verbose_name": None,
            "is_dttm": temporal,
            "is_active": True,
            "type": column.type.trino_sql.upper(),
            "advanced_data_type": None,
            "groupby": column.type is not ColumnType.BINARY,
            "filterable": column.type is not ColumnType.BINARY,
            "expression": None,
            "description": column.comment or None,
            "python_date_format": None,
            "extra": {},
        }


@dataclass(frozen=True)
class Filter:
    """A fixed condition of a chart: ``column op value`` (``==``, ``IN``, ...)."""

    column: str
    op: str
    value: Any

    def adhoc(self) -> dict[str, Any]:
        return {
            "clause": "WHERE",
            "expressionType": "SIMPLE",
            "subject": self.column,
            "operator": self.op,
            "comparator": self.value,
        }

    def query(self) -> dict[str, Any]:
        return {"col": self.column, "op": self.op, "val": self.value}


NO_TIME_FILTER = "No filter"


@dataclass(frozen=True)
class Chart:
    """A chart of one dataset. ``kind`` is one of :data:`KINDS`: a big number over the
    time range, a time series (per ``time_grain``, with the previous period beside it when
    ``compare_previous``) or a top-N table of ``group_by``."""

    key: str
    name: str
    kind: str
    dataset: Dataset
    metrics: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    time_range: str = NO_TIME_FILTER
    time_grain: str = "P1D"
    group_by: str | None = None
    row_limit: int = 10
    compare_previous: bool = False
    cache_timeout: int | None = None
    number_format: str = "SMART_NUMBER"
    description: str | None = None
    width: int = 4
    height: int = 50

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"chart {self.key}: unknown kind {self.kind!r}")
        unknown = set(self.metrics) - self.dataset.metric_names
        if unknown:
            raise ValueError(f"chart {self.key}: {self.dataset.key} has no metric {unknown}")
        if (self.kind == "table") != (self.group_by is not None):
            raise ValueError(f"chart {self.key}: a table, and only a table, has group_by")

    @property
    def uuid(self) -> str:
        return stable_uuid("chart", self.key)

    @property
    def viz_type(self) -> str:
        return KINDS[self.kind]

    def _filters(self) -> list[Filter]:
        time = Filter(self.dataset.time_column, "TEMPORAL_RANGE", self.time_range)
        return [*self.filters, time]

    def form_data(self) -> dict[str, Any]:
        """The chart's params: what the UI's controls hold."""
        common: dict[str, Any] = {
            "viz_type": self.viz_type,
            "adhoc_filters": [f.adhoc() for f in self._filters()],
            "time_range": self.time_range,
            "extra_form_data": {},
            "dashboards": [],
        }
        if self.kind == "big_number":
            return {
                **common,
                "metric": self.metrics[0],
                "header_font_size": 0.4,
                "subheader_font_size": 0.15,
                "y_axis_format": self.number_format,
            }
        if self.kind == "time_series":
            return {
                **common,
                "x_axis": self.dataset.time_column,
                "time_grain_sqla": self.time_grain,
                "metrics": list(self.metrics),
                "groupby": [],
                "row_limit": 10_000,
                "time_compare": ["inherit"] if self.compare_previous else [],
                "comparison_type": "values",
                "show_legend": True,
                "rich_tooltip": True,
                "y_axis_format": self.number_format,
                "x_axis_time_format": "smart_date",
                "truncateXAxis": True,
            }
        return {
            **common,
            "query_mode": "aggregate",
            "groupby": [self.group_by],
            "metrics": list(self.metrics),
            "all_columns": [],
            "percent_metrics": [],
            "order_desc": True,
            "row_limit": self.row_limit,
            "server_page_length": 10,
            "table_timestamp_format": "smart_date",
        }

    def query_context(self) -> dict[str, Any]:
        """What the chart-data API runs for the chart (the UI's buildQuery of form_data)."""
        query: dict[str, Any] = {
            "filters": [f.query() for f in self._filters()],
            "extras": {"having": "", "where": ""},
            "applied_time_extras": {},
            "time_range": self.time_range,
            "metrics": list(self.metrics),
            "annotation_layers": [],
            "series_limit": 0,
            "order_desc": True,
            "url_params": {},
            "custom_params": {},
            "custom_form_data": {},
        }
        if self.kind == "big_number":
            query.update(columns=[], orderby=[], row_limit=1, post_processing=[])
        elif self.kind == "time_series":
            axis = self.dataset.time_column
            offsets = ["inherit"] if self.compare_previous else []
            aggregates = {
                f"{metric}{suffix}": {"operator": "mean"}
                for metric in self.metrics
                for suffix in ("", *(f"__{offset}" for offset in offsets))
            }
            query.update(
                columns=[
                    {
                        "timeGrain": self.time_grain,
                        "columnType": "BASE_AXIS",
                        "sqlExpression": axis,
                        "label": axis,
                        "expressionType": "SQL",
                    }
                ],
                orderby=[[self.metrics[0], False]],
                row_limit=10_000,
                time_offsets=offsets,
                post_processing=[
                    {
                        "operation": "pivot",
                        "options": {
                            "index": [axis],
                            "columns": [],
                            "aggregates": aggregates,
                            "drop_missing_columns": False,
                        },
                    },
                    {"operation": "flatten"},
                ],
            )
        else:
            query.update(
                columns=[self.group_by],
                orderby=[[self.metrics[0], False]],
                row_limit=self.row_limit,
                post_processing=[],
            )
        return {
            "datasource": {"id": 0, "type": "table"},
            "force": False,
            "queries": [query],
            "form_data": self.form_data(),
            "result_format": "json",
            "result_type": "full",
        }

    def yaml(self) -> dict[str, Any]:
        return {
            "slice_name": self.name,
            "description": self.description,
            "certified_by": None,
            "certification_details": None,
            "viz_type": self.viz_type,
            "params": self.form_data(),
            "query_context": json.dumps(self.query_context(), sort_keys=True),
            "cache_timeout": self.cache_timeout,
            "uuid": self.uuid,
            "version": VERSION,
            "dataset_uuid": self.dataset.uuid,
        }


KINDS = {
    "big_number": "big_number_total",
    "time_series": "echarts_timeseries_line",
    "table": "table",
}
"""beacon's chart kinds and the Superset visualisation each is."""


@dataclass(frozen=True)
class Row:
    """A row of a dashboard's grid: charts side by side (widths add up to 12 at most)."""

    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    rows: tuple[Row, ...]
    filter_dataset: Dataset
    """The dataset the site filter lists its values from."""
    refresh_s: int = 0
    description: str = ""
    charts: tuple[Chart, ...] = field(init=False)

    def __post_init__(self) -> None:
        charts = tuple(chart for row in self.rows for chart in row.charts)
        object.__setattr__(self, "charts", charts)
        for row in self.rows:
            if sum(chart.width for chart in row.charts) > 12:
                raise ValueError(f"dashboard {self.key}: a row wider than 12")

    @property
    def uuid(self) -> str:
        return stable_uuid("dashboard", self.key)

    @property
    def slug(self) -> str:
        return self.key

    def native_filters(self) -> list[dict[str, Any]]:
        everywhere = {"rootPath": ["ROOT_ID"], "excluded": []}
        empty_mask: dict[str, Any] = {"extraFormData": {}, "filterState": {}, "ownState": {}}
        return [
            {
                "id": f"NATIVE_FILTER-{self.key}-site",
                "name": "Site",
                "filterType": "filter_select",
                "type": "NATIVE_FILTER",
                "targets": [
                    {"column": {"name": "site_id"}, "datasetUuid": self.filter_dataset.uuid}
                ],
                "controlValues": {
                    "enableEmptyFilter": False,
                    "defaultToFirstItem": False,
                    "multiSelect": True,
                    "searchAllOptions": False,
                    "inverseSelection": False,
                },
                "defaultDataMask": empty_mask,
                "cascadeParentIds": [],
                "scope": everywhere,
                "description": "the sites to show (all when empty)",
            },
            {
                "id": f"NATIVE_FILTER-{self.key}-date-range",
                "name": "Date range",
                "filterType": "filter_time",
                "type": "NATIVE_FILTER",
                "targets": [{}],
                "controlValues": {"enableEmptyFilter": False},
                "defaultDataMask": empty_mask,
                "cascadeParentIds": [],
                "scope": everywhere,
                "description": "the charts' own ranges when empty",
            },
        ]

    def position(self) -> dict[str, Any]:
        grid, header = "GRID_ID", "HEADER_ID"
        layout: dict[str, Any] = {
            "DASHBOARD_VERSION_KEY": "v2",
            "ROOT_ID": {"id": "ROOT_ID", "type": "ROOT", "children": [grid]},
            grid: {"id": grid, "type": "GRID", "children": [], "parents": ["ROOT_ID"]},
            header: {"id": header, "type": "HEADER", "meta": {"text": self.title}},
        }
        number = 0
        for n, row in enumerate(self.rows, 1):
            row_id = f"ROW-{n}"
            layout[grid]["children"].append(row_id)
            layout[row_id] = {
                "id": row_id,
                "type": "ROW",
                "children": [],
                "parents": ["ROOT_ID", grid],
                "meta": {"background": "BACKGROUND_TRANSPARENT"},
            }
            for chart in row.charts:
                number += 1
                chart_id = f"CHART-{chart.key.replace('/', '-')}"
                layout[row_id]["children"].append(chart_id)
                layout[chart_id] = {
                    "id": chart_id,
                    "type": "CHART",
                    "children": [],
                    "parents": ["ROOT_ID", grid, row_id],
                    "meta": {
                        "chartId": number,
                        "uuid": chart.uuid,
                        "sliceName": chart.name,
                        "width": chart.width,
                        "height": chart.height,
                    },
                }
        return layout

    def yaml(self) -> dict[str, Any]:
        return {
            "dashboard_title": self.title,
            "description": self.description or None,
            "css": "",
            "slug": self.slug,
            "certified_by": None,
            "certification_details": None,
            "published": True,
            "uuid": self.uuid,
            "position": self.position(),
            "metadata": {
                "native_filter_configuration": self.native_filters(),
                "refresh_frequency": self.refresh_s,
                "timed_refresh_immune_slices": [],
                "expanded_slices": {},
                "color_scheme": "supersetColors",
                "label_colors": {},
                "cross_filters_enabled": False,
                "chart_configuration": {},
                "global_chart_configuration": {
                    "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                    "chartsInScope": [],
                },
            },
            "version": VERSION,
        }
