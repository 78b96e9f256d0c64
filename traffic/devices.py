"""The devices of simulated visitors: real browsers' User-Agents with their screens and
shares, and the crawlers and headless browsers that bots are, with the networks they come
from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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
