"""The reporting API as a local service: `python -m api` from the core environment."""

from __future__ import annotations

import sys

from lakehouse.settings import Settings
from lakehouse.state_secrets import admin_token, gdpr_hash_secret
from stack.service import Launch, Service, reports_ok


def prepare(settings: Settings) -> Launch:
    admin_token(settings)  # made once here, where `beacon status` finds it
    gdpr_hash_secret(settings)
    return Launch(argv=[sys.executable, "-m", "api"])


def api_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.reporting}"


def healthy(settings: Settings) -> bool:
    return reports_ok(f"{api_url(settings)}/health")


API = Service(
    name="api",
    description="reporting API (admin: erasure and access requests)",
    ports=lambda s: {"reporting": s.ports.reporting},
    url=api_url,
    prepare=prepare,
    healthy=healthy,
    depends_on=("trino",),
)
