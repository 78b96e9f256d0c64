"""The site registry's goals and funnel steps as conditions on an event's columns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse.settings import SiteSettings
from lakehouse.sites import FunnelStep, Goal, SiteAnalytics, path_regex

VIEW_TYPES = ("page", "screen")


def path_matches(pattern: str) -> Column:
    return F.col("type").isin(*VIEW_TYPES) & F.col("path").rlike(path_regex(pattern))


def event_matches(name: str) -> Column:
    return (F.col("type") == "track") & (F.col("name") == name)


def goal_matches(goal: Goal) -> Column:
    # A goal has exactly one target (lakehouse.sites validates it).
    return path_matches(goal.path) if goal.path is not None else event_matches(goal.event or "")


def step_matches(step: FunnelStep, analytics: SiteAnalytics) -> Column:
    if step.goal is not None:
        return goal_matches(analytics.goal(step.goal))
    return path_matches(step.path) if step.path is not None else event_matches(step.event or "")


@dataclass(frozen=True)
class SiteGoal:
    """One goal of one site, with the columns a session aggregates it by."""

    site_id: str
    goal: Goal
    index: int

    @property
    def hit_column(self) -> str:
        return f"goal_hit_{self.index}"

    @property
    def value_column(self) -> str:
        return f"goal_value_{self.index}"

    def hit(self) -> Column:
        return (F.col("site_id") == self.site_id) & goal_matches(self.goal)

    def value(self) -> Column:
        if self.goal.value_property is None:
            return F.lit(0.0)
        raw = F.col("properties")[self.goal.value_property].try_cast("double")
        return F.when(self.hit(), F.coalesce(raw, F.lit(0.0))).otherwise(F.lit(0.0))


def site_goals(sites: Iterable[SiteSettings]) -> list[SiteGoal]:
    listed = [(site.site_id, goal) for site in sites for goal in site.analytics.goals]
    return [SiteGoal(site_id, goal, index) for index, (site_id, goal) in enumerate(listed)]
