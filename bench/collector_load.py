"""Collector load benchmark: accepted events/s and latency, batched and single-event.

Starts its own Kafka broker and collectors on free loopback ports in a temporary state dir,
drives them with wrk (bounded by duration), and prints, for each target:
  - bare ASGI: a minimal ASGI app that only decodes the JSON body (the framework ceiling),
  - collector, discard sink: the whole pipeline, records dropped instead of produced,
  - Starlette, discard sink: the same pipeline behind Starlette's router and CORS middleware
    instead of the collector's own ASGI routing (bench/starlette_collector.py), the peer baseline,
  - collector, Kafka: the whole pipeline with acks=all produce to the real broker.
The collectors' rate limits are off: all the load comes from one address.

    .venv/bin/python bench/collector_load.py [--seconds 10] [--connections 32] [--batch 20]
                                             [--warmup 5]

Needs wrk (`make bench-tools` installs it). Everything stops by itself at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.workdir import discard, run_dir
from collector.metrics import MULTIPROCESS_DIR_ENV, share_between_workers
from lakehouse.settings import Settings, settings_env
from stack.kafka_broker import KAFKA
from stack.lifecycle import start_service, supervisor_for
from stack.state import isolated_settings
from stack.supervisor import free_port, inherited_env

BARE_ASGI = """
import orjson
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    events = orjson.loads(body) if body else []
    count = len(events) if isinstance(events, list) else 1
    payload = orjson.dumps({"accepted": count})
    await send({"type": "http.response.start", "status": 202,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})
"""

# wrk script: a unique event_id per event, so nothing downstream mistakes them for retries.
WRK_SCRIPT = """
local counter = 0
local batch = tonumber(os.getenv("BENCH_BATCH"))
local path = os.getenv("BENCH_PATH")
local ts = os.getenv("BENCH_TS")
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " ..
  "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
wrk.headers["Accept-Language"] = "en-US,en;q=0.9"
wrk.headers["Origin"] = "https://shop.example"
local function event()
  counter = counter + 1
  return string.format('{"event_id":"%s-%d-%d","type":"page","name":"pageview",' ..
    '"site_id":"demo-shop","anonymous_id":"v%d","client_ts":"%s",' ..
    '"url":"https://shop.example/product/%d?utm_source=news","title":"Product",' ..
    '"referrer":"https://www.google.com/","screen_width":1920,"screen_height":1080,' ..
    '"language":"en-US"}', tostring(wrk.thread):sub(-8), counter, math.random(1e9),
    counter % 5000, ts, counter % 300)
end
request = function()
  if batch == 1 then
    return wrk.format(nil, path, nil, event())
  end
  local events = {}
  for i = 1, batch do events[i] = event() end
  return wrk.format(nil, path, nil, "[" .. table.concat(events, ",") .. "]")
