"""The authorize step: which configured site each event of a request is for, whether that
site takes the request (write key, Origin), and whether it is within its rate limit.

A site is looked up once per request, however many of its events the request carries. An
event its site refuses becomes a bad row (stage collector.authorize); a site over its rate
limit throttles the whole request (answered 429, nothing accepted), since the client sends
the request again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import lru_cache
from typing import Any

from collector.limits import RateLimit, Throttled
from collector.model import FORWARDED_CLIENT, ForwardedClient, Hit, Parsed, bad_row_of
from collector.outcome import Outcome
from collector.sites import Refusal, SiteDirectory, admit
from collector.steps import Context
from lakehouse.bad_rows import Stage
from lakehouse.schema import Protocol
from lakehouse.settings import SiteSettings

Admitted = tuple[int, dict[str, Any], Context]
"""An event that may go on to the event steps: its item's position in the request, the
event, and its request's context (a plain tuple: one per event)."""


ADMISSIONS_KEPT = 4096
"""How many (protocol, site, write key, Origin) answers an Authorizer keeps: bounded, so a
flood of made-up sites or origins cannot grow it."""


class Authorizer:
    def __init__(
        self,
        sites: SiteDirectory,
        site_limit: RateLimit,
        secret: bytes,
        max_age: timedelta,
        max_future_skew: timedelta,
    ) -> None:
        self.sites = sites
        self.site_limit = site_limit
        self.secret = secret
        self.max_age = max_age
        self.max_future_skew = max_future_skew
        self._site_admitting = lru_cache(maxsize=ADMISSIONS_KEPT)(self._admitting)

    def authorize(self, hit: Hit, parsed: Parsed, outcome: Outcome) -> list[Admitted]:
        """The events their sites admit; refusals go to ``outcome`` as bad rows, a site over
        its limit as ``outcome.throttled`` (and then no event is admitted)."""
        admitted: list[Admitted] = []
        contexts: dict[str, Context | Refusal] = {}
        origin = hit.headers.get("origin")
        write_key = parsed.credentials.write_key
        for index, event in parsed.indexed_events():
            site_ref = str(event.get("site_id") or parsed.credentials.site_ref or "")
            context = contexts.get(site_ref)
            if context is None:
                context = contexts[site_ref] = self._admit(hit, site_ref, write_key, origin)
                if isinstance(context, Context):
                    throttled = self._throttle(context)
                    if throttled is not None:
                        outcome.throttled = throttled
                        return []
            if isinstance(context, Refusal):
                outcome.refusal = context
                row = bad_row_of(
                    hit, Stage.COLLECTOR_AUTHORIZE, context.reason, context.detail, event
                )
                outcome.bad.append((index, row))
                continue
            forwarded = event.pop(FORWARDED_CLIENT, None)
            if forwarded is not None:
                context = replace(context, hit=forwarded_hit(hit, forwarded, event))
            admitted.append((index, event, context))
        return admitted

    def _admit(
        self, hit: Hit, site_ref: str, write_key: str | None, origin: str | None
    ) -> Context | Refusal:
        site = self._site_admitting(hit.protocol, site_ref, write_key, origin)
        if isinstance(site, Refusal):
            return site
        return Context(hit, site, self.secret, self.max_age, self.max_future_skew)

    def _admitting(
        self, protocol: Protocol, site_ref: str, write_key: str | None, origin: str | None
    ) -> SiteSettings | Refusal:
        """The site a request names if it takes the request, else why not: a function of
        its arguments and the configured sites alone, so the last answers are kept
        (:data:`ADMISSIONS_KEPT`): a site's traffic repeats the same few."""
        site = self.sites.resolve(site_ref or None, write_key)
        if isinstance(site, Refusal):
            return site
        refusal = admit(site, protocol, write_key, origin)
        return site if refusal is None else refusal

    def _throttle(self, context: Context) -> Throttled | None:
        site_id = context.site.site_id
        wait = self.site_limit.take(site_id)
        if wait is None:
            return None
        detail = f"site {site_id} is over its limit of {self.site_limit.rate:g} requests/s"
        return Throttled("site", wait, detail)


def forwarded_hit(hit: Hit, client: ForwardedClient, event: dict[str, Any]) -> Hit:
    """The hit as the visitor a server-side sender speaks for would have made it. Such
    senders send no Accept-Language of the visitor's; the event's language stands in, so the
    browser-request rule that flags a missing one does not mark every forwarded visitor."""
    headers = dict(hit.headers)
    if client.user_agent:
        headers["user-agent"] = client.user_agent
        headers.setdefault("accept-language", str(event.get("language") or "*"))
    return replace(hit, headers=headers, client_ip=client.ip or hit.client_ip)
