"""The reporting API's admin endpoints in process (FastAPI's TestClient), over a store kept
in memory: every refusal is a 4xx naming its reason, a good request is recorded pending,
its status never shows the identifier, and an export is the subject's events as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from lakehouse.erasure import ErasureRequest, RequestStatus, Subject
from lakehouse.gdpr_store import StoreUnavailable
from lakehouse.settings import Settings, load_settings
from stack.gdpr_runs import ErasureRun, trigger_erasure_run

TOKEN = "an-admin-token-of-test"
NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
ERASURES = "/api/v1/gdpr/erasures"


class MemoryStore:
    def __init__(self) -> None:
        self.requests: dict[str, ErasureRequest] = {}
        self.events: list[dict[str, Any]] = []
        self.down = False

    def record(self, request: ErasureRequest) -> None:
        if self.down:
            raise StoreUnavailable("Trino does not answer at http://127.0.0.1:1")
        self.requests[request.request_id] = request

    def find(self, request_id: str) -> ErasureRequest | None:
        return self.requests.get(request_id)

    def subject_events(self, subject: Subject) -> Iterator[dict[str, Any]]:
        for event in self.events:
            if event["site_id"] == subject.site and event.get(subject.kind.value) == (
                subject.identifier
            ):
                yield event


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return load_settings(state_dir=tmp_path, api={"admin_token": TOKEN})


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


class Trigger:
    """A beacon_gdpr trigger that counts its calls, with Airflow up or not."""

    def __init__(self) -> None:
        self.calls = 0
        self.airflow_up = True

    def __call__(self) -> ErasureRun:
        self.calls += 1
        if self.airflow_up:
            return ErasureRun(True, "beacon_gdpr run r-1 triggered: the erasure runs now", "r-1")
        return ErasureRun(False, "the request waits for beacon_gdpr's scheduled run (@hourly)")


@pytest.fixture
def trigger() -> Trigger:
    return Trigger()


@pytest.fixture
def client(api_settings: Settings, store: MemoryStore, trigger: Trigger) -> TestClient:
    return TestClient(create_app(api_settings, store, clock=lambda: NOW, trigger=trigger))


ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def test_no_token_is_401(client: TestClient) -> None:
    answer = client.post(ERASURES, json={"site": "demo-shop", "user_id": "u"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "missing_token"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get(f"{ERASURES}/x").status_code == 401
    assert client.get("/api/v1/gdpr/exports?site=demo-shop&user_id=u").status_code == 401


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", "Bearer wrong", f"Basic {TOKEN}"])
def test_a_wrong_token_is_403_and_a_malformed_header_401(client: TestClient, header: str) -> None:
    answer = client.post(
        ERASURES, json={"site": "demo-shop", "user_id": "u"}, headers={"Authorization": header}
    )
    expected = (401, "missing_token") if header.startswith("Basic") else (403, "bad_token")
    assert (answer.status_code, answer.json()["error"]) == expected


@pytest.mark.parametrize(
    ("body", "status", "reason", "mentions"),
    [
        (b"{not json", 400, "malformed", "not JSON"),
        (b"[1, 2]", 400, "malformed", "JSON object"),
        (b'{"site": "demo-shop"}', 422, "schema_violation", "exactly one of"),
        (b'{"site": "demo-shop", "user_id": "u", "visitor_id": "v"}', 422, "schema_violation", ""),
        (b'{"user_id": "u"}', 422, "schema_violation", "site"),
        (b'{"site": "demo-shop", "user_id": 7}', 422, "schema_violation", "user_id"),
        (b'{"site": "demo-shop", "email": "a@b"}', 422, "schema_violation", "email"),
    ],
)
def test_a_malformed_body_is_refused_with_a_reason(
    client: TestClient, store: MemoryStore, body: bytes, status: int, reason: str, mentions: str
) -> None:
    answer = client.post(ERASURES, content=body, headers=ADMIN)
    assert answer.status_code == status
    assert answer.json()["error"] == reason
    assert mentions in answer.json()["detail"]
    assert not store.requests


def test_an_unknown_site_is_404_with_a_reason(client: TestClient, store: MemoryStore) -> None:
    answer = client.post(ERASURES, json={"site": "nope", "user_id": "u"}, headers=ADMIN)
    assert answer.status_code == 404
    assert answer.json() == {"error": "unknown_site", "detail": "no site 'nope' is configured"}
    assert not store.requests


def test_a_request_is_recorded_pending_and_its_status_shows_no_identifier(
    client: TestClient, store: MemoryStore
) -> None:
    answer = client.post(ERASURES, json={"site": "demo-shop", "user_id": "u-42"}, headers=ADMIN)
    assert answer.status_code == 202
    created = answer.json()
    (stored,) = store.requests.values()
    assert (stored.status, stored.subject_id, stored.requested_at) == (
        RequestStatus.PENDING,
        "u-42",
        NOW,
    )
    assert answer.headers["location"] == f"{ERASURES}/{stored.request_id}"
    assert created.pop("run") == {
        "triggered": True,
        "dag_run_id": "r-1",
        "detail": "beacon_gdpr run r-1 triggered: the erasure runs now",
    }
    status = client.get(answer.headers["location"], headers=ADMIN)
    assert status.status_code == 200
    assert status.json() == created
    assert status.json()["status"] == "pending"
    assert "u-42" not in status.text


def test_an_unknown_request_is_404(client: TestClient) -> None:
    answer = client.get(f"{ERASURES}/no-such-id", headers=ADMIN)
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_request")


def test_a_store_that_does_not_answer_is_503(client: TestClient, store: MemoryStore) -> None:
    store.down = True
    answer = client.post(ERASURES, json={"site": "demo-shop", "user_id": "u"}, headers=ADMIN)
    assert (answer.status_code, answer.json()["error"]) == (503, "store_unavailable")


def test_an_export_is_the_subjects_events_as_json_lines(
    client: TestClient, store: MemoryStore
) -> None:
    store.events = [
        {"site_id": "demo-shop", "user_id": "u-1", "event_id": "e1", "client_ts": NOW},
        {"site_id": "demo-shop", "user_id": "u-2", "event_id": "e2", "client_ts": NOW},
        {"site_id": "demo-shop", "user_id": "u-1", "event_id": "e3", "properties": {"a": "b"}},
    ]
    answer = client.get(
        "/api/v1/gdpr/exports", params={"site": "demo-shop", "user_id": "u-1"}, headers=ADMIN
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line["event_id"] for line in lines] == ["e1", "e3"]
    assert lines[0]["client_ts"] == "2026-03-14T09:00:00+00:00"


@pytest.mark.parametrize(
    ("query", "status", "reason"),
    [
        ({"user_id": "u"}, 422, "schema_violation"),
        ({"site": "demo-shop"}, 422, "schema_violation"),
        ({"site": "nope", "user_id": "u"}, 404, "unknown_site"),
    ],
)
def test_a_bad_export_query_is_refused(
    client: TestClient, query: dict[str, str], status: int, reason: str
) -> None:
    answer = client.get("/api/v1/gdpr/exports", params=query, headers=ADMIN)
    assert (answer.status_code, answer.json()["error"]) == (status, reason)


def test_the_local_token_is_made_once_in_the_state_dir(tmp_path: Path) -> None:
    settings = load_settings(state_dir=tmp_path)
    client = TestClient(create_app(settings, MemoryStore()))
    token = (tmp_path / "api" / "admin.token").read_text().strip()
    assert oct((tmp_path / "api" / "admin.token").stat().st_mode & 0o777) == "0o600"
    assert len(token) == 64
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{ERASURES}/x", headers=headers).status_code == 404
    again = TestClient(create_app(load_settings(state_dir=tmp_path), MemoryStore()))
    assert again.get(f"{ERASURES}/x", headers=headers).status_code == 404


def test_a_request_without_airflow_says_it_waits_for_the_scheduled_run(
    client: TestClient, store: MemoryStore, trigger: Trigger
) -> None:
    trigger.airflow_up = False
    answer = client.post(ERASURES, json={"site": "demo-shop", "user_id": "u-42"}, headers=ADMIN)
    assert answer.status_code == 202
    assert answer.json()["run"]["triggered"] is False
    assert "waits for beacon_gdpr's scheduled run" in answer.json()["run"]["detail"]
    assert trigger.calls == 1
    assert len(store.requests) == 1


def test_a_refused_request_triggers_no_run(client: TestClient, trigger: Trigger) -> None:
    client.post(ERASURES, json={"site": "nope", "user_id": "u"}, headers=ADMIN)
    client.post(ERASURES, json={"site": "demo-shop", "user_id": "u"})
    assert trigger.calls == 0


def test_the_trigger_reports_an_airflow_that_does_not_answer(tmp_path: Path) -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings = load_settings(state_dir=tmp_path, ports={"airflow": port})
    run = trigger_erasure_run(settings)
    assert (run.triggered, run.dag_run_id) == (False, None)
    assert run.detail.startswith("the request waits for beacon_gdpr's scheduled run (@hourly)")
    assert f"127.0.0.1:{port}" in run.detail