end
"""


@dataclass(frozen=True)
class Result:
    target: str
    mode: str
    requests_per_s: float
    events_per_s: float
    p50_ms: float
    p99_ms: float
    errors: str


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str, path: str, batch: int, seconds: int, connections: int, script: Path
) -> dict[str, str]:
    env = {
        **os.environ,
        "BENCH_BATCH": str(batch),
        "BENCH_PATH": path,
        "BENCH_TS": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=seconds + 60,
    ).stdout
    found = {
        "rps": re.search(r"Requests/sec:\s+([\d.]+)", output).group(1),  # type: ignore[union-attr]
        "p50": re.search(r"\s50%\s+(\S+)", output).group(1),  # type: ignore[union-attr]
        "p99": re.search(r"\s99%\s+(\S+)", output).group(1),  # type: ignore[union-attr]
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    found["errors"] = (
        ", ".join(
            part
            for part in (
                f"{errors.group(1)} non-2xx" if errors else "",
                f"socket {socket_errors.group(1)}" if socket_errors else "",
            )
            if part
        )
        or "none"
    )
    return found


def wait_up(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def start_server(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure(target: str, url: str, args: argparse.Namespace, script: Path) -> list[Result]:
    results = []
    for mode, path, batch in (("batched", "/x/b", args.batch), ("single", "/x/e", 1)):
        # Unreported warm-up: JIT of the broker, caches and connections of the collector.
        run_wrk(url, path, batch, args.warmup, args.connections, script)
        found = run_wrk(url, path, batch, args.seconds, args.connections, script)
        rps = float(found["rps"])
        results.append(
            Result(
                target,
                f"{mode} ({batch}/req)",
                rps,
                rps * batch,
                _ms(found["p50"]),
                _ms(found["p99"]),
                found["errors"],
            )
        )
        print(
            f"  {target:<26} {mode:<8} {rps:>9.0f} req/s {rps * batch:>9.0f} events/s "
            f"p50 {_ms(found['p50']):6.2f} ms  p99 {_ms(found['p99']):6.2f} ms  errors: "
            f"{found['errors']}",
            flush=True,
        )
    return results


def collector_targets(settings: Settings) -> list[tuple[str, str, list[str]]]:
    """(label, sink, command) of each collector measured: its own ASGI app, and the same
    pipeline behind Starlette, with as many worker processes."""
    own = [sys.executable, "-m", "collector"]
    starlette = [
        *(sys.executable, "-m", "uvicorn", "bench.starlette_collector:starlette_app", "--factory"),
        *("--workers", str(settings.collector.workers), "--host", settings.host),
        *("--port", str(settings.ports.collector), "--loop", "uvloop", "--http", "httptools"),
        *("--no-access-log", "--log-level", "warning"),
    ]
    targets = [("collector, discard sink", "discard", own)]
    if importlib.util.find_spec("starlette") is not None:
        targets.append(("Starlette, discard sink", "discard", starlette))
    else:
        print("  (no Starlette baseline: pip install starlette to measure it)", flush=True)
    return [*targets, ("collector, Kafka acks=all", "kafka", own)]


def target_env(settings: Settings, sink: str) -> dict[str, str]:
    """A collector's environment: ``sink``, no rate limits, a fresh metrics folder."""
    collector = settings.collector.model_copy(
        update={
            "sink": sink,
            "rate_limits": settings.collector.rate_limits.model_copy(
                update={"address_rps": 0, "site_rps": 0}
            ),
        }
    )
    folder = settings.state_path / "collector" / "metrics"
    share_between_workers(folder)
    env = settings_env(settings.model_copy(update={"collector": collector}))
    return {**inherited_env(), **env, MULTIPROCESS_DIR_ENV: str(folder)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5, help="unreported seconds before each")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/collector_load needs wrk: make bench-tools", file=sys.stderr)
        return 2
    workdir = run_dir("bench")
    script = workdir / "events.lua"
    script.write_text(WRK_SCRIPT)
    settings = isolated_settings(workdir / "state")
    supervisor = supervisor_for(settings)
    print(
        f"machine: {os.cpu_count()} cores; wrk 1 thread, {args.connections} connections, "
        f"{args.seconds}s per run after {args.warmup}s of warm-up; state in {workdir}",
        flush=True,
    )
    results: list[Result] = []
    try:
        bare = workdir / "bare_asgi.py"
        bare.write_text(BARE_ASGI)
        port = free_port()
        server = start_server(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(workdir),
                "bare_asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
            ],
            inherited_env(),
            workdir / "bare.log",
        )
        try:
            wait_up(f"http://127.0.0.1:{port}/")
            results += measure("bare ASGI (decode only)", f"http://127.0.0.1:{port}", args, script)
        finally:
            stop_server(server)

        start_service(KAFKA, settings, supervisor)
        url = f"http://{settings.host}:{settings.ports.collector}"
        for label, sink, command in collector_targets(settings):
            server = start_server(
                command, target_env(settings, sink), workdir / f"{label.split(',')[0]}-{sink}.log"
            )
            try:
                wait_up(f"{url}/health")
                results += measure(label, url, args, script)
            finally:
                stop_server(server)
    finally:
        supervisor.stop("kafka")
    print()
    print(f"{'target':<28} {'mode':<18} {'req/s':>9} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(
            f"{r.target:<28} {r.mode:<18} {r.requests_per_s:>9.0f} {r.events_per_s:>10.0f} "
            f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
        )
    for mode in ("batched", "single"):
        of_mode = {r.target: r for r in results if r.mode.startswith(mode)}
        bare_r = of_mode["bare ASGI (decode only)"]
        kafka_r = of_mode["collector, Kafka acks=all"]
        print(
            f"{mode}: collector with Kafka reaches {kafka_r.events_per_s / bare_r.events_per_s:.1%}"
            " of the bare ASGI ceiling"
        )
        starlette_r = of_mode.get("Starlette, discard sink")
        if starlette_r is not None:
            own_r = of_mode["collector, discard sink"]
            print(
                f"{mode}: behind Starlette the discard-sink collector takes "
                f"{starlette_r.events_per_s / own_r.events_per_s:.1%} of its own app's events/s"
            )
    discard(workdir, keep=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
