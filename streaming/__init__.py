"""The speed layer: Spark Structured Streaming from Kafka ``events.v1`` to ``raw.events``,
``raw.events_bad`` and the live per-minute metrics (``python -m streaming``)."""
