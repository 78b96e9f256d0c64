"""Simulated visitors and their events: pure and deterministic for a seed and a ``now``.

Each visitor belongs to one site, has one device (a real browser's User-Agent, or a crawler
or headless browser), one public address of a consumer network in one country, one
Accept-Language and one wire protocol, and makes 1-3 sessions separated by more than
:data:`SESSION_GAP` of silence. A session is a walk over the site's page graph from a
landing page its traffic source chose; it bounces (one pageview), browses, or converts.
A few events are sent late: after the visitor's next page, with their original time.

Visitor ``i`` of a seed depends on ``(seed, i, now)`` alone, so more visitors extend the same
traffic rather than reshuffling it; event ids differ for every ``now``, so that a rerun is
new traffic, never duplicates.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from lakehouse.schema import EventType, Protocol

SESSION_GAP = timedelta(minutes=30)
"""Silence that ends a session: the batch layer's rule, and the truth's."""

MIN_SPAN = timedelta(minutes=45)  # room for one full session before ``now``
MAX_PAGE_DWELL_S = 240.0  # keeps every in-session gap far below SESSION_GAP
MAX_PAGES = 10
BOUNCE_RATE = 0.40
CONVERSION_RATE = 0.07  # of sessions that do not bounce: about 4% of all sessions
LATE_RATE = 0.04  # of the events that have a later page in their session
BOT_SHARE = 0.08
TRACKER_VERSION = "0.1.0"

T = TypeVar("T")


def pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights)[0]


# ---------------------------------------------------------------------------------------
# Devices


@dataclass(frozen=True)
class Device:
    name: str
    kind: str  # desktop | mobile | tablet | bot, what enrichment should make of it
    user_agent: str
    screen: tuple[int, int]
    bot: bool = False
    accept_language: bool = True  # crawlers send none; every browser does


HUMAN_DEVICES: tuple[tuple[Device, float], ...] = (
    (
        Device(
            "chrome-windows",
            "desktop",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            (1920, 1080),
        ),
        0.27,
    ),
    (
        Device(
            "edge-windows",
            "desktop",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            (1536, 864),
        ),
        0.07,
    ),
    (
        Device(
            "firefox-windows",
            "desktop",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
            (1920, 1080),
        ),
        0.05,
    ),
    (
        Device(
            "safari-mac",
            "desktop",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            (1440, 900),
        ),
        0.09,
    ),
    (
        Device(
            "chrome-mac",
            "desktop",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            (1728, 1117),
        ),
        0.06,
    ),
    (
        Device(
            "firefox-linux",
            "desktop",
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
            (2560, 1440),
        ),
        0.02,
    ),
    (
        Device(
            "safari-iphone",
            "mobile",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            (390, 844),
        ),
        0.21,
    ),
    (
        Device(
            "chrome-android",
            "mobile",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.6478.122 Mobile Safari/537.36",
            (412, 915),
        ),
        0.13,
    ),
    (
        Device(
            "samsung-android",
            "mobile",
            "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            (360, 780),
        ),
        0.04,
    ),
    (
        Device(
            "safari-ipad",
            "tablet",
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            (820, 1180),
        ),
        0.06,
    ),
)

BOT_DEVICES: tuple[tuple[Device, float], ...] = (
    (
        Device(
            "googlebot",
            "bot",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 "
            "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            (412, 732),
            bot=True,
            accept_language=False,
        ),
        0.45,
    ),
    (
        Device(
            "bingbot",
            "bot",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
            "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
            (1366, 768),
            bot=True,
            accept_language=False,
        ),
        0.30,
    ),
    (
        Device(
            "headless-chrome",
            "bot",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/126.0.6478.126 Safari/537.36",
            (800, 600),
            bot=True,
        ),
        0.25,
    ),
)

# Where each crawler really comes from (/16 prefixes); a headless browser from a cloud host.
BOT_NETWORKS: Mapping[str, tuple[str, ...]] = {
    "googlebot": ("66.249",),
    "bingbot": ("157.55", "40.77"),
    "headless-chrome": ("3.5", "34.201"),
}


# ---------------------------------------------------------------------------------------
# Where visitors are


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, what the collector's geo data says of these networks
    networks: tuple[str, ...]  # /16 (or /24) prefixes of consumer ISPs, never hosting
    accept_language: str


COUNTRIES: tuple[tuple[Country, float], ...] = (
    (Country("US", ("73.12", "73.158", "98.210", "24.5", "71.200"), "en-US,en;q=0.9"), 0.30),
    (Country("GB", ("86.150", "86.160", "92.40", "2.24"), "en-GB,en;q=0.9"), 0.10),
    (Country("DE", ("79.200", "91.60", "84.150", "93.200"), "de-DE,de;q=0.9,en;q=0.8"), 0.12),
    (Country("FR", ("90.10", "90.60", "86.200", "92.150"), "fr-FR,fr;q=0.9,en;q=0.8"), 0.07),
    (Country("ES", ("83.40", "88.20", "79.150"), "es-ES,es;q=0.9,en;q=0.8"), 0.05),
    (Country("IT", ("79.20", "87.10", "93.40"), "it-IT,it;q=0.9,en;q=0.8"), 0.04),
    (Country("NL", ("84.24", "77.160"), "nl-NL,nl;q=0.9,en;q=0.8"), 0.04),
    (Country("PL", ("83.10", "89.70", "31.0"), "pl-PL,pl;q=0.9,en;q=0.8"), 0.03),
    (Country("SE", ("83.250", "90.230", "78.70"), "sv-SE,sv;q=0.9,en;q=0.8"), 0.03),
    (Country("BR", ("177.100", "189.60", "179.200"), "pt-BR,pt;q=0.9,en;q=0.8"), 0.06),
    (Country("IN", ("122.160", "117.200", "106.200"), "en-IN,en;q=0.9,hi;q=0.8"), 0.06),
    (Country("JP", ("126.10", "153.200", "60.100"), "ja-JP,ja;q=0.9,en;q=0.8"), 0.04),
    (Country("AU", ("1.128", "101.160", "110.140"), "en-AU,en;q=0.9"), 0.03),
    (Country("CA", ("99.230", "70.50", "174.90"), "en-CA,en;q=0.9,fr-CA;q=0.8"), 0.03),
)


def address_in(rng: random.Random, prefix: str) -> str:
    """A host address in a /16 or /24 prefix (never the network or broadcast address)."""
    octets = prefix.split(".")
    while len(octets) < 3:
        octets.append(str(rng.randint(0, 255)))
    return ".".join([*octets, str(rng.randint(1, 254))])


# ---------------------------------------------------------------------------------------
# Sites


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


# ---------------------------------------------------------------------------------------
# Traffic sources


@dataclass(frozen=True)
class Source:
    kind: str  # search | social | email | direct | referral
    referrer: str | None
    utm: tuple[tuple[str, str], ...] = ()


SEARCH_REFERRERS = (
    ("https://www.google.com/", 0.75),
    ("https://www.bing.com/", 0.12),
    ("https://duckduckgo.com/", 0.09),
    ("https://www.ecosia.org/", 0.04),
)
SOCIAL_REFERRERS = (
    ("https://t.co/", 0.3),
    ("https://l.facebook.com/", 0.25),
    ("https://www.reddit.com/", 0.25),
    ("https://www.linkedin.com/", 0.2),
)
REFERRAL_REFERRERS = (
    ("https://news.ycombinator.com/", 0.4),
    ("https://dev.to/", 0.3),
    ("https://github.com/", 0.3),
)
CAMPAIGNS = ("spring-sale", "product-update", "weekly-digest")
SOURCE_KINDS = (
    ("search", 0.35),
    ("direct", 0.25),
    ("social", 0.14),
    ("email", 0.14),
    ("referral", 0.12),
)


def draw_source(rng: random.Random) -> Source:
    kind = pick(rng, SOURCE_KINDS)
    if kind == "search":
        return Source(kind, pick(rng, SEARCH_REFERRERS))
    if kind == "social":
        referrer = pick(rng, SOCIAL_REFERRERS)
        if rng.random() < 0.4:  # a paid or tagged post
            network = referrer.split("//")[1].split(".")[-2]
            return Source(kind, referrer, (("utm_source", network), ("utm_medium", "social")))
        return Source(kind, referrer)
    if kind == "email":
        utm = (
            ("utm_source", "newsletter"),
            ("utm_medium", "email"),
            ("utm_campaign", rng.choice(CAMPAIGNS)),
        )
        return Source(kind, "https://mail.google.com/" if rng.random() < 0.3 else None, utm)
    if kind == "referral":
        return Source(kind, pick(rng, REFERRAL_REFERRERS))
    return Source(kind, None)


# ---------------------------------------------------------------------------------------
# Visitors and events


PROTOCOLS: tuple[tuple[Protocol, float], ...] = (
    (Protocol.NATIVE, 0.70),
    (Protocol.SEGMENT, 0.08),
    (Protocol.SNOWPLOW, 0.08),
    (Protocol.GA4, 0.08),
    (Protocol.PLAUSIBLE, 0.06),
)
# Protocols that carry the client's time: only their events can arrive late.
TIMED_PROTOCOLS = frozenset({Protocol.NATIVE, Protocol.SEGMENT, Protocol.SNOWPLOW, Protocol.GA4})


@dataclass(frozen=True)
class Visitor:
    key: str  # the simulator's own name for the visitor, stable per seed
    site_id: str
    device: Device
    ip: str
    country: str | None  # None for crawlers and cloud hosts
    accept_language: str | None  # the header, None for crawlers
    language: str  # navigator.language
    protocol: Protocol
    anonymous_id: str | None  # a client-side id where the protocol has one; else cookieless

    @property
    def bot(self) -> bool:
        return self.device.bot


@dataclass(frozen=True)
class SimEvent:
    event_id: str
    visitor: str  # Visitor.key
    site_id: str
    type: EventType  # page or track
    name: str
    client_ts: datetime  # UTC, millisecond precision
    url: str
    path: str
    title: str
    referrer: str | None
    properties: Mapping[str, str]
    session: int  # the visitor's session number, 0-based
    session_start: datetime
    page: int  # the visitor's page number: a pageview and what follows it on that page
    late_by: timedelta | None = None  # sent this long after client_ts, behind later events

    @property
    def send_at(self) -> datetime:
        return self.client_ts + (self.late_by or timedelta(0))

    @property
    def late(self) -> bool:
        return self.late_by is not None


@dataclass(frozen=True)
class Traffic:
    seed: int
    now: datetime
    span: timedelta
    visitors: tuple[Visitor, ...]
    events: tuple[SimEvent, ...]  # by client_ts
    by_key: Mapping[str, Visitor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {v.key: v for v in self.visitors})

    def visitor(self, key: str) -> Visitor:
        return self.by_key[key]


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class _Step:
    """One event of a session before it is placed in time: offset from the session start."""

    offset_s: float
    type: EventType
    name: str
    page: Page
    referrer: str | None
    query: str
    properties: dict[str, str]
    page_index: int


def _session_pages(rng: random.Random, site: SiteModel, bot: bool) -> tuple[list[str], bool]:
    """The page kinds of one session, and whether it converts."""
    if bot:
        kinds = [rng.choice(list(site.pages))]
        for _ in range(rng.randint(1, MAX_PAGES - 1)):
            kinds.append(rng.choice(list(site.pages)))
        return kinds, False
    kinds = [pick(rng, site.landing)]
    if rng.random() < BOUNCE_RATE:
        return kinds, False
    if rng.random() < CONVERSION_RATE:
        for _ in range(rng.randint(0, 2)):
            kinds.append(pick(rng, site.links[kinds[-1]]))
        kinds.extend(site.conversion_path)
        return kinds[-MAX_PAGES:], True
    for _ in range(1 + min(int(rng.expovariate(1 / 2.0)), MAX_PAGES - 2)):
        kinds.append(pick(rng, site.links[kinds[-1]]))
    return kinds, False


def _session_steps(
    rng: random.Random,
    site: SiteModel,
    visitor: Visitor,
    source: Source,
    first_page_index: int,
) -> list[_Step]:
    kinds, converts = _session_pages(rng, site, visitor.bot)
    steps: list[_Step] = []
    offset = 0.0
    previous_url = source.referrer
    for number, kind in enumerate(kinds):
        page = rng.choice(site.pages[kind])
        query = "&".join(f"{k}={v}" for k, v in source.utm) if number == 0 else ""
        index = first_page_index + number
        dwell = (
            rng.uniform(1.0, 8.0)
            if visitor.bot
            else min(max(rng.lognormvariate(3.3, 0.9), 4.0), MAX_PAGE_DWELL_S)
        )
        steps.append(
            _Step(offset, EventType.PAGE, "pageview", page, previous_url, query, {}, index)
        )
        if not visitor.bot:
            for custom in site.custom_events:
                if kind in custom.on and rng.random() < custom.probability:
                    properties = {key: rng.choice(values) for key, values in custom.properties}
                    at = offset + rng.uniform(0.2, 0.8) * dwell
                    steps.append(
                        _Step(
                            at, EventType.TRACK, custom.name, page, None, query, properties, index
                        )
                    )
            if converts and number == len(kinds) - 1:
                steps.append(
                    _Step(
                        offset + rng.uniform(0.3, 0.9) * dwell,
                        EventType.TRACK,
                        site.conversion,
                        page,
                        None,
                        query,
                        _conversion_properties(rng, site),
                        index,
                    )
                )
            if visitor.protocol is Protocol.NATIVE and rng.random() < 0.5:
                # The tracker reports the visible time on a page when the visitor leaves it.
                steps.append(
                    _Step(
                        offset + dwell * 0.97,
                        EventType.TRACK,
                        "engagement",
                        page,
                        None,
                        query,
                        {
                            "engaged_ms": str(int(dwell * 1000 * rng.uniform(0.5, 0.95))),
                            "scroll_pct": str(rng.randint(10, 100)),
                        },
                        index,
                    )
                )
        previous_url = site.url(page, query)
        offset += dwell
    steps.sort(key=lambda step: step.offset_s)
    return steps


def _conversion_properties(rng: random.Random, site: SiteModel) -> dict[str, str]:
    if site.conversion == "purchase":
        return {
            "order_id": f"NW-{rng.randint(100000, 999999)}",
            "revenue": f"{rng.uniform(19, 240):.2f}",
            "currency": "EUR",
            "items": str(rng.randint(1, 4)),
        }
    return {"plan": rng.choice(("free", "team", "business"))}


def _draw_visitor(
    rng: random.Random, key: str, used_addresses: set[tuple[str, str, str]]
) -> Visitor:
    site = pick(rng, [(s, s.weight) for s in SITES])
    bot = rng.random() < BOT_SHARE
    device = pick(rng, BOT_DEVICES if bot else HUMAN_DEVICES)
    country = pick(rng, COUNTRIES)
    protocol = Protocol.NATIVE if bot else pick(rng, PROTOCOLS)
    networks = BOT_NETWORKS[device.name] if bot else country.networks
    # Cookieless visitors are told apart by address and user agent alone: no two may share both.
    while True:
        ip = address_in(rng, rng.choice(networks))
        if (site.site_id, ip, device.user_agent) not in used_addresses:
            used_addresses.add((site.site_id, ip, device.user_agent))
            break
    anonymous_id: str | None = None
    if protocol is Protocol.GA4:
        # GA's client id: a random number and the first visit's epoch seconds.
        first_visit = rng.randint(1_600_000_000, 1_700_000_000)
        anonymous_id = f"{rng.randint(10**8, 10**10 - 1)}.{first_visit}"
    elif protocol in (Protocol.SEGMENT, Protocol.SNOWPLOW):
        anonymous_id = new_uuid(rng)
    return Visitor(
        key=key,
        site_id=site.site_id,
        device=device,
        ip=ip,
        country=None if bot else country.code,
        accept_language=country.accept_language if device.accept_language else None,
        language=country.accept_language.split(",")[0],
        protocol=protocol,
        anonymous_id=anonymous_id,
    )


def _place_sessions(
    rng: random.Random,
    sessions: list[list[_Step]],
    now: datetime,
    span: timedelta,
    at_end: bool,
) -> list[datetime]:
    """Start times for the sessions: in order, each more than SESSION_GAP after the end of the
    one before, all within (now - span, now]. Sessions that do not fit are dropped."""
    durations = [timedelta(seconds=steps[-1].offset_s) for steps in sessions]
    gap_max = max(SESSION_GAP + timedelta(minutes=5), min(span / 3, timedelta(hours=8)))
    gaps = [
        timedelta(seconds=rng.uniform(SESSION_GAP.total_seconds() + 60, gap_max.total_seconds()))
        for _ in sessions[1:]
    ]
    while len(durations) > 1 and sum(durations, timedelta(0)) + sum(gaps, timedelta(0)) > span:
        durations.pop()
        gaps.pop()
        sessions.pop()
    needed = sum(durations, timedelta(0)) + sum(gaps, timedelta(0))
    latest_start = now - needed - timedelta(seconds=1)
    earliest_start = min(now - span, latest_start)
    if at_end:  # visitors on the site right now
        first = latest_start
    else:
        first = earliest_start + (latest_start - earliest_start) * rng.random()
    starts = [first]
    for duration, gap in zip(durations[:-1], gaps, strict=True):
        starts.append(starts[-1] + duration + gap)
    return starts


def _truncate_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def generate_visitor(
    seed: int,
    index: int,
    now: datetime,
    span: timedelta,
    used_addresses: set[tuple[str, str, str]],
) -> tuple[Visitor, list[SimEvent]]:
    rng = random.Random(f"beacon-traffic:{seed}:{index}")
    # Event ids also depend on ``now``: a rerun of a seed is new traffic of the same shape,
    # not repeats that deduplication would drop.
    ids = random.Random(f"beacon-traffic-ids:{seed}:{now.isoformat()}:{index}")
    visitor = _draw_visitor(rng, f"v{index:06d}", used_addresses)
    site = SITES_BY_ID[visitor.site_id]
    # Plausible events carry no time (the collector stamps them on receipt), so its visitors
    # are modelled as the ones on the site right now, in a single session.
    untimed = visitor.protocol is Protocol.PLAUSIBLE
    count = 1 if visitor.bot or untimed else pick(rng, ((1, 0.62), (2, 0.27), (3, 0.11)))
    sessions: list[list[_Step]] = []
    page_index = 0
    for _ in range(count):
        source = Source("direct", None) if visitor.bot else draw_source(rng)
        steps = _session_steps(rng, site, visitor, source, page_index)
        page_index = steps[-1].page_index + 1 if steps else page_index
        sessions.append(steps)
    starts = _place_sessions(rng, sessions, now, span, at_end=untimed)

    events: list[SimEvent] = []
    for number, (steps, start) in enumerate(zip(sessions, starts, strict=True)):
        session_start = _truncate_ms(start)
        for step in steps:
            events.append(
                SimEvent(
                    event_id=new_uuid(ids),
                    visitor=visitor.key,
                    site_id=site.site_id,
                    type=step.type,
                    name=step.name,
                    client_ts=_truncate_ms(start + timedelta(seconds=step.offset_s)),
                    url=site.url(step.page, step.query),
                    path=step.page.path,
                    title=step.page.title,
                    referrer=step.referrer if step.type is EventType.PAGE else None,
                    properties=step.properties,
                    session=number,
                    session_start=session_start,
                    page=step.page_index,
                )
            )
    if not visitor.bot and visitor.protocol in TIMED_PROTOCOLS:
        events = _make_some_late(rng, events)
    return visitor, events


def _make_some_late(rng: random.Random, events: list[SimEvent]) -> list[SimEvent]:
    """Delay a few events past the end of the visitor's next page in the same session (a
    tracker that was offline, a retried request): they arrive behind later events."""
    result = list(events)
    # Backwards, so the next page is settled first: it must arrive on time, ahead of this.
    for position in reversed(range(len(events))):
        event = events[position]
        later_pages = [e for e in result if e.session == event.session and e.page == event.page + 1]
        if not later_pages or any(e.late for e in later_pages) or rng.random() >= LATE_RATE:
            continue
        next_page_done = max(e.client_ts for e in later_pages)
        delay = (next_page_done - event.client_ts) + timedelta(seconds=rng.uniform(60, 480))
        result[position] = replace(event, late_by=delay)
    return result


def generate(
    visitors: int,
    seed: int,
    now: datetime,
    span: timedelta = timedelta(minutes=90),
) -> Traffic:
    """``visitors`` visitors (humans and bots) with their events in ``(now - span, now]``."""
    if visitors < 1:
        raise ValueError("visitors must be at least 1")
    if span < MIN_SPAN:
        raise ValueError(f"the span must be at least {MIN_SPAN}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = _truncate_ms(now.astimezone(UTC))
    used: set[tuple[str, str, str]] = set()
    people: list[Visitor] = []
    events: list[SimEvent] = []
    for index in range(visitors):
        visitor, visitor_events = generate_visitor(seed, index, now, span, used)
        people.append(visitor)
        events.extend(visitor_events)
    events.sort(key=lambda e: (e.client_ts, e.visitor, e.event_id))
    return Traffic(seed, now, span, tuple(people), tuple(events))
