"""Who the simulated visitors are: each one a site, a device, an address in a country, an
Accept-Language and the wire protocol its tracker or SDK speaks."""

from __future__ import annotations

import random
from dataclasses import dataclass

from lakehouse.schema import Protocol
from traffic.devices import BOT_DEVICES, BOT_NETWORKS, HUMAN_DEVICES, Device
from traffic.draw import new_uuid, pick
from traffic.geography import COUNTRIES, address_in
from traffic.sites import SITES

BOT_SHARE = 0.08

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


def draw_visitor(
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
