"""One collector worker process: its own Kafka producer, spool folder and metrics.

``python -m collector`` runs ``collector.workers`` of these on one port; each calls
:func:`create_app` with the settings from the environment.
"""

from __future__ import annotations

from collector.app import CollectorApp
from lakehouse.settings import load_settings

SPOOL_FOLDER = "spool"


def create_app() -> CollectorApp:
    """One worker's app (called in each worker process, settings from the environment)."""
    from collector.metrics import Metrics
    from collector.secret import salt_secret
    from collector.sink import KafkaSink, NoopSink, Sink
    from collector.spool import Spool, SpoolFolder

    settings = load_settings()
    root = settings.state_path / "collector" / SPOOL_FOLDER
    folder = SpoolFolder.claim(root)  # held until the process exits
    metrics = Metrics(worker=folder.path.name, shared=settings.state_path / "collector" / "metrics")
    spool = Spool(folder.path, settings.collector.spool_max_bytes)
    sink: Sink = (
        NoopSink()
        if settings.collector.sink == "discard"
        else KafkaSink(
            settings.kafka_bootstrap,
            spool,
            metrics,
            settings.collector.delivery_timeout_s,
            spool_root=root,
            linger_ms=settings.collector.linger_ms,
        )
    )
    return CollectorApp(settings, sink, salt_secret(settings), metrics)
