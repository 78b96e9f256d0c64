"""What a request came to, and how the collector answers it over HTTP.

A request with any accepted event is a success (its bad events are listed beside the count,
each with its item's position in the request); one with none gets the status of its refusal,
429 when it passed a rate limit, 413 when its body was refused for its size or its count of
events, or 400 for bad events. Each protocol's successes look the way its clients expect;
errors are JSON, but for the refusals Snowplow's trackers would send again for ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collector.limits import Throttled
from collector.responses import Response
from collector.sink import Delivery
from collector.sites import Refusal
from lakehouse.bad_rows import BadReason, BadRow
from lakehouse.schema import Protocol

PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
ERRORS_LISTED = 20
RATE_LIMITED = "rate_limited"
# A body refused for what it is: sending it again cannot help (Segment's clients drop it).
TOO_LARGE_REASONS = frozenset({BadReason.TOO_LARGE, BadReason.TOO_MANY_EVENTS})
# Snowplow's trackers send a request again, for ever, unless it is answered 2xx, 400, 401,
# 403, 410 or 422. What no retry can change (an app id that names no site, a body too large)
# is answered as Snowplow's own collector answers it, 200; its bad row is routed as any.
SNOWPLOW_ANSWERED_200 = frozenset({404, 413})


@dataclass
class Outcome:
    """What a request came to: accepted events, bad rows, and a request-level refusal."""

    accepted: int = 0
    # (the item's position in the request's batch, or None for the whole request; the row)
    bad: list[tuple[int | None, BadRow]] = field(default_factory=list)
    refusal: Refusal | None = None
    throttled: Throttled | None = None
    delivery: Delivery | None = None
    truncated: int = 0  # accepted events that carry TRUNCATED_KEY: cut to fit their bounds

    @property
    def status(self) -> int:
        """200 if anything was accepted; else 429 when throttled, the refusal's status, 413
        when the first bad row refused the body for its size or count, or 400."""
        if self.accepted:
            return 200
        if self.throttled is not None:
            return 429
        if self.refusal is not None:
            return self.refusal.status
        if not self.bad:
            return 200
        return 413 if self.bad[0][1].reason in TOO_LARGE_REASONS else 400

    def summary(self) -> dict[str, Any]:
        body: dict[str, Any] = {"accepted": self.accepted, "rejected": len(self.bad)}
        if self.truncated:
            body["truncated"] = self.truncated
        why = None if self.accepted else self._why_refused()
        if why is not None:
            body["error"], body["detail"] = why
        if self.bad:
            body["errors"] = [
                {"index": index, "reason": row.reason.value, "detail": row.detail}
                for index, row in self.bad[:ERRORS_LISTED]
            ]
        return body

    def _why_refused(self) -> tuple[str, str] | None:
        """The reason and detail a request that accepted nothing answers with."""
        if self.throttled is not None:
            return RATE_LIMITED, self.throttled.detail
        if self.refusal is not None:
            return self.refusal.reason.value, self.refusal.detail
        if self.bad:
            return self.bad[0][1].reason.value, self.bad[0][1].detail
        return None


def throttled_response(throttled: Throttled) -> Response:
    return Response.error(
        429, RATE_LIMITED, throttled.detail, headers={"retry-after": throttled.retry_after}
    )


def snowplow_ok() -> Response:
    return Response(200, PIXEL, "image/gif", {"cache-control": "no-store"})


def refused_response(protocol: Protocol, status: int, reason: str, detail: str) -> Response:
    """The answer to a request refused before its body is parsed (one too large to read)."""
    if protocol is Protocol.SNOWPLOW and status in SNOWPLOW_ANSWERED_200:
        return snowplow_ok()
    return Response.error(status, reason, detail)


def protocol_response(protocol: Protocol, outcome: Outcome) -> Response:
    """Each protocol answers the way its clients expect; errors are JSON everywhere but for
    the refusals Snowplow's trackers would retry (:data:`SNOWPLOW_ANSWERED_200`)."""
    status = outcome.status
    if status == 429 and outcome.throttled is not None:
        return throttled_response(outcome.throttled)
    if protocol is Protocol.SNOWPLOW and (status < 400 or status in SNOWPLOW_ANSWERED_200):
        return snowplow_ok()
    if status >= 400:
        return Response.json(status, outcome.summary())
    if protocol is Protocol.GA4:
        return Response(204)
    if protocol is Protocol.SEGMENT:
        return Response.json(200, {"success": True, **outcome.summary()})
    return Response.json(202 if outcome.accepted else 200, outcome.summary())
