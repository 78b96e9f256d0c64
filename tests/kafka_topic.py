"""Moved to :mod:`tests.support.kafka`; this name stays only until the modules that still
import it (protocol clients, collector, e2e tests) import from there."""

from tests.support.kafka import Message, consume, events_by_id

__all__ = ["Message", "consume", "events_by_id"]
