"""`python -m api`: serve the reporting API on the configured host and port."""

from __future__ import annotations

import sys

from lakehouse.service_start import SETTINGS_EXIT, service_settings


def main() -> int:
    import uvicorn

    from api.app import create_app

    settings = service_settings("api")
    if settings is None:
        return SETTINGS_EXIT
    # No access log: a request's path can carry a subject's identifier (an export's query).
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.ports.reporting,
        access_log=False,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
