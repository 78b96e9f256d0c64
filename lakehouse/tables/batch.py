"""The batch schema: exact sessions and daily metrics, recomputed nightly from raw.events.

The day-partitioned tables (``event_date``: the UTC day a session starts, or an event
happens) are replaced day by day by the job that writes them; ``batch.users`` and
``batch.retention`` span all days and are rewritten whole from ``batch.sessions``. The
rules behind every number are in the README's "Batch layer" section.
"""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.delta_properties import SESSION_STATS, USER_STATS

STR, TS, BIGINT, INT, DOUBLE, BOOL, DATE, STRINGS = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.BIGINT,
    ColumnType.INT,
    ColumnType.DOUBLE,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
    ColumnType.STRING_ARRAY,
)

SITE_ID = Column("site_id", STR, False)
EVENT_DATE = Column("event_date", DATE, False, "UTC day (of the session's start), the partition")

BATCH_SESSIONS = Table(
    "batch",
    "sessions",
    (
        SITE_ID,
        Column("session_key", STR, False, "visitor_id and the session's first event_id"),
        Column("visitor_id", STR, False, "the device: anonymous_id or the cookieless hash"),
        Column("person_id", STR, False, "user_id with its anonymous ids folded in, else visitor"),
        Column("persistent_id", BOOL, False, "the person can return: not a cookieless daily hash"),
        Column("session_start", TS, False),
        Column("session_end", TS, False),
        Column("duration_s", DOUBLE, False, "last event's time - first event's time"),
        Column("pageviews", BIGINT, False, "page events"),
        Column("screenviews", BIGINT, False, "screen events"),
        Column("events", BIGINT, False, "events of every type"),
        Column("entry_page", STR, False, "path of the first page or screen, (none) if none"),
        Column("exit_page", STR, False, "path of the last page or screen, (none) if none"),
        Column("landing_referrer", STR, True, "referrer of the first event"),
        Column("referrer_host", STR, False, "host of the landing referrer, (none) if none"),
        Column("referrer_class", STR, False, "search|social|email|direct|internal|other"),
        Column("source", STR, False, "utm_source, else derived from the referrer; (direct)"),
        Column("medium", STR, False, "utm_medium, else organic | social | referral | (none)"),
        Column("campaign", STR, False, "utm_campaign, else (none)"),
        Column("device_type", STR, False),
        Column("browser", STR, False),
        Column("os", STR, False),
        Column("country", STR, False),
        Column("language", STR, False),
        Column("is_new_visitor", BOOL, False, "the person's first session ever"),
        Column("engaged", BOOL, False, "over 10 s, or 2+ page/screen views, or a conversion"),
        Column("bounced", BOOL, False, "not engaged (GA4's bounce)"),
        Column("single_page", BOOL, False, "exactly one page or screen view (UA's bounce)"),
        Column("converted", BOOL, False, "reached at least one goal"),
        Column("goals", STRINGS, False, "the goals reached, by name, sorted"),
        Column("goal_value", DOUBLE, False, "sum of the goals' value property"),
        EVENT_DATE,
    ),
    partitioned_by=("event_date",),
    comment="One row per human session (30-minute gap), on the day it started",
    properties=(SESSION_STATS,),
)

_BY_DIMENSION_VALUE: tuple[Column, ...] = (
    SITE_ID,
    Column("dimension", STR, False, "all | path | entry_page | source | country | ..."),
    Column("value", STR, False, "the dimension's value; (all) for the total, (none) unset"),
)
"""The first columns of a table per site, day and dimension value (``event_date`` last)."""

BATCH_DAILY_METRICS = Table(
    "batch",
    "daily_metrics",
    (
        *_BY_DIMENSION_VALUE,
        Column("visitors", BIGINT, False, "distinct people (exact)"),
        Column("new_visitors", BIGINT, False, "people whose first session ever is this day's"),
        Column("sessions", BIGINT, False),
        Column("pageviews", BIGINT, False),
        Column("events", BIGINT, False, "human events of every type"),
        Column("engaged_sessions", BIGINT, False),
        Column("bounces", BIGINT, False, "sessions not engaged"),
        Column("engagement_rate", DOUBLE, True, "engaged_sessions / sessions"),
        Column("bounce_rate", DOUBLE, True, "1 - engagement_rate (GA4)"),
        Column("single_page_sessions", BIGINT, False, "UA's and Plausible's bounces"),
        Column("avg_session_duration_s", DOUBLE, True),
        Column("pages_per_session", DOUBLE, True),
        Column("conversions", BIGINT, False, "sessions that reached any goal"),
        Column("conversion_rate", DOUBLE, True, "conversions / sessions"),
        Column("goal_value", DOUBLE, False),
        Column("bot_events", BIGINT, True, "bot events, counted apart (the all row only)"),
        EVENT_DATE,
    ),
    partitioned_by=("event_date",),
    comment="Per site, day and dimension value: GA-style session metrics, exact",
)

