"""`python -m collector`: serve the collector on the configured host and port."""

from __future__ import annotations

import logging
import sys

from collector.metrics import Metrics
from lakehouse.settings import SettingsError, load_settings


def main() -> int:
    import uvicorn

    from collector.app import CollectorApp
    from collector.secret import salt_secret
    from collector.sink import KafkaSink, NoopSink, Sink
    from collector.spool import Spool

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"collector: error: {error}", file=sys.stderr)
        return 2
    metrics = Metrics()
    spool = Spool(settings.state_path / "collector" / "spool", settings.collector.spool_max_bytes)
    sink: Sink = (
        NoopSink()
        if settings.collector.sink == "discard"
        else KafkaSink(
            settings.kafka_bootstrap, spool, metrics, settings.collector.delivery_timeout_s
        )
    )
    app = CollectorApp(settings, sink, salt_secret(settings), metrics)
    uvicorn.run(
        app,
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
