"""One collector worker process: its own Kafka producer, spool folder and metrics.

``python -m collector`` runs ``collector.workers`` of these on one port; each calls
:func:`create_app` with the settings from the environment. They count their metrics in one
shared folder, which ``python -m collector`` empties before they start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.settings import Settings, load_settings

if TYPE_CHECKING:
    from collector.app import CollectorApp

SPOOL_FOLDER = "spool"
METRICS_FOLDER = "metrics"


def metrics_folder(settings: Settings) -> Path:
    """Where the workers' metric values live (prometheus_client's multiprocess files)."""
    return settings.state_path / "collector" / METRICS_FOLDER


def create_app() -> CollectorApp:
    """One worker's app (called in each worker process, settings from the environment)."""
    from collector.accepted_counts import AcceptedCounts, delta_append
    from collector.app import CollectorApp
    from collector.metrics import Metrics
    from collector.secret import salt_secret
    from collector.sink import KafkaSink, NoopSink, Sink
    from collector.spool import Spool, SpoolFolder

    settings = load_settings()
    root = settings.state_path / "collector" / SPOOL_FOLDER
    folder = SpoolFolder.claim(root)  # held until the process exits
    metrics = Metrics(shared=metrics_folder(settings))
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
    accepted = (
        None
        if isinstance(sink, NoopSink)
        else AcceptedCounts(delta_append(settings), settings.collector.accepted_flush_s)
    )
    return CollectorApp(settings, sink, salt_secret(settings), metrics, accepted=accepted)
