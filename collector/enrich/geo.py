"""IP address -> country, region and whether it is a cloud or hosting network.

The data is the GeoLite2 country and ASN data that geoip2fast ships inside its package
(IPv4 and IPv6, about 100 MB in memory); nothing is downloaded at run time. That data has
no regions, so ``region`` stays None until a city-level file is configured. Loopback,
private, shared and other non-global addresses give no location. The answer is cached per
address; the address itself goes no further than this module.
"""

from __future__ import annotations

import ipaddress
import os
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from collector.enrich.datacenters import DATACENTER_ASN_NAMES

if TYPE_CHECKING:
    from geoip2fast import GeoIP2Fast

GEO_DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"  # country + ASN, IPv4 + IPv6
IP_CACHE_SIZE = 65536


@dataclass(frozen=True, slots=True)
class IpLocation:
    country: str | None  # ISO 3166-1 alpha-2
    region: str | None
    datacenter: bool


NOWHERE = IpLocation(None, None, False)


@cache
def geo_database() -> GeoIP2Fast:
    """The loaded data (loaded once, on the first call); call it at start-up to warm up."""
    # geoip2fast sets these two variables at import; they must not leak into our children.
    saved = {name: os.environ.get(name) for name in ("PYTHONWARNINGS", "PYTHONIOENCODING")}
    with warnings.catch_warnings():  # its source has invalid escapes, warned at compile
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        from geoip2fast import GeoIP2Fast

    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return GeoIP2Fast(geoip2fast_data_file=GEO_DATA_FILE)


@lru_cache(maxsize=IP_CACHE_SIZE)
def locate_ip(ip: str | None) -> IpLocation:
    """Country (alpha-2), region and datacenter flag of an address; NOWHERE if unknown."""
    if not ip:
        return NOWHERE
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return NOWHERE
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global:
        return NOWHERE
    found = geo_database().lookup(str(address))
    code = found.country_code
    country = code if len(code) == 2 and code.isalpha() and code.isupper() else None
    return IpLocation(
        country=country, region=None, datacenter=found.asn_name in DATACENTER_ASN_NAMES
    )
