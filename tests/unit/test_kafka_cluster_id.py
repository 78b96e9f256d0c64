"""A Kafka cluster id the storage tool accepts."""

from __future__ import annotations

from stack.kafka_broker import new_cluster_id


def test_an_id_that_would_start_with_a_dash_is_drawn_again() -> None:
    draws = iter([bytes([0xF8]) + bytes(15), bytes(16)])  # the first encodes to "-..."
    cluster_id = new_cluster_id(lambda: next(draws))
    assert cluster_id == "A" * 22
