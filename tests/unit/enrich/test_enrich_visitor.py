from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from collector.enrich import daily_salt, utc_day, visitor_hash, visitor_id
from collector.enrich import samples as ua

SECRET = b"a-secret-of-at-least-16-bytes"
DAY = date(2025, 3, 14)


def test_hash_is_stable_within_a_day() -> None:
    first = visitor_hash(SECRET, DAY, "demo-shop", "81.2.69.160", ua.CHROME_WINDOWS)
    again = visitor_hash(SECRET, DAY, "demo-shop", "81.2.69.160", ua.CHROME_WINDOWS)
    assert first == again
    assert len(first) == 32
    assert int(first, 16) >= 0


@pytest.mark.parametrize(
    "changed",
    [
        (SECRET, DAY + timedelta(days=1), "demo-shop", "81.2.69.160", ua.CHROME_WINDOWS),
        (b"another-secret-16-bytes", DAY, "demo-shop", "81.2.69.160", ua.CHROME_WINDOWS),
        (SECRET, DAY, "demo-docs", "81.2.69.160", ua.CHROME_WINDOWS),
        (SECRET, DAY, "demo-shop", "81.2.69.161", ua.CHROME_WINDOWS),
        (SECRET, DAY, "demo-shop", "81.2.69.160", ua.FIREFOX_WINDOWS),
        # The separator keeps fields from shifting into each other.
        (SECRET, DAY, "demo-shop8", "1.2.69.160", ua.CHROME_WINDOWS),
    ],
)
def test_any_input_changes_the_hash(changed: tuple[bytes, date, str, str, str]) -> None:
    base = visitor_hash(SECRET, DAY, "demo-shop", "81.2.69.160", ua.CHROME_WINDOWS)
    assert visitor_hash(*changed) != base


def test_salt_rotates_at_midnight_utc() -> None:
    before = datetime(2025, 3, 14, 23, 59, 59, tzinfo=UTC)
    after = before + timedelta(seconds=1)
    assert daily_salt(SECRET, utc_day(before)) != daily_salt(SECRET, utc_day(after))
    # 01:00 on the 14th at UTC+2 is 23:00 on the 13th in UTC: the 13th's salt.
    east = datetime(2025, 3, 14, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc_day(east) == date(2025, 3, 13)


def test_long_secrets_are_accepted_and_empty_refused() -> None:
    assert len(daily_salt(b"s" * 200, DAY)) == 32
    with pytest.raises(ValueError, match="must not be empty"):
        daily_salt(b"", DAY)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_day(datetime(2025, 3, 14, 12, 0))


def test_visitor_id_prefers_the_clients_anonymous_id() -> None:
    now = datetime(2025, 3, 14, 12, tzinfo=UTC)
    assert visitor_id("anon-1", SECRET, now, "demo-shop", "81.2.69.160", "ua") == "anon-1"
    cookieless = visitor_id(None, SECRET, now, "demo-shop", "81.2.69.160", "ua")
    assert cookieless == visitor_hash(SECRET, DAY, "demo-shop", "81.2.69.160", "ua")
