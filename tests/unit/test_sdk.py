from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from beacon_sdk import Client, SendResult, post_batch

FLUSH_S = 0.02  # a batch leaves this soon after its first event (by default, half a second)


class Recorder:
    """A send function that answers from a script of results and records every batch."""

    def __init__(self, *results: SendResult) -> None:
        self.results = list(results)
        self.batches: list[list[dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, endpoint: str, events: list[dict[str, Any]], timeout: float) -> SendResult:
        with self.lock:
            self.batches.append(events)
            return self.results.pop(0) if self.results else SendResult(True, False, 202, "")


def test_events_are_batched_with_the_contract_fields() -> None:
    send = Recorder()
    client = Client(
        "http://collector",
        "demo-shop",
        batch_size=50,
        flush_interval_s=FLUSH_S,
        send=send,
        sleep=lambda s: None,
    )
    for n in range(120):
        client.track("signup", user_id=f"u{n}", properties={"plan": "pro", "seats": 3})
    assert client.flush(5)
    client.close()
    events = [e for batch in send.batches for e in batch]
    assert len(events) == 120
    assert client.sent == 120
    assert max(len(b) for b in send.batches) <= 50
    first = events[0]
    assert first["site_id"] == "demo-shop"
    assert first["type"] == "track"
    assert first["properties"] == {"plan": "pro", "seats": "3"}
    assert first["library_name"] == "beacon-python"
    assert len({e["event_id"] for e in events}) == 120


def test_retryable_failures_are_retried_with_backoff_then_succeed() -> None:
    send = Recorder(SendResult(False, True, 503, "busy"), SendResult(False, True, None, "refused"))
    delays: list[float] = []
    client = Client(
        "http://collector",
        "s",
        flush_interval_s=FLUSH_S,
        send=send,
        sleep=delays.append,
        backoff_s=0.1,
    )
    client.page("https://shop.example/", title="Home")
    assert client.flush(5)
    client.close()
    assert len(send.batches) == 3
    assert client.sent == 1
    assert len(delays) == 2
    assert delays[1] > delays[0] * 0.5


def test_a_client_error_is_not_retried() -> None:
    send = Recorder(SendResult(False, False, 400, "schema_violation"))
    client = Client(
        "http://collector", "s", flush_interval_s=FLUSH_S, send=send, sleep=lambda s: None
    )
    client.track("x")
    assert client.flush(5)
    client.close()
    assert len(send.batches) == 1
    assert client.failed == 1
    assert client.sent == 0


@contextmanager
def collector_answering(*statuses: int) -> Iterator[tuple[str, list[int]]]:
    """A collector on a free loopback port that answers each POST with the next of
    ``statuses`` (then 202): its URL, and the statuses it answered so far."""
    answered: list[int] = []

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = statuses[len(answered)] if len(answered) < len(statuses) else 202
            answered.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    # shutdown() waits for the loop's next poll: half a second by default.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answered
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("status", "retryable"), [(408, True), (429, True), (503, True), (400, False), (413, False)]
)
def test_which_answers_of_the_collector_are_worth_sending_again(
    status: int, retryable: bool
) -> None:
    with collector_answering(status) as (url, _):
        result = post_batch(url + "/x/b", [{"name": "e"}], 5.0)
    assert (result.ok, result.retryable, result.status) == (False, retryable, status)


def test_a_body_timeout_408_is_sent_again_and_then_delivered() -> None:
    with collector_answering(408) as (url, answered):
        client = Client(url, "s", flush_interval_s=FLUSH_S, sleep=lambda s: None)
        client.track("x")
        assert client.flush(5)
        client.close()
    assert answered == [408, 202]
    assert client.sent == 1
    assert client.failed == 0


def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    release = threading.Event()

    def blocked(endpoint: str, events: list[dict[str, Any]], timeout: float) -> SendResult:
        release.wait(5)
        return SendResult(True, False, 202, "")

    client = Client(
        "http://collector", "s", max_queue=5, batch_size=1, flush_interval_s=FLUSH_S, send=blocked
    )
    ids = [client.track("e") for _ in range(20)]
    assert client.dropped >= 10
    assert ids.count(None) == client.dropped
    release.set()
    client.close()


def test_an_unreachable_collector_never_raises_into_the_caller() -> None:
    client = Client(
        "http://127.0.0.1:9",
        "s",
        flush_interval_s=FLUSH_S,
        max_retries=1,
        backoff_s=0.01,
        timeout_s=0.5,
    )
    assert client.track("e") is not None
    assert client.flush(10)
    client.close()
    assert client.failed == 1


def test_a_host_that_is_not_an_http_url_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Client("file:///etc/passwd", site_id="demo-shop")
