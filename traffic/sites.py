"""The demo sites a simulated visitor walks: their pages, the links between page kinds,
landing pages, the custom events each page kind fires and the conversion each site counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    kind: str
    path: str
    title: str


@dataclass(frozen=True)
class CustomEvent:
    """A track event a page may fire while the visitor is on it."""

    name: str
    on: frozenset[str]  # page kinds
    probability: float
    properties: tuple[tuple[str, tuple[str, ...]], ...]  # key -> choices


@dataclass(frozen=True)
class SiteModel:
    site_id: str
    host: str
    weight: float
    pages: Mapping[str, tuple[Page, ...]]  # kind -> pages of that kind
    landing: tuple[tuple[str, float], ...]
    links: Mapping[str, tuple[tuple[str, float], ...]]  # kind -> next kinds
    conversion: str  # the track event a converting session ends with
    conversion_path: tuple[str, ...]  # kinds a converting session walks through, in order
    custom_events: tuple[CustomEvent, ...]

    def url(self, page: Page, query: str = "") -> str:
        return f"https://{self.host}{page.path}{'?' + query if query else ''}"


def _pages(kind: str, title: str, *slugs: str) -> tuple[Page, ...]:
    return tuple(
        Page(kind, f"/{kind}/{slug}", f"{slug.replace('-', ' ').title()} · {title}")
        for slug in slugs
    )


SHOP = SiteModel(
    site_id="demo-shop",
    host="shop.example",
    weight=0.6,
    pages={
        "home": (Page("home", "/", "Northwind Outfitters"),),
        "c": _pages("c", "Northwind", "shoes", "jackets", "bags", "accessories"),
        "p": _pages(
            "p",
            "Northwind",
            "trail-runner-2",
            "city-sneaker",
            "rain-shell",
            "down-parka",
            "canvas-tote",
            "roll-top-pack",
            "wool-beanie",
            "leather-belt",
        ),
        "cart": (Page("cart", "/cart", "Your cart · Northwind"),),
        "checkout": (Page("checkout", "/checkout", "Checkout · Northwind"),),
    },
    landing=(("home", 0.45), ("c", 0.25), ("p", 0.30)),
    links={
        "home": (("c", 0.6), ("p", 0.4)),
        "c": (("p", 0.7), ("c", 0.2), ("home", 0.1)),
        "p": (("p", 0.35), ("c", 0.35), ("cart", 0.15), ("home", 0.15)),
        "cart": (("checkout", 0.4), ("p", 0.6)),
        "checkout": (("cart", 0.5), ("home", 0.5)),
    },
    conversion="purchase",
    conversion_path=("p", "cart", "checkout"),
    custom_events=(
        CustomEvent(
            "add_to_cart",
            frozenset({"p"}),
            0.18,
            (("sku", ("NW-1001", "NW-1002", "NW-2001", "NW-3004")), ("quantity", ("1", "2"))),
        ),
        CustomEvent(
            "search",
            frozenset({"home", "c"}),
            0.10,
            (("query", ("boots", "waterproof jacket", "tote", "gift card", "sale")),),
        ),
        CustomEvent(
            "filter",
            frozenset({"c"}),
            0.15,
            (("facet", ("size", "color", "price")),),
        ),
    ),
)

DOCS = SiteModel(
    site_id="demo-docs",
    host="docs.example",
    weight=0.4,
    pages={
        "home": (Page("home", "/", "beacon docs"),),
        "start": (Page("start", "/docs/getting-started", "Getting started · beacon docs"),),
        "guides": _pages(
            "guides",
            "beacon docs",
            "tracking",
            "sessions",
            "funnels",
            "retention",
            "gdpr",
            "self-hosting",
        ),
        "api": _pages("api", "beacon docs", "collector", "sql", "python-sdk"),
        "pricing": (Page("pricing", "/pricing", "Pricing · beacon"),),
        "signup": (Page("signup", "/signup", "Sign up · beacon"),),
    },
    landing=(("home", 0.3), ("start", 0.25), ("guides", 0.35), ("api", 0.10)),
    links={
        "home": (("start", 0.5), ("guides", 0.3), ("pricing", 0.2)),
        "start": (("guides", 0.6), ("api", 0.25), ("home", 0.15)),
        "guides": (("guides", 0.5), ("api", 0.25), ("start", 0.1), ("pricing", 0.15)),
        "api": (("api", 0.4), ("guides", 0.5), ("home", 0.1)),
        "pricing": (("signup", 0.3), ("home", 0.4), ("guides", 0.3)),
        "signup": (("pricing", 0.5), ("home", 0.5)),
    },
    conversion="signup",
    conversion_path=("pricing", "signup"),
    custom_events=(
        CustomEvent(
            "copy_code",
            frozenset({"start", "guides", "api"}),
            0.25,
            (("language", ("python", "javascript", "sql", "shell")),),
        ),
        CustomEvent(
            "search",
            frozenset({"home", "guides", "api"}),
            0.12,
            (("query", ("sessions", "gdpr", "kafka", "retention", "sdk")),),
        ),
        CustomEvent(
            "outbound_click",
            frozenset({"guides", "api"}),
            0.06,
            (("target", ("https://github.com/", "https://stackoverflow.com/")),),
        ),
    ),
)

SITES: tuple[SiteModel, ...] = (SHOP, DOCS)
SITES_BY_ID: Mapping[str, SiteModel] = {site.site_id: site for site in SITES}
