"""Which sketches the live writer estimates with the JVM's library: those in HLL mode, read
from the serialized preamble; the coupon modes' estimate is the C++ library's."""

from __future__ import annotations

from typing import Any

from streaming.sketch_estimates import SparkEstimates, in_hll_mode
from streaming.small_appends import appends_through_delta_rs
from tests.unit.test_live_totals import sketch


def visitors(n: int) -> bytes:
    return sketch(*(f"visitor-{i}" for i in range(n)))


def test_a_sketch_is_in_hll_mode_past_its_coupon_modes() -> None:
    assert not in_hll_mode(visitors(3))  # LIST
    assert not in_hll_mode(visitors(200))  # SET
    assert in_hll_mode(visitors(2000))
    assert not in_hll_mode(b"")


class RecordingJvm:
    """A stand-in for the JVM gateway's HllSketch that records what it was asked."""

    def __init__(self) -> None:
        self.heapified: list[bytes] = []
        self.org = self
        self.apache = self
        self.datasketches = self
        self.hll = self
        self.HllSketch = self

    def heapify(self, sketch: bytes) -> Any:
        self.heapified.append(sketch)
        return self

    def getCompositeEstimate(self) -> float:
        return 1999.5


def test_only_hll_mode_sketches_are_estimated_by_the_jvm() -> None:
    jvm = RecordingJvm()
    estimates = SparkEstimates(jvm)
    assert estimates(None) == 0
    assert estimates(visitors(3)) == 3
    assert estimates(visitors(200)) == 200
    assert jvm.heapified == []
    large = visitors(2000)
    assert estimates(large) == 2000  # rounded half up, as Math.round
    assert jvm.heapified == [large]


def test_appends_go_through_delta_rs_on_a_local_lakehouse_only() -> None:
    assert appends_through_delta_rs("/var/lib/beacon/lakehouse/raw/events")
    assert appends_through_delta_rs("file:///var/lib/beacon/lakehouse/raw/events")
    assert not appends_through_delta_rs("s3a://lake/raw/events")
