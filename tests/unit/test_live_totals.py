"""The live keys' totals the streaming job keeps: versions from partial rows, what is loaded
from the table and when, what is dropped."""

from __future__ import annotations

from datetime import date, timedelta

from datasketches import hll_sketch, tgt_hll_type

from streaming.live_totals import Key, Totals, VersionTotals, estimate, summed, union


def sketch(*visitors: str) -> bytes:
    built = hll_sketch(12, tgt_hll_type.HLL_8)
    for visitor in visitors:
        built.update(visitor)
    return bytes(built.serialize_compact())


def part(events: int, *visitors: str) -> Totals:
    return Totals(pageviews=events, events=events, new_sessions=0, sketch=sketch(*visitors))


DAY = date(2026, 3, 1)


def key(day: date, value: str = "(all)") -> Key:
    return ("site", day, "all", value)


class Table:
    """The latest versions a fake table holds, and the loads asked of it."""

    def __init__(self, rows: dict[Key, Totals]) -> None:
        self.rows = rows
        self.loads: list[tuple[date, date | None]] = []

    def load(self, since: date, until: date | None) -> list[tuple[Key, Totals]]:
        self.loads.append((since, until))
        return [
            (k, t)
            for k, t in self.rows.items()
            if k[1] >= since and (until is None or k[1] < until)
        ]


def test_a_version_adds_the_batch_to_the_key_s_latest_from_the_table() -> None:
    table = Table({key(DAY): part(2, "a", "b")})
    totals: VersionTotals[date] = VersionTotals(table.load, timedelta(days=1))
    versions = totals.versions({key(DAY): part(3, "b", "c"), key(DAY, "/x"): part(1, "d")})
    assert table.loads == [(DAY, None)]
    assert versions[key(DAY)].events == 5
    assert estimate(versions[key(DAY)].sketch) == 3
    assert versions[key(DAY, "/x")].events == 1
    totals.keep(versions, DAY)
    again = totals.versions({key(DAY): part(1, "a")})
    assert again[key(DAY)].events == 6
    assert estimate(again[key(DAY)].sketch) == 3
    assert table.loads == [(DAY, None)]  # known since: not read again


def test_an_older_period_is_loaded_once_and_old_ones_are_dropped() -> None:
    before = DAY - timedelta(days=3)
    table = Table({key(before): part(7, "x")})
    totals: VersionTotals[date] = VersionTotals(table.load, timedelta(days=1))
    totals.keep(totals.versions({key(DAY): part(1, "a")}), DAY)
    backlog = totals.versions({key(before): part(1, "y")})  # a batch of a backlog
    assert table.loads == [(DAY, None), (before, DAY)]
    assert backlog[key(before)].events == 8
    totals.keep(backlog, DAY)
    assert key(before) not in totals.totals  # past the retention before the newest day
    assert totals.since == DAY - timedelta(days=1)


def test_a_batch_s_minute_rows_sum_up_to_its_day_rows() -> None:
    day = summed(
        [(key(DAY), part(2, "a")), (key(DAY), part(1, "a", "b")), (key(DAY, "/"), part(1))]
    )
    assert day[key(DAY)].events == 3
    assert estimate(day[key(DAY)].sketch) == 2
    assert estimate(union([sketch("a"), sketch("b"), sketch("a")])) == 2
