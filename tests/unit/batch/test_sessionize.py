"""Sessions from raw events: the gap, midnight, GA4's engaged rule, dedupe, bots, identity
and where a session came from, each on a few rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from lakehouse.settings import SiteSettings
from lakehouse.sites import Goal, SiteAnalytics
from spark_jobs.transforms.daily import daily_metrics
from tests.support.batch_rows import at, batch_frames, raw_event

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DAY = date(2026, 3, 10)
SITE = SiteSettings(
    site_id="s",
    analytics=SiteAnalytics(goals=(Goal(name="buy", event="purchase", value_property="revenue"),)),
)


def page(visitor: str, moment: str, **fields: Any) -> dict[str, Any]:
    return raw_event(visitor_id=visitor, client_ts=at(f"2026-03-{moment}"), **fields)


def track(visitor: str, moment: str, name: str, **fields: Any) -> dict[str, Any]:
    return page(visitor, moment, **{"type": "track", "name": name, **fields})


def fixture_rows() -> list[dict[str, Any]]:
    duplicated = page("dup", "10 09:00:00")
    return [
        # the gap: 29:59 continues the session, exactly 30:00 starts a new one
        page("gap", "10 12:00:00"),
        page("gap", "10 12:29:59"),
        page("gap", "10 12:59:59"),
        # engaged: over 10 s; exactly 10 s is not; a conversion on one page is
        page("long", "10 08:00:00"),
        track("long", "10 08:00:11", "scroll"),
        page("short", "10 08:00:00"),
        track("short", "10 08:00:10", "scroll"),
        page("buyer", "10 08:00:00"),
        track("buyer", "10 08:00:05", "purchase", properties={"revenue": "20.50"}),
        # a session across midnight belongs to the day it started
        page("night", "10 23:55:00"),
        page("night", "11 00:10:00"),
        # a repeat of an event id is dropped, whenever it arrived
        duplicated,
        dict(duplicated, received_at=duplicated["received_at"] + timedelta(hours=5)),
        # bots are counted apart
        page("crawler", "10 10:00:00", is_bot=True, device_type="bot"),
        page("crawler", "10 10:00:01", is_bot=True, device_type="bot"),
        # one person on two devices: a user_id, and an alias linking the second device
        page("phone", "10 14:00:00", anonymous_id="phone", user_id="u8"),
        page("laptop", "10 18:00:00", anonymous_id="laptop"),
        track(
            "laptop",
            "10 18:00:01",
            "alias",
            type="identify",
            user_id="u8",
            properties={"previous_id": "laptop"},
        ),
        # where sessions come from
        page("mail", "10 15:00:00", utm_source="newsletter", utm_medium="email"),
        page("tweet", "10 15:00:00", referrer="https://t.co/abc", referrer_class="social"),
        page("search", "10 15:00:00", referrer="https://www.google.de/", referrer_class="search"),
    ]


@pytest.fixture(scope="module")
def sessions(spark: SparkSession) -> dict[str, list[dict[str, Any]]]:
    _, _, frame = batch_frames(spark, fixture_rows(), [SITE], DAY, DAY + timedelta(days=1))
    by_visitor: dict[str, list[dict[str, Any]]] = {}
    for row in frame.orderBy("session_start").collect():
        by_visitor.setdefault(row["visitor_id"], []).append(row.asDict())
    return by_visitor


def test_a_gap_of_the_session_gap_starts_a_new_session(sessions: dict[str, Any]) -> None:
    assert [s["pageviews"] for s in sessions["gap"]] == [2, 1]


def test_engaged_is_over_ten_seconds_or_two_views_or_a_conversion(
    sessions: dict[str, Any],
) -> None:
    long, short, buyer = sessions["long"][0], sessions["short"][0], sessions["buyer"][0]
    assert (long["engaged"], long["bounced"], long["single_page"]) == (True, False, True)
    assert (short["engaged"], short["bounced"], short["single_page"]) == (False, True, True)
    assert (buyer["engaged"], buyer["converted"], buyer["goals"]) == (True, True, ["buy"])
    assert buyer["goal_value"] == pytest.approx(20.5)
    assert sessions["gap"][0]["engaged"]  # two pageviews within 30 s


def test_a_session_across_midnight_belongs_to_its_start_day(sessions: dict[str, Any]) -> None:
    (night,) = sessions["night"]
    assert (night["event_date"], night["pageviews"], night["duration_s"]) == (DAY, 2, 900.0)


def test_repeated_event_ids_and_bots_make_no_sessions(sessions: dict[str, Any]) -> None:
    assert [s["events"] for s in sessions["dup"]] == [1]
    assert "crawler" not in sessions


def test_anonymous_ids_seen_with_a_user_fold_into_that_person(sessions: dict[str, Any]) -> None:
    assert sessions["phone"][0]["person_id"] == sessions["laptop"][0]["person_id"] == "u8"
    assert sessions["phone"][0]["persistent_id"]
    assert sessions["phone"][0]["is_new_visitor"]
    assert not sessions["laptop"][0]["is_new_visitor"]  # the same person, seen before
    assert not sessions["gap"][0]["persistent_id"]  # a cookieless hash cannot return


def test_source_and_medium_from_utm_else_from_the_referrer(sessions: dict[str, Any]) -> None:
    def origin(visitor: str) -> tuple[str, str, str]:
        s = sessions[visitor][0]
        return s["source"], s["medium"], s["campaign"]

    assert origin("mail") == ("newsletter", "email", "(not set)")
    assert origin("tweet") == ("t.co", "social", "(none)")
    assert origin("search") == ("google", "organic", "(none)")
    assert origin("gap") == ("(direct)", "(none)", "(none)")


def test_the_daily_total_counts_humans_and_bots_apart(spark: SparkSession) -> None:
    events, _, sessions = batch_frames(spark, fixture_rows(), [SITE], DAY, DAY)
    total = (
        daily_metrics(sessions, events)
        .where("dimension = 'all' AND event_date = DATE'2026-03-10'")
        .first()
    )
    assert total is not None
    # 10 people (phone and laptop are one); 12 sessions (gap has two)
    assert (total["visitors"], total["sessions"]) == (10, 12)
    assert total["bot_events"] == 2
    # engaged: gap's first (2 views), long (11 s), buyer (a goal), night (2 views)
    assert total["engaged_sessions"] == 4
    assert total["bounce_rate"] == pytest.approx(1 - 4 / 12)
    assert total["conversions"] == 1
    assert total["conversion_rate"] == pytest.approx(1 / 12)
    # pageviews of the day: the night's second view is on the 11th
    assert total["pageviews"] == 13
