"""The site registry's analytics part: each site's goals, funnels and the event properties to
break out, kept beside its collector settings (:class:`lakehouse.settings.SiteSettings`) and
validated when the settings load.

A page-path pattern is a path with wildcards, as Plausible writes them: ``*`` matches within
one path segment, ``**`` across segments (``/p/*``, ``/docs/**``); anything else is literal.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="a slug")]
EventName = Annotated[str, Field(min_length=1, max_length=128)]


def path_regex(pattern: str) -> str:
    """The anchored regular expression (Java's and Python's) a path pattern stands for."""
    parts = re.split(r"(\*\*|\*)", pattern)
    wildcard = {"**": ".*", "*": "[^/]*"}
    return "^" + "".join(wildcard.get(part) or re.escape(part) for part in parts) + "$"


def _check_path_pattern(pattern: str | None) -> str | None:
    if pattern is not None and not pattern.startswith("/"):
        raise ValueError(f"path pattern {pattern!r} must start with /")
    return pattern


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Goal(_Strict):
    """A conversion: a pageview of a path pattern, or an event by name."""

    name: Name
    path: str | None = Field(default=None, description="page-path pattern, e.g. /checkout")
    event: EventName | None = Field(default=None, description="custom event name")
    value_property: str | None = Field(
        default=None, description="event property holding the conversion's value (revenue)"
    )

    @field_validator("path")
    @classmethod
    def _path_pattern(cls, pattern: str | None) -> str | None:
        return _check_path_pattern(pattern)

    @model_validator(mode="after")
    def _one_target(self) -> Goal:
        if (self.path is None) == (self.event is None):
            raise ValueError(f"goal {self.name}: give exactly one of path or event")
        if self.value_property is not None and self.event is None:
            raise ValueError(f"goal {self.name}: a value_property needs an event goal")
        return self


class FunnelStep(_Strict):
    """One step: a page-path pattern, an event name, or one of the site's goals."""

    path: str | None = None
    event: EventName | None = None
    goal: Name | None = None
    label: str | None = Field(default=None, description="the step's name in reports")

    @field_validator("path")
    @classmethod
    def _path_pattern(cls, pattern: str | None) -> str | None:
        return _check_path_pattern(pattern)

    @model_validator(mode="after")
    def _one_target(self) -> FunnelStep:
        if sum(target is not None for target in (self.path, self.event, self.goal)) != 1:
            raise ValueError("a funnel step gives exactly one of path, event or goal")
        return self

    @property
    def name(self) -> str:
        return self.label or self.path or self.event or f"goal:{self.goal}"


class Funnel(_Strict):
    """Ordered steps, counted within one session and within ``window_minutes`` of step 1."""

    name: Name
    steps: tuple[FunnelStep, ...] = Field(min_length=2, max_length=10)
    window_minutes: float = Field(default=60, gt=0, le=24 * 60)


class SiteAnalytics(_Strict):
    """What the batch layer counts for a site besides its traffic."""

    goals: tuple[Goal, ...] = ()
    funnels: tuple[Funnel, ...] = ()
    event_properties: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="event name -> properties to count by value"
    )

    @model_validator(mode="after")
    def _references(self) -> SiteAnalytics:
        goals = [goal.name for goal in self.goals]
        for names, kind in ((goals, "goal"), ([f.name for f in self.funnels], "funnel")):
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise ValueError(f"{kind} {repeated[0]!r} is defined twice")
        for funnel in self.funnels:
            for step in funnel.steps:
                if step.goal is not None and step.goal not in goals:
                    raise ValueError(f"funnel {funnel.name}: unknown goal {step.goal!r}")
        return self

    def goal(self, name: str) -> Goal:
        for goal in self.goals:
            if goal.name == name:
                return goal
        raise KeyError(name)


DEMO_SHOP_ANALYTICS = SiteAnalytics(
    goals=(
        Goal(name="purchase", event="purchase", value_property="revenue"),
        Goal(name="checkout", path="/checkout"),
    ),
    funnels=(
        Funnel(
            name="checkout",
            steps=(
                FunnelStep(path="/p/*", label="product"),
                FunnelStep(path="/cart", label="cart"),
                FunnelStep(goal="checkout", label="checkout"),
                FunnelStep(goal="purchase", label="purchase"),
            ),
            window_minutes=60,
        ),
    ),
    event_properties={"add_to_cart": ("sku",), "search": ("query",), "filter": ("facet",)},
)

DEMO_DOCS_ANALYTICS = SiteAnalytics(
    goals=(Goal(name="signup", event="signup"), Goal(name="pricing", path="/pricing")),
    funnels=(
        Funnel(
            name="signup",
            steps=(
                FunnelStep(path="/guides/*", label="guide"),
                FunnelStep(goal="pricing", label="pricing"),
                FunnelStep(goal="signup", label="signup"),
            ),
            window_minutes=60,
        ),
    ),
    event_properties={"copy_code": ("language",), "search": ("query",)},
)
