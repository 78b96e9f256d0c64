"""Where simulated visitors are: countries with their shares, consumer networks and
Accept-Language, and an address in a network."""

from __future__ import annotations

import random
from dataclasses import dataclass


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
