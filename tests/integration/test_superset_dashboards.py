"""The dashboards of superset/ in a real Superset over the real Trino, on simulator traffic:
two closed days through the nightly batch run, today through the live writer and the
active visitors' refresh. Every chart of every dashboard returns data through the chart-data
API, and the Overview's figures equal the same figures asked of Trino directly and the
simulator's ground truth of the closed days.

The lake is shared with the other integration tests (some write traffic of today), so the
traffic here is on sites of its own: the demo sites' traffic, renamed, with their goals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lakehouse.provision import create_delta_tables, create_views, register_in_trino
from lakehouse.settings import DEMO_SITES, Settings
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.raw import RAW_EVENTS
from lakehouse.tables.serving import SERVING_DAILY_METRICS_COLUMNS, SERVING_VIEWS
from lakehouse.trino_sql import query
from spark_jobs.nightly import run_nightly
from stack.lifecycle import start_service
from stack.superset_bundle.dashboards import DASHBOARDS, LAST_28_DAYS, OVERVIEW_FIGURES
from stack.superset_env import admin_password, superset_url
from stack.superset_service import SUPERSET
from stack.supervisor import Supervisor
from streaming.active_visitors import ActiveVisitors
from streaming.live_writer import LiveWriter
from streaming.recent_sketches import RecentSketches
from tests.support.batch_rows import raw_frame
from traffic.model import generate
from traffic.raw_rows import Arrival, raw_rows
from traffic.truth import ground_truth

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SITES = {site.site_id: f"dash-{site.site_id}" for site in DEMO_SITES}
"""The demo sites' traffic goes to these sites."""
ON_TIME = Arrival(repeated_share=0, late_share=0)
"""Every event once and on time: the live layer counts what the batch layer counts."""


def renamed(rows: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "site_id": SITES[row["site_id"]]} for row in rows]


def dashboard_settings(settings: Settings) -> Settings:
    """The test run's settings with the renamed sites (their goals) beside the demo ones."""
    copies = tuple(
        site.model_copy(update={"site_id": SITES[site.site_id], "domains": (), "aliases": ()})
        for site in DEMO_SITES
    )
    collector = settings.collector.model_copy(update={"sites": (*DEMO_SITES, *copies)})
    return settings.model_copy(update={"collector": collector})


def write_live(spark: SparkSession, settings: Settings, rows: list[dict[str, Any]]) -> None:
    """The live rows and the active visitors, as the streaming job writes them."""
    recent = RecentSketches()
    writer = LiveWriter(settings, recent)
    writer.write(spark, writer.partial_rows(raw_frame(spark, rows)), written=set())
    ActiveVisitors(settings, spark, recent, threading.Event()).refresh(datetime.now(UTC))


@pytest.fixture(scope="module")
def lake(spark: SparkSession, trino: Settings) -> dict[str, Any]:
    """Traffic from midnight two days ago to now, plus a busier last 45 minutes; the two
    closed days through the nightly run."""
    settings = dashboard_settings(trino)
    create_delta_tables(spark, settings, ALL_TABLES, lambda _: None)
    register_in_trino(settings, ALL_TABLES, lambda _: None)
    create_views(settings, SERVING_VIEWS, lambda _: None)
    now = datetime.now(UTC)
    today = now.date()
    start = datetime.combine(today - timedelta(days=2), datetime.min.time(), UTC)
    traffic = generate(240, 17, now, now - start)
    rows = renamed(raw_rows(traffic, ON_TIME))
    recent_rows = renamed(raw_rows(generate(40, 18, now, timedelta(minutes=45)), ON_TIME))
    raw_frame(spark, rows).write.format("delta").mode("append").save(
        settings.table_location(RAW_EVENTS.relative_path)
    )
    write_live(spark, settings, rows + recent_rows)
    run_nightly(spark, settings, today - timedelta(days=1), lookback_days=1)
    truth = ground_truth(traffic, settings.collector.sites)
    return {
        "settings": settings,
        "today": today,
        "closed": [today - timedelta(days=2), today - timedelta(days=1)],
        "truth": {SITES[site]: value for site, value in truth["sites"].items()},
    }


class Superset:
    """A signed-in client of the test run's Superset."""

    def __init__(self, settings: Settings) -> None:
        self.client = httpx.Client(base_url=superset_url(settings), timeout=60)
        login = self.client.post(
            "/api/v1/security/login",
            json={
                "username": settings.superset.admin_user,
                "password": admin_password(settings),
                "provider": "db",
                "refresh": False,
            },
        )
        login.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    def charts_of(self, slug: str) -> dict[str, dict[str, Any]]:
        """The dashboard's charts by name."""
        return {c["slice_name"]: c for c in self.get(f"/api/v1/dashboard/{slug}/charts")["result"]}

    def saved_data(self, chart_id: int) -> dict[str, Any]:
        """The chart's data as its saved query context asks for it."""
        result: dict[str, Any] = self.get(f"/api/v1/chart/{chart_id}/data/")["result"][0]
        return result

    def data_for_sites(self, chart_id: int, sites: list[str]) -> dict[str, Any]:
        """The chart's data with the site filter set (as the dashboard's native filter
        adds it to each chart's query)."""
        import json

        chart = self.get(f"/api/v1/chart/{chart_id}")["result"]
        context = json.loads(chart["query_context"])
        for query_object in context["queries"]:
            query_object["filters"].append({"col": "site_id", "op": "IN", "val": sites})
        response = self.client.post("/api/v1/chart/data", json=context)
        assert response.status_code == 200, response.text[:500]
        result: dict[str, Any] = response.json()["result"][0]
        return result


