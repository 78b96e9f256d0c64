from __future__ import annotations

import pytest

from collector.enrich import DeviceType, parse_user_agent
from collector.enrich import samples as ua


@pytest.mark.parametrize(
    ("user_agent", "browser", "version", "os", "device"),
    [
        (ua.CHROME_WINDOWS, "Chrome", "124.0", "Windows", DeviceType.DESKTOP),
        (ua.EDGE_WINDOWS, "Edge", "124.0", "Windows", DeviceType.DESKTOP),
        (ua.SAFARI_MAC, "Safari", "17.4", "Mac OS X", DeviceType.DESKTOP),
        (ua.FIREFOX_LINUX, "Firefox", "125.0", "Ubuntu", DeviceType.DESKTOP),
        (ua.CHROME_CHROMEOS, "Chrome", "124.0", "Chrome OS", DeviceType.DESKTOP),
        (ua.SAFARI_IPHONE, "Mobile Safari", "17.4", "iOS", DeviceType.MOBILE),
        (ua.CHROME_ANDROID_PHONE, "Chrome Mobile", "124.0", "Android", DeviceType.MOBILE),
        (ua.FIREFOX_ANDROID_PHONE, "Firefox Mobile", "125.0", "Android", DeviceType.MOBILE),
        (ua.SAFARI_IPAD, "Mobile Safari", "17.4", "iOS", DeviceType.TABLET),
        (ua.CHROME_ANDROID_TABLET, "Chrome", "124.0", "Android", DeviceType.TABLET),
        (ua.KINDLE_FIRE, "Amazon Silk", "124.2", "Android", DeviceType.TABLET),
        (ua.SAMSUNG_SMART_TV, "Samsung Internet", "4.0", "Tizen", DeviceType.OTHER),
        (ua.GOOGLEBOT, "Googlebot", "2.1", None, DeviceType.BOT),
        (ua.CURL, "curl", "8.5", None, DeviceType.OTHER),
    ],
)
def test_parses_browser_version_os_and_device(
    user_agent: str, browser: str, version: str, os: str | None, device: DeviceType
) -> None:
    info = parse_user_agent(user_agent)
    assert (info.browser, info.browser_version, info.os, info.device_type) == (
        browser,
        version,
        os,
        device,
    )


def test_version_is_major_minor_at_most() -> None:
    # Chrome Mobile reports 124.0.6367.113; only major.minor is kept.
    assert parse_user_agent(ua.CHROME_ANDROID_PHONE).browser_version == "124.0"


@pytest.mark.parametrize("user_agent", [None, "", "   "])
def test_no_user_agent_gives_nothing(user_agent: str | None) -> None:
    info = parse_user_agent(user_agent)
    assert (info.browser, info.browser_version, info.os, info.device_type) == (None,) * 4


def test_unknown_agent_is_other_device() -> None:
    info = parse_user_agent("SomethingNobodyHasHeardOf")
    assert info.device_type is DeviceType.OTHER


def test_results_are_cached() -> None:
    parse_user_agent.cache_clear()
    parse_user_agent(ua.FIREFOX_WINDOWS)
    parse_user_agent(ua.FIREFOX_WINDOWS)
    stats = parse_user_agent.cache_info()
    assert (stats.hits, stats.misses) == (1, 1)
    assert stats.maxsize is not None  # bounded


def test_every_sample_parses_to_a_device_type() -> None:
    for user_agent in ua.user_agent_mix(200):
        assert parse_user_agent(user_agent).device_type in set(DeviceType)
