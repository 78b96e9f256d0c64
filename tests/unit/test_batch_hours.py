"""The live partitions a micro-batch may touch: every hour between its first and last event."""

from streaming.batch_writer import hours_between


def test_hours_span_midnight_and_include_both_ends() -> None:
    assert hours_between("2026-03-01 22:59:59", "2026-03-02 01:00:00") == (
        ("2026-03-01", 22),
        ("2026-03-01", 23),
        ("2026-03-02", 0),
        ("2026-03-02", 1),
    )


def test_one_hour_when_first_and_last_share_it() -> None:
    assert hours_between("2026-03-01 10:00:00", "2026-03-01 10:59:59") == (("2026-03-01", 10),)
