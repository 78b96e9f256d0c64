"""How a service process (`python -m collector`, `python -m api`) starts: log lines with a
time and a level, and its settings validated, or one line naming the bad one."""

from __future__ import annotations

import logging
import sys

from lakehouse.settings import Settings, SettingsError, load_settings

SETTINGS_EXIT = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def service_settings(service: str) -> Settings | None:
    """The settings, or None once ``<service>: error: ...`` is printed."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        return load_settings()
    except SettingsError as error:
        print(f"{service}: error: {error}", file=sys.stderr)
        return None
