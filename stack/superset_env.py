"""The local Superset's configuration, derived from beacon's settings.

State under ``<state>/superset``: the SQLite metadata database, ``superset_config.py``
(written from the settings at each start, owner-only: it names the secret key's file), the
chart data cache, the admin password and the secret key (each generated once unless set),
and the bundle zip the start step imports. The same environment runs gunicorn and the
set-up step (:mod:`stack.superset_setup`).
"""

from __future__ import annotations

import os
from pathlib import Path

from lakehouse.settings import Settings
from lakehouse.state_secrets import state_secret
from stack.bootstrap import env_bin
from stack.errors import BeaconError

ADMIN_PASSWORD_FILE = "superset/admin.password"  # noqa: S105 (a path, not a password)
SECRET_KEY_FILE = "superset/secret.key"  # noqa: S105 (a path, not a key)
TRINO_DATABASE_NAME = "beacon_trino"
"""The name the Trino database has in Superset (and in the bundle's databases/)."""


def superset_home(settings: Settings) -> Path:
    return settings.state_path / "superset"


def superset_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.superset}"


def superset_program(settings: Settings, program: str = "python") -> Path:
    """A program of the Superset env; BeaconError naming the fix if the env is missing."""
    path = env_bin(settings, "superset", program)
    if not path.exists():
        raise BeaconError(
            f"the Superset env is not installed ({path} is missing); "
            "run `beacon bootstrap --only superset`"
        )
    return path


def admin_password(settings: Settings) -> str:
    return state_secret(settings, settings.superset.admin_password, ADMIN_PASSWORD_FILE)


def secret_key(settings: Settings) -> str:
    return state_secret(settings, settings.superset.secret_key, SECRET_KEY_FILE)


def trino_uri(settings: Settings) -> str:
    """The SQLAlchemy URI Superset reaches Trino's catalog by."""
    host = "trino" if settings.profile == "docker" else settings.host
    return f"trino://{settings.trino.user}@{host}:{settings.ports.trino}/{settings.trino.catalog}"


def config_text(settings: Settings) -> str:
    """``superset_config.py``: Python Superset executes at start, values from the settings."""
    home = superset_home(settings)
    values = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'superset.db'}",
        "SUPERSET_WEBSERVER_ADDRESS": settings.host,
        "SUPERSET_WEBSERVER_PORT": settings.ports.superset,
        "DATA_CACHE_CONFIG": {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(home / "cache" / "data"),
            "CACHE_DEFAULT_TIMEOUT": settings.superset.cache_timeout_s,
            "CACHE_KEY_PREFIX": "beacon_data_",
        },
        "CACHE_CONFIG": {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(home / "cache" / "metadata"),
            "CACHE_DEFAULT_TIMEOUT": settings.superset.cache_timeout_s,
            "CACHE_KEY_PREFIX": "beacon_meta_",
        },
        "SUPERSET_LOAD_EXAMPLES": False,
        "FEATURE_FLAGS": {"DASHBOARD_NATIVE_FILTERS": True, "DASHBOARD_RBAC": False},
        "SQLLAB_TIMEOUT": 60,
        "SUPERSET_WEBSERVER_TIMEOUT": 60,
        "TALISMAN_ENABLED": False,
    }
    lines = [
        '"""Written by beacon from its settings at each `beacon up superset`; edits are lost."""',
        "",
        "from pathlib import Path",
        "",
        f"SECRET_KEY = Path({str(settings.state_path / SECRET_KEY_FILE)!r}).read_text().strip()",
        *(f"{name} = {value!r}" for name, value in values.items()),
        "",
    ]
    return "\n".join(lines)


def write_config(settings: Settings) -> Path:
    """Write ``superset_config.py`` (owner-only) and the secret key it reads; its path."""
    home = superset_home(settings)
    for folder in (home, home / "cache" / "data", home / "cache" / "metadata"):
        folder.mkdir(parents=True, exist_ok=True)
    key = secret_key(settings)
    if settings.superset.secret_key is not None:  # configured: the config file reads a copy
        key_file = settings.state_path / SECRET_KEY_FILE
        key_file.unlink(missing_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(key)
    path = home / "superset_config.py"
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(config_text(settings))
    return path


def superset_env(settings: Settings) -> dict[str, str]:
    """The environment of Superset's processes (the config file is written first)."""
    config = write_config(settings)
    return {
        "SUPERSET_CONFIG_PATH": str(config),
        "SUPERSET_HOME": str(superset_home(settings)),
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONUNBUFFERED": "1",
    }
