"""The active visitors' in-memory sketches: what a refresh sees, what ages out, what a fold
keeps (pure Python; the sketches are opaque bytes here)."""

from __future__ import annotations

from datetime import UTC, datetime

from streaming.recent_sketches import RecentSketches

NOW = datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)
MINUTE_S = int(NOW.timestamp()) // 60 * 60


def test_a_refresh_sees_the_last_30_minutes_and_older_minutes_are_dropped() -> None:
    recent = RecentSketches()
    recent.add(
        [
            ("s1", MINUTE_S, b"now"),
            ("s1", MINUTE_S - 29 * 60, b"29 minutes ago"),
            ("s1", MINUTE_S - 30 * 60, b"30 minutes ago"),
            ("s2", MINUTE_S + 60, b"next minute"),
        ]
    )

    seen = recent.recent(NOW)

    assert sorted(seen) == sorted(
        [
            ("s1", MINUTE_S, b"now"),
            ("s1", MINUTE_S - 29 * 60, b"29 minutes ago"),
            ("s2", MINUTE_S + 60, b"next minute"),
        ]
    )
    assert ("s1", MINUTE_S - 30 * 60) not in recent.sketches


def test_a_fold_replaces_what_it_saw_and_keeps_what_came_after() -> None:
    recent = RecentSketches()
    recent.add([("s1", MINUTE_S, b"a"), ("s1", MINUTE_S, b"b"), ("s2", MINUTE_S, b"c")])
    seen = recent.recent(NOW)
    recent.add([("s1", MINUTE_S, b"d")])  # a micro-batch while the union was computed

    recent.fold(seen, {("s1", MINUTE_S): b"a|b", ("s2", MINUTE_S): b"c"})

    assert recent.sketches == {("s1", MINUTE_S): [b"a|b", b"d"], ("s2", MINUTE_S): [b"c"]}


def test_a_fold_of_a_key_dropped_meanwhile_does_not_bring_it_back() -> None:
    recent = RecentSketches()
    recent.add([("s1", MINUTE_S - 31 * 60, b"old")])
    seen = [("s1", MINUTE_S - 31 * 60, b"old")]
    recent.recent(NOW)

    recent.fold(seen, {("s1", MINUTE_S - 31 * 60): b"old"})

    assert recent.sketches == {}
