"""Distinct visitors of a serialized HLL sketch, the figure Spark's
:func:`streaming.metrics.visitors_estimate_sql` gives for it, without a Spark job.

A sketch of few visitors is still a list or a set of coupons (LIST or SET mode), whose
estimate the DataSketches C++ library computes exactly as the JVM's; past that (HLL mode)
the two libraries' estimators differ, so those sketches are estimated by the JVM's own
library, the one Spark runs, through the session's gateway: two calls a sketch."""

from __future__ import annotations

import math
from typing import Any

from streaming.live_totals import estimate

HLL_MODE = 2
"""The current-mode bits (the low two of the preamble's byte 7) of a sketch in HLL mode;
0 and 1 are the coupon modes LIST and SET (DataSketches' serialization format)."""
MODE_BYTE = 7


def in_hll_mode(sketch: bytes) -> bool:
    return len(sketch) > MODE_BYTE and sketch[MODE_BYTE] & 0b11 == HLL_MODE


class SparkEstimates:
    """Estimates as Spark's: the C++ library's in the coupon modes, the JVM's in HLL mode."""

    def __init__(self, jvm: Any) -> None:
        self.hll = jvm.org.apache.datasketches.hll.HllSketch

    def __call__(self, sketch: bytes | None) -> int:
        if sketch is None or not in_hll_mode(sketch):
            return estimate(sketch)
        # The union of a sketch with itself (Spark's side) takes the composite estimate;
        # Spark rounds half up (Math.round).
        composite: float = self.hll.heapify(sketch).getCompositeEstimate()
        return math.floor(composite + 0.5)
