"""Settings of the Superset service (`beacon up superset`): its admin, its secret key, its
web server and how long it caches chart data. Outside the local profile the admin password
and the secret key must be set; locally each is generated once into the state dir."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SupersetSettings(BaseModel):
    """Superset over Trino, with the dashboards of ``superset/``."""

    admin_user: str = Field(default="admin", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    admin_password: str | None = Field(
        default=None, min_length=8, description="generated into the state dir locally"
    )
    admin_email: str = "admin@beacon.local"
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="signs sessions and encrypts stored credentials; generated locally",
    )
    workers: int = Field(default=1, ge=1, le=16, description="gunicorn worker processes")
    threads: int = Field(default=4, ge=1, le=64, description="threads of each worker")
    cache_timeout_s: int = Field(
        default=600, ge=0, description="chart data kept in Superset's cache (daily charts)"
    )


SUPERSET_REQUIRED_SECRETS = (
    ("superset", "admin_password", "BEACON_SUPERSET__ADMIN_PASSWORD"),
    ("superset", "secret_key", "BEACON_SUPERSET__SECRET_KEY"),
)
"""(section, setting, environment variable) of the secrets every non-local profile sets."""
