"""beacon's server-side Python SDK.

    from beacon_sdk import Client
    client = Client("http://127.0.0.1:8000", site_id="demo-shop")
    client.track("signup", user_id="u-42", properties={"plan": "pro"})

Events are queued and sent in batches by a background thread to the collector's native batch
endpoint; failures are retried with exponential backoff: a network error, a 5xx, 429, and
408 (the collector's answer to a body that did not arrive in time), never another 4xx.
Calls never block on the network and never raise: when the bounded queue is full an event
is dropped and counted. Pending events are flushed when the interpreter exits (or on
``client.close()``).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

__all__ = ["Client", "SendResult"]
__version__ = "0.1.0"

BATCH_PATH = "/x/b"
# Worth sending again: the collector was over a limit (429) or did not get the whole body
# within its deadline (408); any other 4xx refuses the batch for what it is.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
log = logging.getLogger("beacon_sdk")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retryable: bool
    status: int | None
    detail: str


def post_batch(endpoint: str, events: list[dict[str, Any]], timeout_s: float) -> SendResult:
    """POST one batch; the outcome, never an exception."""
    body = json.dumps(events, separators=(",", ":")).encode()
    request = Request(  # noqa: S310 - an http(s) endpoint, checked by Client
        endpoint,
        data=body,
        method="POST",
        headers={"content-type": "application/json", "user-agent": f"beacon-python/{__version__}"},
    )
    try:
        with urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - checked by Client
            return SendResult(True, False, response.status, "")
    except HTTPError as error:
        retryable = error.code >= 500 or error.code in RETRYABLE_CLIENT_ERRORS
        return SendResult(False, retryable, error.code, error.read(300).decode(errors="replace"))
    except (URLError, OSError, TimeoutError) as error:
        return SendResult(False, True, None, str(error))


def _stringify(properties: Mapping[str, Any] | None) -> dict[str, str]:
    if not properties:
        return {}
    return {
        str(key): value if isinstance(value, str) else json.dumps(value, default=str)
        for key, value in properties.items()
    }


class Client:
    def __init__(
        self,
        host: str,
        site_id: str,
        *,
        batch_size: int = 100,
        flush_interval_s: float = 0.5,
        max_queue: int = 10_000,
        max_retries: int = 6,
        backoff_s: float = 0.2,
        timeout_s: float = 5.0,
        send: Callable[[str, list[dict[str, Any]], float], SendResult] = post_batch,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not host.lower().startswith(("http://", "https://")):
            raise ValueError(f"host {host!r} is not an http(s) URL of a beacon collector")
        self.endpoint = host.rstrip("/") + BATCH_PATH
        self.site_id = site_id
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._send = send
        self._sleep = sleep
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=max_queue)
        self._stop = threading.Event()
        self.sent = 0
        self.dropped = 0
        self.failed = 0
        self._worker = threading.Thread(target=self._run, name="beacon-sdk", daemon=True)
        self._worker.start()
        atexit.register(self.close)

    # The public calls: build an event, enqueue it, return at once.

    def track(
        self,
        name: str,
        *,
        user_id: str | None = None,
        anonymous_id: str | None = None,
        properties: Mapping[str, Any] | None = None,
        url: str | None = None,
        timestamp: datetime | None = None,
    ) -> str | None:
        return self._enqueue("track", name, user_id, anonymous_id, properties, url, timestamp)

    def page(
        self,
        url: str,
        *,
        title: str | None = None,
        user_id: str | None = None,
        anonymous_id: str | None = None,
        properties: Mapping[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> str | None:
        extra = {"title": title} if title else {}
        return self._enqueue(
            "page", "pageview", user_id, anonymous_id, properties, url, timestamp, extra
        )

    def identify(
        self,
        user_id: str,
        *,
        traits: Mapping[str, Any] | None = None,
        anonymous_id: str | None = None,
    ) -> str | None:
        return self._enqueue("identify", "identify", user_id, anonymous_id, traits, None, None)

    def _enqueue(
        self,
        event_type: str,
        name: str,
        user_id: str | None,
        anonymous_id: str | None,
        properties: Mapping[str, Any] | None,
        url: str | None,
        timestamp: datetime | None,
        extra: dict[str, Any] | None = None,
    ) -> str | None:
        try:
            event: dict[str, Any] = {
                "event_id": str(uuid.uuid4()),
                "type": event_type,
                "name": name,
                "site_id": self.site_id,
                "client_ts": (timestamp or datetime.now(UTC)).isoformat(),
                "library_name": "beacon-python",
                "library_version": __version__,
                **(extra or {}),
            }
            if user_id:
                event["user_id"] = user_id
            if anonymous_id:
                event["anonymous_id"] = anonymous_id
            if url:
                event["url"] = url
            if properties:
                event["properties"] = _stringify(properties)
            self._queue.put_nowait(event)
            return str(event["event_id"])
        except queue.Full:
            self.dropped += 1
            log.warning("beacon queue full (%d events); event dropped", self._queue.maxsize)
        except Exception:  # never break the caller
            self.dropped += 1
            log.exception("beacon could not queue an event")
        return None

    # The background side.

    def _next_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.flush_interval_s
        while len(batch) < self.batch_size:
            timeout = deadline - time.monotonic()
            if timeout <= 0 and batch:
                break
            try:
                batch.append(self._queue.get(timeout=max(timeout, 0.05)))
            except queue.Empty:
                if batch or self._stop.is_set():
                    break
        return batch

    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            batch = self._next_batch()
            if not batch:
                continue
            self._deliver(batch)
            for _ in batch:
                self._queue.task_done()

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        for attempt in range(self.max_retries + 1):
            result = self._send(self.endpoint, batch, self.timeout_s)
            if result.ok:
                self.sent += len(batch)
                return
            if not result.retryable or attempt == self.max_retries:
                self.failed += len(batch)
                log.warning(
                    "beacon dropped %d events: %s %s",
                    len(batch),
                    result.status,
                    result.detail[:200],
                )
                return
            delay = self.backoff_s * 2**attempt
            self._sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not a secret

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued event was sent or given up; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout_s: float = 10.0) -> None:
        self.flush(timeout_s)
        self._stop.set()
        self._worker.join(timeout=max(timeout_s, 0.1))
