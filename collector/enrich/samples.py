"""Realistic request samples for the enrichment tests and benchmark: user agents as browsers,
crawlers and automation tools send them, and public addresses of known networks.
"""

from __future__ import annotations

import random

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15"
)
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
CHROME_CHROMEOS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
)
CHROME_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.113 Mobile Safari/537.36"
)
SAMSUNG_ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
FIREFOX_ANDROID_PHONE = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0"
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
KINDLE_FIRE = (
    "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Silk/124.2.1 like Chrome/124.0.6367.111 Safari/537.36"
)
SAMSUNG_SMART_TV = (
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36"
)
PLAYSTATION = (
    "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.0 Safari/605.1.15"
)

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
    "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"
)
AHREFSBOT = "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"
FACEBOOK_PREVIEW = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
GPTBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)"
)
CURL = "curl/8.5.0"
PYTHON_REQUESTS = "python-requests/2.32.3"
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.6367.60 Safari/537.36"
)
PHANTOMJS = (
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
    "PhantomJS/2.1.1 Safari/538.1"
)

HUMAN_USER_AGENTS = (
    CHROME_WINDOWS,
    EDGE_WINDOWS,
    FIREFOX_WINDOWS,
    SAFARI_MAC,
    CHROME_MAC,
    FIREFOX_LINUX,
    CHROME_CHROMEOS,
    SAFARI_IPHONE,
    CHROME_IPHONE,
    CHROME_ANDROID_PHONE,
    SAMSUNG_ANDROID_PHONE,
    FIREFOX_ANDROID_PHONE,
    SAFARI_IPAD,
    CHROME_ANDROID_TABLET,
    KINDLE_FIRE,
    SAMSUNG_SMART_TV,
    PLAYSTATION,
)
BOT_USER_AGENTS = (
    GOOGLEBOT,
    GOOGLEBOT_SMARTPHONE,
    BINGBOT,
    AHREFSBOT,
    FACEBOOK_PREVIEW,
    GPTBOT,
    CURL,
    PYTHON_REQUESTS,
    HEADLESS_CHROME,
    PHANTOMJS,
)

# Public addresses by network (from the shipped GeoLite2 data).
IP_UK_ISP = "81.2.69.160"  # GB, Andrews & Arnold
IP_BRAZIL = "200.160.2.3"  # BR
IP_GOOGLE_DNS_V6 = "2001:4860:4860::8888"  # US, Google
IP_AWS = "3.5.140.2"  # KR, AMAZON-02
IP_HETZNER = "95.216.1.1"  # FI, Hetzner
IP_LOOPBACK = "127.0.0.1"
IP_PRIVATE = "10.1.2.3"


def user_agent_mix(count: int = 200, seed: int = 7) -> list[str]:
    """``count`` distinct user agents: the samples above with browser versions varied,
    about one in ten a bot, as a site's traffic looks."""
    rng = random.Random(seed)
    found: dict[str, None] = dict.fromkeys((*HUMAN_USER_AGENTS, *BOT_USER_AGENTS))
    while len(found) < count:
        template = rng.choice(BOT_USER_AGENTS if rng.random() < 0.1 else HUMAN_USER_AGENTS)
        major = rng.randint(100, 126)
        varied = template.replace("124.0", f"{major}.0").replace("125.0", f"{major + 1}.0")
        varied = varied.replace("17_4", f"{rng.randint(15, 17)}_{rng.randint(0, 6)}")
        if varied == template:
            varied = f"{template} v{len(found)}"
        found[varied] = None
    return list(found)[:count]


def public_ip_mix(count: int = 2000, seed: int = 7) -> list[str]:
    """``count`` distinct public IPv4 addresses (about one in eight IPv6), spread over the
    address space as visitors are."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        if rng.random() < 0.125:
            network, host = rng.randint(0, 0xFFFF), rng.randint(1, 0xFFFF)
            address = f"2a0{rng.randint(0, 9)}:{network:x}::{host:x}"
        else:
            first = rng.choice([2, 5, 24, 31, 37, 46, 62, 66, 73, 77, 81, 86, 91, 98, 109, 151])
            address = f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        found[address] = None
    return list(found)