BATCH_DAILY_GOALS = Table(
    "batch",
    "daily_goals",
    (
        *_BY_DIMENSION_VALUE,
        Column("goal", STR, False),
        Column("conversions", BIGINT, False, "sessions that reached the goal"),
        Column("conversion_rate", DOUBLE, True, "conversions / sessions of the dimension value"),
        Column("goal_value", DOUBLE, False),
        EVENT_DATE,
    ),
    partitioned_by=("event_date",),
    comment="Conversions per goal, site, day and dimension value",
)

BATCH_DAILY_PAGES = Table(
    "batch",
    "daily_pages",
    (
        SITE_ID,
        Column("path", STR, False),
        Column("views", BIGINT, False, "page and screen views"),
        Column("unique_views", BIGINT, False, "sessions that viewed the page"),
        Column("visitors", BIGINT, False),
        Column("entrances", BIGINT, False, "sessions that started on the page"),
        Column("exits", BIGINT, False, "sessions that ended on the page"),
        Column("exit_rate", DOUBLE, True, "exits / views"),
        Column("avg_time_on_page_s", DOUBLE, True, "to the next view, the exit view excluded"),
        EVENT_DATE,
    ),
    partitioned_by=("event_date",),
    comment="Per site, day and page path",
)

BATCH_DAILY_EVENTS = Table(
    "batch",
    "daily_events",
    (
        SITE_ID,
        Column("event_name", STR, False),
        Column("property", STR, False, "a property the site lists, or (all)"),
        Column("property_value", STR, False, "its value, (all), or (none) when unset"),
        Column("events", BIGINT, False),
        Column("visitors", BIGINT, False, "distinct people"),
        EVENT_DATE,
    ),
    partitioned_by=("event_date",),
    comment="Custom (track) events per site, day and name, and by listed property",
)

BATCH_USERS = Table(
    "batch",
    "users",
    (
        SITE_ID,
        Column("person_id", STR, False),
        Column("identified", BOOL, False, "the person_id is a user_id"),
        Column("first_seen", TS, False),
        Column("last_seen", TS, False),
        Column("sessions", BIGINT, False),
        Column("pageviews", BIGINT, False),
        Column("events", BIGINT, False),
        Column("conversions", BIGINT, False, "sessions that reached a goal"),
        Column("goal_value", DOUBLE, False),
        Column("first_source", STR, False),
        Column("first_medium", STR, False),
        Column("first_campaign", STR, False),
        Column("last_device_type", STR, False),
        Column("last_country", STR, False),
    ),
    comment="One row per person and site over every session (GA4's user explorer)",
    properties=(USER_STATS,),
)

BATCH_FUNNELS = Table(
    "batch",
    "funnels",
    (
        SITE_ID,
        Column("funnel", STR, False),
        Column("step", INT, False, "1-based position"),
        Column("step_name", STR, False),
        Column("visitors", BIGINT, False, "people who reached the step, in order, in a session"),
        Column("conversion_rate", DOUBLE, True, "visitors / visitors of step 1"),
        Column("step_conversion_rate", DOUBLE, True, "visitors / visitors of the step before"),
        Column("drop_off", BIGINT, False, "visitors of the step before - visitors"),
        EVENT_DATE,
    ),
    partitioned_by=("event_date",),
    comment="Funnel steps per site and day, within a session and the funnel's window",
)

BATCH_RETENTION = Table(
    "batch",
    "retention",
    (
        SITE_ID,
        Column("cohort_week", DATE, False, "Monday of the week of the first visit"),
        Column("week", INT, False, "weeks since the cohort week, 0-12"),
        Column("cohort_visitors", BIGINT, False, "people (persistent ids) first seen that week"),
        Column("active_visitors", BIGINT, False, "of them, active in that week"),
        Column("retention_rate", DOUBLE, False),
    ),
    comment="Weekly cohorts of persistent visitors and the share active each following week",
)

BATCH_TABLES: tuple[Table, ...] = (
    BATCH_SESSIONS,
    BATCH_DAILY_METRICS,
    BATCH_DAILY_GOALS,
    BATCH_DAILY_PAGES,
    BATCH_DAILY_EVENTS,
    BATCH_USERS,
    BATCH_FUNNELS,
    BATCH_RETENTION,
)
