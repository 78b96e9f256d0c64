"""The reporting API's app: built from the settings, a store (Trino's, or a test's), a clock
and the trigger of a beacon_gdpr run (Airflow's, or a test's), so tests call it in process
with FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from api import gdpr
from api.errors import ApiError, api_error, request_validation_error
from lakehouse.gdpr_store import GdprStore, LakehouseGdprStore
from lakehouse.settings import Settings
from lakehouse.state_secrets import admin_token, gdpr_hash_secret
from stack.gdpr_runs import ErasureRun, trigger_erasure_run


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    store: GdprStore | None = None,
    clock: Callable[[], datetime] = utc_now,
    trigger: Callable[[], ErasureRun] | None = None,
) -> FastAPI:
    app = FastAPI(title="beacon reporting API", version="1")
    app.state.admin_token = admin_token(settings).encode()
    app.state.hash_secret = gdpr_hash_secret(settings)
    app.state.site_ids = frozenset(site.site_id for site in settings.collector.sites)
    app.state.store = store if store is not None else LakehouseGdprStore(settings)
    app.state.clock = clock
    app.state.trigger = trigger if trigger is not None else lambda: trigger_erasure_run(settings)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.include_router(gdpr.router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
