"""The secret behind the daily visitor-hash salt: set in settings, or made once locally."""

from __future__ import annotations

import os
import secrets

from lakehouse.settings import Settings


def salt_secret(settings: Settings) -> bytes:
    """The configured secret; in the local profile, one generated into the state dir."""
    if settings.collector.salt_secret is not None:
        return settings.collector.salt_secret.encode()
    path = settings.state_path / "collector" / "salt.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
