"""`python -m api`: serve the reporting API on the configured host and port."""

from __future__ import annotations

import logging
import sys

from lakehouse.settings import SettingsError, load_settings


def main() -> int:
    import uvicorn

    from api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"api: error: {error}", file=sys.stderr)
        return 2
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
