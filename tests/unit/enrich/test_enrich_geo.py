from __future__ import annotations

import pytest

from collector.enrich import IpLocation, locate_ip
from collector.enrich import samples as ip


@pytest.mark.parametrize(
    ("address", "country", "datacenter"),
    [
        (ip.IP_UK_ISP, "GB", False),
        (ip.IP_BRAZIL, "BR", False),
        (ip.IP_GOOGLE_DNS_V6, "US", True),
        (ip.IP_AWS, "KR", True),
        (ip.IP_HETZNER, "FI", True),
        (f"::ffff:{ip.IP_UK_ISP}", "GB", False),  # IPv4-mapped, as dual-stack sockets give
    ],
)
def test_country_and_datacenter_from_shipped_data(
    address: str, country: str, datacenter: bool
) -> None:
    assert locate_ip(address) == IpLocation(country=country, region=None, datacenter=datacenter)


@pytest.mark.parametrize(
    "address",
    [ip.IP_LOOPBACK, ip.IP_PRIVATE, "::1", "fe80::1", "192.168.1.20", "100.64.0.1", "", None],
)
def test_loopback_private_and_missing_give_nothing(address: str | None) -> None:
    assert locate_ip(address) == IpLocation(None, None, False)


@pytest.mark.parametrize("address", ["not-an-ip", "999.1.1.1", "1.2.3"])
def test_garbage_gives_nothing(address: str) -> None:
    assert locate_ip(address) == IpLocation(None, None, False)


def test_every_country_is_alpha_2() -> None:
    for address in ip.public_ip_mix(300):
        country = locate_ip(address).country
        assert country is None or (len(country) == 2 and country.isupper())


def test_lookups_are_cached() -> None:
    locate_ip.cache_clear()
    locate_ip(ip.IP_BRAZIL)
    locate_ip(ip.IP_BRAZIL)
    assert locate_ip.cache_info().hits == 1
