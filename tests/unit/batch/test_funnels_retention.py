"""A funnel and a retention table on small fixtures, against numbers counted by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from lakehouse.settings import SiteSettings
from lakehouse.sites import Funnel, FunnelStep, Goal, SiteAnalytics
from spark_jobs.transforms.funnels import funnels
from spark_jobs.transforms.retention import retention
from tests.support.batch_rows import at, batch_frames, raw_event

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DAY = date(2026, 3, 10)
SHOP = SiteSettings(
    site_id="s",
    analytics=SiteAnalytics(
        goals=(Goal(name="buy", event="purchase"),),
        funnels=(
            Funnel(
                name="checkout",
                steps=(
                    FunnelStep(path="/p/*", label="product"),
                    FunnelStep(path="/cart", label="cart"),
                    FunnelStep(goal="buy", label="purchase"),
                ),
                window_minutes=30,
            ),
        ),
    ),
)


def view(visitor: str, clock: str, path: str) -> dict[str, Any]:
    return raw_event(visitor_id=visitor, client_ts=at(f"2026-03-10 {clock}"), path=path)


def purchase(visitor: str, clock: str) -> dict[str, Any]:
    return raw_event(
        visitor_id=visitor, client_ts=at(f"2026-03-10 {clock}"), type="track", name="purchase"
    )


FUNNEL_ROWS = [
    # all three steps in order, inside the window
    view("v1", "10:00:00", "/p/a"),
    view("v1", "10:05:00", "/cart"),
    purchase("v1", "10:10:00"),
    # product, then cart
    view("v2", "10:00:00", "/p/b"),
    view("v2", "10:05:00", "/cart"),
    # the cart before the product: only step 1
    view("v3", "10:00:00", "/cart"),
    view("v3", "10:05:00", "/p/a"),
    # the purchase 40 minutes after step 1: past the 30-minute window, in the same session
    view("v4", "10:00:00", "/p/a"),
    view("v4", "10:20:00", "/cart"),
    purchase("v4", "10:40:00"),
    # the cart in a later session: only step 1
    view("v5", "10:00:00", "/p/a"),
    view("v5", "11:00:00", "/cart"),
    # never in the funnel
    view("v6", "10:00:00", "/"),
    # /p/a/reviews is not /p/*: a * stays within one path segment
    view("v7", "10:00:00", "/p/a/reviews"),
]


def test_funnel_steps_match_the_hand_count(spark: SparkSession) -> None:
    _, tagged, _ = batch_frames(spark, FUNNEL_ROWS, [SHOP], DAY, DAY)
    frame = funnels(tagged, [SHOP])
    assert frame is not None
    rows = [
        r.asDict() for r in frame.where("event_date = DATE'2026-03-10'").orderBy("step").collect()
    ]
    assert [(r["step"], r["step_name"], r["visitors"], r["drop_off"]) for r in rows] == [
        (1, "product", 5, 0),
        (2, "cart", 3, 2),
        (3, "purchase", 1, 2),
    ]
    assert [r["conversion_rate"] for r in rows] == pytest.approx([1.0, 0.6, 0.2])
    assert rows[0]["step_conversion_rate"] is None
    assert [r["step_conversion_rate"] for r in rows[1:]] == pytest.approx([0.6, 1 / 3])


def test_retention_matches_the_hand_count(spark: SparkSession) -> None:
    def session(person: str, day: int, persistent: bool = True) -> tuple[Any, ...]:
        return ("s", person, persistent, datetime(2026, 3, day, 12))

    sessions = spark.createDataFrame(
        [
            session("a", 3),  # cohort of Monday 2 March: weeks 0, 1 and 3
            session("a", 10),
            session("a", 24),
            session("b", 4),  # same cohort: week 0 only
            session("c", 11),  # cohort of 9 March: weeks 0 and 1
            session("c", 17),
            session("d", 3, persistent=False),  # a cookieless hash: in no cohort
        ],
        "site_id string, person_id string, persistent_id boolean, session_start timestamp",
    )
    rows = retention(sessions).orderBy("cohort_week", "week").collect()
    got = [(r["cohort_week"], r["week"], r["cohort_visitors"], r["active_visitors"]) for r in rows]
    march2, march9 = date(2026, 3, 2), date(2026, 3, 9)
    assert got == [
        (march2, 0, 2, 2),
        (march2, 1, 2, 1),
        (march2, 2, 2, 0),
        (march2, 3, 2, 1),
        (march9, 0, 1, 1),
        (march9, 1, 1, 1),
        (march9, 2, 1, 0),
    ]
    assert [r["retention_rate"] for r in rows] == pytest.approx([1, 0.5, 0, 0.5, 1, 1, 0])
