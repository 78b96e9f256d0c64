"""`python -m collector`: serve the collector on the configured host and port.

``collector.workers`` processes share the port (uvicorn's process manager); each builds its
own app with :func:`collector.worker.create_app`.
"""

from __future__ import annotations

import sys

from lakehouse.service_start import SETTINGS_EXIT, service_settings


def main() -> int:
    import uvicorn

    from collector.metrics import share_between_workers
    from collector.secret import salt_secret
    from collector.worker import metrics_folder

    settings = service_settings("collector")
    if settings is None:
        return SETTINGS_EXIT
    salt_secret(settings)  # made once here, before the workers read it
    share_between_workers(metrics_folder(settings))  # before the workers import the client
    uvicorn.run(
        "collector.worker:create_app",
        factory=True,
        workers=settings.collector.workers,
        host=settings.host,
        port=settings.ports.collector,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
