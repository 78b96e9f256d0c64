from __future__ import annotations

import pytest

from collector.enrich import BotReason, bot_reason, user_agent_bot_reason
from collector.enrich import samples as ua
from lakehouse.schema import Protocol

BROWSER_HEADERS = {"accept-language": "en-GB,en;q=0.9", "user-agent": ua.CHROME_WINDOWS}


@pytest.mark.parametrize("user_agent", ua.HUMAN_USER_AGENTS)
def test_browsers_are_not_bots(user_agent: str) -> None:
    assert user_agent_bot_reason(user_agent) is None
    assert bot_reason(user_agent, BROWSER_HEADERS, Protocol.NATIVE, datacenter=False) is None


@pytest.mark.parametrize(
    "user_agent",
    [
        ua.GOOGLEBOT,
        ua.GOOGLEBOT_SMARTPHONE,
        ua.BINGBOT,
        ua.AHREFSBOT,
        ua.FACEBOOK_PREVIEW,
        ua.GPTBOT,
        ua.CURL,
        ua.PYTHON_REQUESTS,
    ],
)
def test_crawlers_are_flagged(user_agent: str) -> None:
    assert user_agent_bot_reason(user_agent) is BotReason.CRAWLER


@pytest.mark.parametrize(
    "user_agent",
    [
        ua.HEADLESS_CHROME,
        ua.PHANTOMJS,
        f"{ua.CHROME_WINDOWS} Puppeteer",
        f"{ua.CHROME_WINDOWS} Playwright/1.44",
        f"{ua.FIREFOX_WINDOWS} Selenium",
    ],
)
def test_headless_and_automation_are_flagged(user_agent: str) -> None:
    assert user_agent_bot_reason(user_agent) is BotReason.HEADLESS


@pytest.mark.parametrize("user_agent", [None, "", "  "])
def test_missing_user_agent_is_a_bot(user_agent: str | None) -> None:
    assert bot_reason(user_agent, {}, Protocol.NATIVE, datacenter=False) is (
        BotReason.NO_USER_AGENT
    )


def test_browser_without_accept_language_is_a_bot() -> None:
    reason = bot_reason(ua.CHROME_WINDOWS, {}, Protocol.NATIVE, datacenter=False)
    assert reason is BotReason.NO_ACCEPT_LANGUAGE


def test_missing_accept_language_is_ignored_for_server_side_protocols() -> None:
    # GA4 Measurement Protocol and proxied Plausible calls forward only some headers.
    assert bot_reason(ua.CHROME_WINDOWS, {}, Protocol.GA4, datacenter=False) is None
    assert bot_reason(ua.CHROME_WINDOWS, {}, Protocol.PLAUSIBLE, datacenter=False) is None


def test_datacenter_address_is_a_bot() -> None:
    reason = bot_reason(ua.CHROME_WINDOWS, BROWSER_HEADERS, Protocol.NATIVE, datacenter=True)
    assert reason is BotReason.DATACENTER


def test_user_agent_reason_wins_over_datacenter() -> None:
    reason = bot_reason(ua.GOOGLEBOT, BROWSER_HEADERS, Protocol.NATIVE, datacenter=True)
    assert reason is BotReason.CRAWLER
