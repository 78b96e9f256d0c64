"""The collector's own cost per request, in-process: its ASGI app called directly (no
sockets, no HTTP parsing), with a discard sink and the workers' multiprocess metrics.

Prints CPU microseconds of the calling thread per request (thread time: a busy machine
slows it less than wall time) for single-event and batched requests like those of
bench/collector_load.py, the median and the best of several rounds, beside a bare ASGI app
that only decodes the JSON body (the ceiling). ``--profile single|batched`` prints where a
mode's time goes instead (cProfile, by own time).

    .venv/bin/python bench/collector_inprocess.py [--requests 4000] [--rounds 5] [--batch 20]
                                                  [--profile single|batched]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson
import uvloop

from bench.workdir import discard, run_dir

Message = MutableMapping[str, Any]
App = Callable[[Message, Callable[[], Awaitable[Message]], Any], Awaitable[None]]
HEADERS = [
    (b"host", b"127.0.0.1"),
    (b"content-type", b"text/plain;charset=UTF-8"),
    (
        b"user-agent",
        b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        b"Chrome/126.0.0.0 Safari/537.36",
    ),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"origin", b"https://shop.example"),
]


async def bare_asgi(scope: Message, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
    """The ceiling: decode the body, answer how many events it held."""
    message = await receive()
    events = orjson.loads(message["body"])
    count = len(events) if isinstance(events, list) else 1
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": orjson.dumps({"accepted": count})})


class Requests:
    """Bodies as collector_load's wrk script sends them: a unique event_id each."""

    def __init__(self) -> None:
        self.sent = 0
        self.client_ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.statuses: list[int] = []

    def event(self) -> dict[str, Any]:
        self.sent += 1
        n = self.sent
        return {
            "event_id": f"inprocess-{n}",
            "type": "page",
            "name": "pageview",
            "site_id": "demo-shop",
            "anonymous_id": f"v{n % 5000}",
            "client_ts": self.client_ts,
            "url": f"https://shop.example/product/{n % 300}?utm_source=news",
            "title": "Product",
            "referrer": "https://www.google.com/",
            "screen_width": 1920,
            "screen_height": 1080,
            "language": "en-US",
        }

    def body(self, batch: int) -> bytes:
        if batch == 1:
            return orjson.dumps(self.event())
        return orjson.dumps([self.event() for _ in range(batch)])

    async def call(self, app: App, path: str, body: bytes) -> None:
        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "query_string": b"",
            "headers": [*HEADERS, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
        }
        message = {"type": "http.request", "body": body, "more_body": False}

        async def receive() -> Message:
            return message

        async def send(sent: Message) -> None:
            if sent["type"] == "http.response.start":
                self.statuses.append(sent["status"])

        await app(scope, receive, send)

    async def cpu_us(self, app: App, path: str, batch: int, count: int) -> float:
        bodies = [self.body(batch) for _ in range(count)]
        started = time.thread_time()
        for body in bodies:
            await self.call(app, path, body)
        return (time.thread_time() - started) / count * 1e6


def collector_app(state: Path) -> App:
    """The collector as a worker builds it, but with a discard sink and no rate limits."""
    from collector.app import CollectorApp
    from collector.enrich import warm_up
    from collector.metrics import Metrics, share_between_workers
    from collector.sink import NoopSink
    from lakehouse.settings import load_settings

    share_between_workers(state / "metrics")
    settings = load_settings(
        state_dir=state / "state", collector={"rate_limits": {"address_rps": 0, "site_rps": 0}}
    )
    app = CollectorApp(settings, NoopSink(), b"s" * 32, Metrics(shared=state / "metrics"))
    warm_up()
    gc.freeze()  # as the app's start-up does
    return app


async def measure(args: argparse.Namespace, app: App, bare: App) -> None:
    requests = Requests()
    # A batched round of about as many events as a single one, in fewer requests.
    batched = max(1, args.requests // 8)
    modes = {"single": ("/x/e", 1, args.requests), "batched": ("/x/b", args.batch, batched)}
    for path, batch, count in modes.values():  # warm-up: caches, first series
        await requests.cpu_us(app, path, batch, max(1, count // 4))
    if args.profile:
        path, batch, count = modes[args.profile]
        bodies = [requests.body(batch) for _ in range(count)]
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        for body in bodies:
            await requests.call(app, path, body)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
        return
    print(f"{'target':<26} {'mode':<18} {'median us/req':>14} {'best us/req':>12}")
    for label, target in (("bare ASGI (decode only)", bare), ("collector, discard sink", app)):
        for mode, (path, batch, count) in modes.items():
            rounds = [await requests.cpu_us(target, path, batch, count) for _ in range(args.rounds)]
            print(
                f"{label:<26} {f'{mode} ({batch}/req)':<18} {statistics.median(rounds):>14.1f} "
                f"{min(rounds):>12.1f}",
                flush=True,
            )
    failed = [status for status in requests.statuses if status >= 300]
    if failed:
        raise SystemExit(f"{len(failed)} requests were not accepted: {sorted(set(failed))}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000, help="single requests a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--profile", choices=("single", "batched"))
    args = parser.parse_args()
    state = run_dir("inprocess")
    try:
        app = collector_app(state)
        uvloop.run(measure(args, app, bare_asgi))
    finally:
        discard(state, keep=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
