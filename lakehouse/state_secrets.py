"""Secrets the local profile makes once and keeps in the state dir (owner-only files): a
configured value wins, else the file's, else a new random one written there first."""

from __future__ import annotations

import os
import secrets

from lakehouse.settings import Settings


def state_secret(settings: Settings, configured: str | None, relative_path: str) -> str:
    """``configured`` if set, else the secret in ``<state dir>/<relative_path>`` (made once)."""
    if configured is not None:
        return configured
    path = settings.state_path / relative_path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: read theirs
            return path.read_text().strip()
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


ADMIN_TOKEN_FILE = "api/admin.token"  # noqa: S105 (the path of the file, not a token)


def admin_token(settings: Settings) -> str:
    """The reporting API's admin token."""
    return state_secret(settings, settings.api.admin_token, ADMIN_TOKEN_FILE)


def gdpr_hash_secret(settings: Settings) -> bytes:
    """The key of the identifier hash kept in ops.gdpr_audit."""
    return state_secret(settings, settings.gdpr.hash_secret, "gdpr/hash.secret").encode()
