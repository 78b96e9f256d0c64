"""Abuse limits: token buckets by client address and by site, so that one flood cannot take
the collector from everyone else. A request over a limit is answered 429 with Retry-After
(:class:`Throttled`); it is not a bad row: the client sends it again later.

Each collector worker process keeps its own buckets: with ``collector.workers`` processes a
client may reach up to that many times a limit.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Monotonic = Callable[[], float]


@dataclass(frozen=True)
class Throttled:
    """A request refused for a while: which limit it passed and when to come back."""

    limit: str  # "address" or "site"
    retry_after_s: float
    detail: str

    @property
    def retry_after(self) -> str:
        """The Retry-After header: whole seconds, at least one."""
        return str(max(1, math.ceil(self.retry_after_s)))


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """Token buckets of one kind, by key: each refills ``rate`` tokens a second up to
    ``burst``, and a request takes one. A rate of 0 turns the limit off. Past ``max_keys``
    the least recently seen key is forgotten (it starts full again when it comes back), so
    a flood of distinct addresses cannot grow the table without bound."""

    def __init__(
        self,
        rate: float,
        burst: float,
        monotonic: Monotonic = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if burst < 1:
            raise ValueError(f"a burst of {burst} admits no request; it must be at least 1")
        self.rate = rate
        self.burst = burst
        self.monotonic = monotonic
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float | None:
        """None if ``key`` may go on (it took a token); else the seconds until it may."""
        if self.rate <= 0:
            return None
        now = self.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate


def address_key(address: str) -> str:
    """The key of a client address's bucket: an IPv6 address counts with its /64 (a single
    host usually holds a whole /64 and may send from any address in it)."""
    if ":" not in address:
        return address
    try:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    except ValueError:
        return address
