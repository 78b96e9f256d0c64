"""A single-node Trino coordinator with the `delta` catalog over the local lakehouse folder.

The catalog uses Trino's file metastore and local file system: a table at
``<lakehouse>/raw/events`` is ``local:///raw/events`` to Trino.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.request import urlopen

from lakehouse.artifacts import ready_artifact_dir
from lakehouse.jdk import find_jdk
from lakehouse.provision import ensure_trino_schemas
from lakehouse.settings import Settings
from lakehouse.trino_sql import METASTORE_DIR, trino_location
from stack.service import Launch, Service

JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:G1HeapRegionSize=32M",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=256M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-XX:+EnableDynamicAgentLoading",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8",
    "--add-modules=jdk.incubator.vector",
)


def trino_dir(settings: Settings) -> Path:
    return settings.state_path / "trino"


def _properties(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def config_properties(settings: Settings) -> str:
    host, port = settings.host, settings.ports.trino
    return _properties(
        {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(port),
            "discovery.uri": f"http://{host}:{port}",
            "node.environment": "beacon",
            "node.id": "beacon-local",
            "node.bind-ip": host,
            "node.internal-address": host,
            "catalog.config-dir": str(trino_dir(settings) / "catalog"),
            "plugin.dir": str(ready_artifact_dir(settings, "trino") / "plugin"),
            "query.max-memory": "1GB",
            "query.max-memory-per-node": "512MB",
            "task.concurrency": "2",
            "http-server.log.enabled": "false",
        }
    )


def delta_catalog_properties(settings: Settings) -> str:
    return _properties(
        {
            "connector.name": "delta_lake",
            "hive.metastore": "file",
            "hive.metastore.catalog.dir": trino_location(settings, METASTORE_DIR),
            "fs.native-local.enabled": "true",
            "local.location": str(settings.lakehouse_path),
            "delta.register-table-procedure.enabled": "true",
            "delta.enable-non-concurrent-writes": "true",
            "delta.unique-table-location": "false",
        }
    )


def prepare(settings: Settings) -> Launch:
    home = ready_artifact_dir(settings, "trino")
    java = find_jdk(25, "Trino", settings.java.trino_home, "BEACON_JAVA__TRINO_HOME").java
    folder = trino_dir(settings)
    (folder / "catalog").mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (settings.lakehouse_path / METASTORE_DIR).mkdir(parents=True, exist_ok=True)
    config = folder / "config.properties"
    config.write_text(config_properties(settings))
    (folder / "catalog" / f"{settings.trino.catalog}.properties").write_text(
        delta_catalog_properties(settings)
    )
    heap = settings.trino.heap
    return Launch(
        argv=[
            str(java),
            f"-Xmx{heap}",
            *JVM_OPTIONS,
            f"-Dconfig={config}",
            "-cp",
            f"{home}/lib/*",
            "io.trino.server.TrinoServer",
        ],
        cwd=folder,
    )


def healthy(settings: Settings) -> bool:
    # An http URL from the settings' host and port.
    with urlopen(f"{settings.trino_url}/v1/info", timeout=3) as response:  # noqa: S310
        info = json.load(response)
    return info.get("starting") is False


TRINO = Service(
    name="trino",
    description="Trino coordinator with the delta catalog",
    ports=lambda s: {"trino": s.ports.trino},
    url=lambda s: s.trino_url,
    prepare=prepare,
    healthy=healthy,
    after_start=ensure_trino_schemas,
)
