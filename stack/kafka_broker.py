"""A single-node Apache Kafka broker in KRaft mode (combined broker + controller)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from pathlib import Path

from lakehouse.artifacts import ready_artifact_dir
from lakehouse.jdk import find_jdk
from lakehouse.kafka_topics import topic_configs
from lakehouse.settings import Settings
from stack.service import Launch, Service
from stack.supervisor import CorruptState

NODE_ID = 1

LOG4J2_PROPERTIES = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = WARN
"""


def kafka_dir(settings: Settings) -> Path:
    return settings.state_path / "kafka"


def server_properties(settings: Settings) -> str:
    """The broker configuration; a pure function of the settings."""
    host, broker, controller = settings.host, settings.ports.kafka, settings.ports.kafka_controller
    values = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{host}:{controller}",
        "listeners": f"PLAINTEXT://{host}:{broker},CONTROLLER://{host}:{controller}",
        "advertised.listeners": f"PLAINTEXT://{host}:{broker}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(kafka_dir(settings) / "data"),
        "num.partitions": str(settings.kafka.partitions),
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.retention.hours": "168",
        "log.segment.bytes": str(256 * 1024 * 1024),
    }
    return "".join(f"{key}={value}\n" for key, value in values.items())


def _cluster_id(folder: Path) -> str:
    path = folder / "cluster.id"
    if path.exists():
        cluster_id = path.read_text().strip()
        if len(cluster_id) != 22:
            raise CorruptState(
                f"{path} holds no Kafka cluster id; run `beacon down --reset` to start afresh"
            )
        return cluster_id
    cluster_id = new_cluster_id()
    path.write_text(cluster_id + "\n")
    return cluster_id


def new_cluster_id(random_bytes: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64. One that starts with "-" is drawn
    again, as Kafka's own Uuid.randomUuid does: the storage tool would read it as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(random_bytes()).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _meta_cluster_id(meta: Path) -> str | None:
    for line in meta.read_text(errors="replace").splitlines():
        if line.startswith("cluster.id="):
            return line.split("=", 1)[1].strip()
    return None


def prepare(settings: Settings) -> Launch:
    import subprocess

    lib = ready_artifact_dir(settings, "kafka")
    java = find_jdk(17, "Kafka", settings.java.home, "BEACON_JAVA__HOME").java
    folder = kafka_dir(settings)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    config = folder / "server.properties"
    config.write_text(server_properties(settings))
    log4j = folder / "log4j2.properties"
    log4j.write_text(LOG4J2_PROPERTIES)
    cluster_id = _cluster_id(folder)
    classpath = f"{lib}/*"
    jvm = [str(java), f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
    meta = folder / "data" / "meta.properties"
    if meta.exists():
        if _meta_cluster_id(meta) != cluster_id:
            raise CorruptState(
                f"Kafka storage {meta.parent} belongs to another cluster than {folder}/cluster.id;"
                " run `beacon down --reset` to start afresh"
            )
    else:
        result = subprocess.run(
            [*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise CorruptState(
                "formatting Kafka storage failed: "
                + (result.stderr or result.stdout).strip().splitlines()[-1]
            )
    heap = settings.kafka.heap
    return Launch(
        argv=[
            str(java),
            f"-Xms{heap}",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            f"-Dkafka.logs.dir={settings.logs_path}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ]
    )


def healthy(settings: Settings) -> bool:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=3000,
    )
    try:
        admin.list_topics()
    finally:
        admin.close()
    return True


def ensure_topics(settings: Settings) -> None:
    """Create events.v1 and events.bad with the configured partitions and retention if
    missing; an existing topic gets the configured retention."""
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    configs = topic_configs(settings)
    topics = (settings.kafka.events_topic, settings.kafka.bad_topic)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                topic,
                num_partitions=settings.kafka.partitions,
                replication_factor=1,
                topic_configs=configs,
            )
            for topic in topics
            if topic not in existing
        ]
        if wanted:
            admin.create_topics(wanted)
        kept = [t for t in topics if t in existing]
        if kept:
            admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, t, configs=configs) for t in kept]
            )
    finally:
        admin.close()


KAFKA = Service(
    name="kafka",
    description="Apache Kafka broker (KRaft, single node)",
    ports=lambda s: {"kafka": s.ports.kafka, "kafka_controller": s.ports.kafka_controller},
    url=lambda s: s.kafka_bootstrap,
    prepare=prepare,
    healthy=healthy,
    after_start=ensure_topics,
)
