"""Abuse limits over loopback: the collector app served by uvicorn on a free port, with a
memory sink (no Kafka). A flood from one client address gets 429s while another client of
the same site and a client of another site keep getting 2xx answers; a client that sends its
body too slowly gets 408 and its connection closed.

Client addresses are told apart by X-Forwarded-For, which the collector believes from
loopback (collector.trusted_proxies)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from collector.app import CollectorApp
from collector.sink import MemorySink
from lakehouse.settings import load_settings
from stack.supervisor import free_port
from tests.support.waiting import wait_for

FLOOD_MAX = 600  # requests the flooder sends at most
BYSTANDER_REQUESTS = 5
DEADLINE_S = 60


@pytest.fixture
def collector_url(tmp_path: Path) -> Iterator[str]:
    settings = load_settings(
        state_dir=tmp_path,
        collector={
            "rate_limits": {"address_rps": 5, "address_burst": 10},
            "body_timeout_s": 0.5,
        },
    )
    app = CollectorApp(settings, MemorySink(), b"s" * 32)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), DEADLINE_S, poll_s=0.05)
    assert server.started, "the collector did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=DEADLINE_S)


def event(site_id: str, host: str) -> str:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "page",
            "name": "pageview",
            "site_id": site_id,
            "client_ts": datetime.now(UTC).isoformat(),
            "url": f"https://{host}/",
        }
    )


def headers(address: str, host: str) -> dict[str, str]:
    return {
        "content-type": "text/plain;charset=UTF-8",
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "accept-language": "en",
        "origin": f"https://{host}",
        "x-forwarded-for": address,
    }


def test_a_flood_from_one_address_does_not_starve_the_others(collector_url: str) -> None:
    flooded = asyncio.Event()  # the flooder has had its first 429
    bystanders_done = asyncio.Event()
    flood: list[httpx.Response] = []
    after_bystanders: list[int] = []
    bystanders: dict[str, list[int]] = {"same site": [], "other site": []}

    async def flooder(client: httpx.AsyncClient) -> None:
        while len(flood) < FLOOD_MAX:
            response = await client.post(
                "/x/e",
                content=event("demo-shop", "shop.example"),
                headers=headers("203.0.113.66", "shop.example"),
            )
            flood.append(response)
            if response.status_code == 429:
                flooded.set()
                if bystanders_done.is_set():
                    after_bystanders.append(429)
                    return

    async def bystander(client: httpx.AsyncClient, who: str, address: str, site: str) -> None:
        await flooded.wait()
        host = "shop.example" if site == "demo-shop" else "docs.example"
        for _ in range(BYSTANDER_REQUESTS):
            response = await client.post(
                "/x/e", content=event(site, host), headers=headers(address, host)
            )
            bystanders[who].append(response.status_code)

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=collector_url, timeout=10) as client:
            floods = [asyncio.create_task(flooder(client)) for _ in range(4)]
            await asyncio.gather(
                bystander(client, "same site", "203.0.113.7", "demo-shop"),
                bystander(client, "other site", "203.0.113.8", "demo-docs"),
            )
            bystanders_done.set()
            await asyncio.gather(*floods)

    asyncio.run(asyncio.wait_for(scenario(), timeout=DEADLINE_S))

    statuses = [r.status_code for r in flood]
    assert set(statuses) <= {202, 429}
    assert statuses.count(202) >= 10
    assert after_bystanders, "the flood stopped getting 429s before the bystanders were done"
    assert bystanders == {
        "same site": [202] * BYSTANDER_REQUESTS,
        "other site": [202] * BYSTANDER_REQUESTS,
    }
    refused = next(r for r in flood if r.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"] == "rate_limited"
    metrics = httpx.get(f"{collector_url}/metrics", timeout=10).text
    assert 'collector_rate_limited_total{limit="address"}' in metrics


def test_a_body_sent_too_slowly_gets_408_and_the_connection_closes(collector_url: str) -> None:
    port = int(collector_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S) as connection:
        connection.sendall(
            b"POST /x/e HTTP/1.1\r\nhost: collector\r\ncontent-type: text/plain\r\n"
            b"content-length: 400\r\n\r\n" + b'{"event_id":'  # and the rest never comes
        )
        answer = b""
        while chunk := connection.recv(65536):  # until the collector closes it
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), head
    assert json.loads(body)["error"] == "body_timeout"
    assert b"connection: close" in head.lower()
