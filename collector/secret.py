"""The secret behind the daily visitor-hash salt: set in settings, or made once locally."""

from __future__ import annotations

from lakehouse.settings import Settings
from lakehouse.state_secrets import state_secret


def salt_secret(settings: Settings) -> bytes:
    """The configured secret; in the local profile, one generated into the state dir."""
    return state_secret(settings, settings.collector.salt_secret, "collector/salt.secret").encode()
