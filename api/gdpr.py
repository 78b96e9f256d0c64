"""The admin endpoints of erasure (right to be forgotten) and access (a subject's events as
JSON lines). A request is recorded pending in ops.gdpr_requests; the beacon_gdpr DAG
(spark_jobs/erase.py's steps) carries it out, triggered at once when Airflow answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends
from fastapi.requests import Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from api.auth import require_admin
from api.errors import ApiError, validation_detail
from lakehouse.erasure import ErasureRequest, Subject
from lakehouse.gdpr_store import GdprStore, StoreUnavailable, json_line

router = APIRouter(prefix="/api/v1/gdpr", dependencies=[Depends(require_admin)])


def _subject(request: Request, fields: dict[str, Any]) -> Subject:
    try:
        subject = Subject.model_validate(fields)
    except ValidationError as error:
        raise ApiError(422, "schema_violation", validation_detail(error)) from None
    if subject.site not in request.app.state.site_ids:
        raise ApiError(404, "unknown_site", f"no site {subject.site!r} is configured")
    return subject


def _store(request: Request) -> GdprStore:
    store: GdprStore = request.app.state.store
    return store


def _unavailable(error: StoreUnavailable) -> ApiError:
    return ApiError(503, "store_unavailable", str(error))


@router.post("/erasures", status_code=202)
async def request_erasure(request: Request) -> JSONResponse:
    """Record an erasure of a site's subject (exactly one of user_id, anonymous_id,
    visitor_id) and trigger a beacon_gdpr run; 202 with the request, pending, and whether
    the run started now or the request waits for the scheduled one."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as error:
        raise ApiError(400, "malformed", f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", "the body must be a JSON object")
    subject = _subject(request, body)
    erasure = ErasureRequest.new(
        subject, request.app.state.hash_secret, "api", request.app.state.clock()
    )
    try:
        _store(request).record(erasure)
    except StoreUnavailable as error:
        raise _unavailable(error) from None
    run = await asyncio.to_thread(request.app.state.trigger)
    location = f"{router.prefix}/erasures/{erasure.request_id}"
    return JSONResponse({**erasure.public(), "run": run.public()}, 202, {"Location": location})


@router.get("/erasures/{request_id}")
def erasure_status(request: Request, request_id: str) -> dict[str, object]:
    """A request's state: pending, running, done (rows removed per table) or failed."""
    try:
        found = _store(request).find(request_id)
    except StoreUnavailable as error:
        raise _unavailable(error) from None
    if found is None:
        raise ApiError(404, "unknown_request", f"no erasure request {request_id!r}")
    return found.public()


@router.get("/exports")
def export_subject(
    request: Request,
    site: str | None = None,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    visitor_id: str | None = None,
) -> StreamingResponse:
    """Every event of the subject, as JSON lines (right of access)."""
    fields = {"site": site, "user_id": user_id, "anonymous_id": anonymous_id}
    fields["visitor_id"] = visitor_id
    given = {name: value for name, value in fields.items() if value is not None}
    if "site" not in given:
        raise ApiError(422, "schema_violation", "site: the query parameter is required")
    subject = _subject(request, given)
    try:
        events = list(_store(request).subject_events(subject))
    except StoreUnavailable as error:
        raise _unavailable(error) from None

    def lines() -> Iterator[bytes]:
        for event in events:
            yield json_line(event)

    return StreamingResponse(lines(), media_type="application/x-ndjson")
