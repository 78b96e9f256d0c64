"""User agent -> browser, browser version, operating system and device type.

Parsing uses ua-parser with its builtin (regularly released) regexes and the native
ua-parser-rs resolver; results are cached per user agent because a site's traffic
repeats the same user agents.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache, lru_cache

import ua_parser

USER_AGENT_CACHE_SIZE = 8192


class DeviceType(enum.StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    BOT = "bot"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    browser: str | None
    browser_version: str | None  # major.minor at most
    os: str | None
    device_type: DeviceType | None  # None when there is no user agent at all


UNKNOWN = UserAgentInfo(None, None, None, None)

# Family names as ua-parser's regexes spell them.
TABLET_DEVICE_FAMILIES = frozenset(
    {"iPad", "Kindle", "Kindle Fire", "Kindle Fire HD", "Galaxy Tab", "Xoom", "BlackBerry Playbook"}
)
TABLET_DEVICE_BRANDS = frozenset({"Generic_Android_Tablet"})
MOBILE_DEVICE_FAMILIES = frozenset(
    {"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone", "PlayStation Vita"}
)
MOBILE_OS_FAMILIES = frozenset(
    {
        "iOS",
        "Android",
        "Windows Phone",
        "Windows Mobile",
        "Symbian OS",
        "BlackBerry OS",
        "KaiOS",
        "Firefox OS",
        "HarmonyOS",
    }
)
DESKTOP_OS_FAMILIES = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Linux",
        "Ubuntu",
        "Chrome OS",
        "Fedora",
        "Debian",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
        "Mint",
        "Arch Linux",
        "openSUSE",
        "Red Hat",
        "Gentoo",
        "Slackware",
        "Windows 95",
        "Windows 98",
        "Windows XP",
    }
)
# TVs, consoles and cars run desktop or mobile engines but are neither.
OTHER_DEVICE_MARKERS = ("SMART-TV", "SmartTV", "Tizen", "Web0S", "PlayStation", "Xbox", "Nintendo")
SPIDER_DEVICE_FAMILY = "Spider"


@cache
def _parser() -> ua_parser.Parser:
    # No ua-parser cache here: the whole answer is cached below.
    return ua_parser.Parser(ua_parser.BestAvailableResolver(ua_parser.load_builtins()))


def _version(major: str | None, minor: str | None) -> str | None:
    if not major:
        return None
    return f"{major}.{minor}"[:32] if minor else major[:32]


def _device_type(user_agent: str, result: ua_parser.Result) -> DeviceType:
    device, os_family = result.device, result.os.family if result.os else None
    if device is not None and device.family == SPIDER_DEVICE_FAMILY:
        return DeviceType.BOT
    if any(marker in user_agent for marker in OTHER_DEVICE_MARKERS):
        return DeviceType.OTHER
    if device is not None and (
        device.family in TABLET_DEVICE_FAMILIES or device.brand in TABLET_DEVICE_BRANDS
    ):
        return DeviceType.TABLET
    if "Tablet" in user_agent or (os_family == "Android" and "Mobile" not in user_agent):
        return DeviceType.TABLET
    if (device is not None and device.family in MOBILE_DEVICE_FAMILIES) or (
        os_family in MOBILE_OS_FAMILIES
    ):
        return DeviceType.MOBILE
    if os_family in DESKTOP_OS_FAMILIES:
        return DeviceType.DESKTOP
    return DeviceType.OTHER


@lru_cache(maxsize=USER_AGENT_CACHE_SIZE)
def parse_user_agent(user_agent: str | None) -> UserAgentInfo:
    """Browser, version (major.minor), OS and device type of a User-Agent header."""
    if not user_agent or not user_agent.strip():
        return UNKNOWN
    result = _parser().parse(user_agent)
    browser = result.user_agent
    return UserAgentInfo(
        browser=browser.family[:64] if browser else None,
        browser_version=_version(browser.major, browser.minor) if browser else None,
        os=result.os.family[:64] if result.os else None,
        device_type=_device_type(user_agent, result),
    )
