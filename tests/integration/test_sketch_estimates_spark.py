"""The live writer's visitors' estimate, computed in the driver, equals Spark's SQL figure for
the same sketch (what the batch layer and every earlier live row gave), in each mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datasketches import hll_sketch, hll_union, tgt_hll_type

from streaming.metrics import visitors_estimate_sql
from streaming.sketch_estimates import SparkEstimates, in_hll_mode

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def sketches() -> list[bytes]:
    """Sketches of 1 to 20,000 visitors, and unions of partial ones (as the job keeps)."""
    built, out = hll_sketch(12, tgt_hll_type.HLL_8), []
    for n in range(1, 20_001):
        built.update(f"visitor-{n}")
        if n < 50 or n % 97 == 0:
            out.append(bytes(built.serialize_compact()))
    for parts in (2, 5):
        gadget = hll_union(12)
        for part in range(parts):
            piece = hll_sketch(12, tgt_hll_type.HLL_8)
            for n in range(700):
                piece.update(f"part-{part}-{n % (300 + part)}")
            gadget.update(piece)
        out.append(bytes(gadget.get_result(tgt_hll_type.HLL_8).serialize_compact()))
    return out


def test_the_driver_estimate_is_sparks(spark: SparkSession) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, StructField, StructType

    all_sketches = sketches()
    assert any(in_hll_mode(s) for s in all_sketches)
    assert any(not in_hll_mode(s) for s in all_sketches)
    frame = spark.createDataFrame(
        [(s,) for s in all_sketches], StructType([StructField("sketch", BinaryType())])
    )
    by_spark = [
        int(row[0]) for row in frame.select(F.expr(visitors_estimate_sql("sketch"))).collect()
    ]
    estimates = SparkEstimates(spark.sparkContext._jvm)
    assert [estimates(s) for s in all_sketches] == by_spark