@pytest.fixture(scope="module")
def superset(lake: dict[str, Any], supervisor: Supervisor) -> Iterator[Superset]:
    settings = lake["settings"]
    start_service(SUPERSET, settings, supervisor)
    yield Superset(settings)
    supervisor.stop(SUPERSET.name)


def test_the_datasets_list_the_serving_views_columns(lake: dict[str, Any]) -> None:
    settings = lake["settings"]
    rows = query(settings, f"DESCRIBE {settings.trino.catalog}.serving.daily_metrics")
    assert [row[0] for row in rows] == [c.name for c in SERVING_DAILY_METRICS_COLUMNS]


def test_every_chart_of_every_dashboard_returns_data(superset: Superset) -> None:
    for dashboard in DASHBOARDS:
        charts = superset.charts_of(dashboard.slug)
        assert sorted(charts) == sorted(chart.name for chart in dashboard.charts)
        for name, chart in charts.items():
            result = superset.saved_data(chart["id"])
            assert result["status"] == "success", (dashboard.key, name, result.get("error"))
            assert result["error"] is None, (dashboard.key, name)
            assert result["rowcount"] > 0, (dashboard.key, name, result["query"])
            values = [v for row in result["data"] for k, v in row.items() if k != "value"]
            assert any(v not in (None, 0) for v in values), (dashboard.key, name, result["data"])


def test_a_chart_asked_twice_is_served_from_the_cache(superset: Superset) -> None:
    chart = superset.charts_of("overview")["Sessions"]
    superset.saved_data(chart["id"])
    assert superset.saved_data(chart["id"])["is_cached"] is True


TRINO_FIGURES = {
    "visitors": "sum(visitors)",
    "sessions": "sum(sessions)",
    "pageviews": "sum(pageviews)",
    "engagement_rate": "sum(engaged_sessions) * 1e0 / sum(sessions)",
    "bounce_rate": "sum(bounces) * 1e0 / sum(sessions)",
    "avg_session_duration_s": "sum(avg_session_duration_s * sessions) / sum(sessions)",
    "conversion_rate": "sum(conversions) * 1e0 / sum(sessions)",
    "conversions": "sum(conversions)",
}
"""Each Overview figure as a query of Trino would ask it, written here apart from the
datasets' metrics."""
TRUTH_FIGURES = {
    "sessions": lambda t: t["sessions"],
    "conversions": lambda t: t["conversions"],
    "engagement_rate": lambda t: t["engaged_sessions"] / t["sessions"],
    "bounce_rate": lambda t: t["bounces"] / t["sessions"],
    "conversion_rate": lambda t: t["conversions"] / t["sessions"],
}
"""The figures the simulator's truth gives for closed days (the session metrics are
batch-only: today adds nothing to them)."""


def trino_figures(settings: Settings, first: date, last: date) -> dict[str, Any]:
    sites = ", ".join(f"'{site}'" for site in SITES.values())
    selected = ", ".join(f"{sql} AS {name}" for name, sql in TRINO_FIGURES.items())
    (row,) = query(
        settings,
        f"SELECT {selected} FROM {settings.trino.catalog}.serving.daily_metrics"
        f" WHERE dimension = 'all' AND site_id IN ({sites})"
        f" AND event_date BETWEEN DATE '{first}' AND DATE '{last}'",
    )
    return dict(zip(TRINO_FIGURES, row, strict=True))


def test_the_overview_figures_equal_trino_and_the_ground_truth(
    superset: Superset, lake: dict[str, Any]
) -> None:
    assert LAST_28_DAYS.startswith('DATEADD(DATETIME("today"), -27, day)')
    today = lake["today"]
    expected = trino_figures(lake["settings"], today - timedelta(days=27), today)
    charts = superset.charts_of("overview")
    truth_days = [
        day_truth
        for site in lake["truth"].values()
        for day, day_truth in site["days"].items()
        if date.fromisoformat(day) in lake["closed"]
    ]
    truth = {
        name: sum(t[name] for t in truth_days)
        for name in ("sessions", "conversions", "engaged_sessions", "bounces")
    }
    assert truth["sessions"] > 100
    for figure in OVERVIEW_FIGURES:
        (metric,) = figure.metrics
        result = superset.data_for_sites(charts[figure.name]["id"], list(SITES.values()))
        assert result["error"] is None, figure.name
        (row,) = result["data"]
        assert row[metric] == pytest.approx(expected[metric]), figure.name
        if metric in TRUTH_FIGURES:
            assert row[metric] == pytest.approx(TRUTH_FIGURES[metric](truth)), figure.name
