from __future__ import annotations

import pytest

from collector.enrich import ReferrerClass, campaign_from_url, classify_referrer, path_from_url

PAGE = "https://www.shop.example.co.uk/pricing?plan=pro"


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        (None, ReferrerClass.DIRECT),
        ("", ReferrerClass.DIRECT),
        ("https://www.google.com/", ReferrerClass.SEARCH),
        ("https://www.google.co.uk/search?q=x", ReferrerClass.SEARCH),
        ("https://www.bing.com/search?q=x", ReferrerClass.SEARCH),
        ("https://duckduckgo.com/", ReferrerClass.SEARCH),
        ("https://uk.search.yahoo.com/search?p=x", ReferrerClass.SEARCH),
        ("https://cn.bing.com/", ReferrerClass.SEARCH),
        ("https://docs.google.com/document/d/1", ReferrerClass.OTHER),
        ("https://news.yahoo.com/article", ReferrerClass.OTHER),
        ("https://yandex.ru/search/?text=x", ReferrerClass.SEARCH),
        ("https://l.facebook.com/l.php?u=x", ReferrerClass.SOCIAL),
        ("https://de.pinterest.com/pin/1/", ReferrerClass.SOCIAL),
        ("https://t.co/abc", ReferrerClass.SOCIAL),
        ("https://www.linkedin.com/feed/", ReferrerClass.SOCIAL),
        ("https://old.reddit.com/r/x", ReferrerClass.SOCIAL),
        ("https://news.ycombinator.com/item?id=1", ReferrerClass.SOCIAL),
        ("https://mail.google.com/mail/u/0/", ReferrerClass.EMAIL),
        ("https://outlook.live.com/mail/0/", ReferrerClass.EMAIL),
        ("android-app://com.google.android.gm/", ReferrerClass.EMAIL),
        ("android-app://com.google.android.googlequicksearchbox", ReferrerClass.SEARCH),
        ("android-app://com.example.unknown", ReferrerClass.OTHER),
        ("https://shop.example.co.uk/cart", ReferrerClass.INTERNAL),
        ("https://blog.shop.example.co.uk:8443/post", ReferrerClass.INTERNAL),
        ("https://another.co.uk/", ReferrerClass.OTHER),
        ("https://example.org/links", ReferrerClass.OTHER),
        ("not a url", ReferrerClass.OTHER),
        ("http://[::1", ReferrerClass.OTHER),
    ],
)
def test_referrer_class(referrer: str | None, expected: ReferrerClass) -> None:
    assert classify_referrer(referrer, PAGE) is expected


def test_a_search_engine_is_internal_on_its_own_site() -> None:
    assert classify_referrer("https://www.google.com/", "https://maps.google.com/x") is (
        ReferrerClass.INTERNAL
    )


def test_utm_medium_email_wins_over_referrer() -> None:
    assert classify_referrer(None, PAGE, "email") is ReferrerClass.EMAIL
    assert classify_referrer("https://www.google.com/", PAGE, "Newsletter") is ReferrerClass.EMAIL


def test_without_page_url_hosts_still_classify() -> None:
    assert classify_referrer("https://www.google.com/", None) is ReferrerClass.SEARCH
    assert classify_referrer("https://shop.example.co.uk/", None) is ReferrerClass.OTHER


def test_localhost_page_and_referrer_are_internal() -> None:
    assert classify_referrer("http://localhost:3000/a", "http://localhost:3000/b") is (
        ReferrerClass.INTERNAL
    )


def test_campaign_from_url() -> None:
    url = (
        "https://shop.example/p?utm_source=news&utm_medium=email&utm_campaign=spring%20sale"
        "&utm_term=shoes&utm_content=hero&utm_source=second&other=1"
    )
    assert campaign_from_url(url) == {
        "utm_source": "news",
        "utm_medium": "email",
        "utm_campaign": "spring sale",
        "utm_term": "shoes",
        "utm_content": "hero",
    }


def test_campaign_ignores_empty_values_and_bounds_length() -> None:
    url = "https://shop.example/?utm_source=&utm_campaign=" + "x" * 300
    assert campaign_from_url(url) == {"utm_campaign": "x" * 256}


@pytest.mark.parametrize("url", [None, "", "https://shop.example/p?q=1", "http://[::1"])
def test_no_campaign(url: str | None) -> None:
    assert campaign_from_url(url) == {}


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://shop.example/pricing?plan=pro#top", "/pricing"),
        ("https://shop.example", "/"),
        ("/docs/start", "/docs/start"),
        ("", None),
        (None, None),
    ],
)
def test_path_from_url(url: str | None, path: str | None) -> None:
    assert path_from_url(url) == path
