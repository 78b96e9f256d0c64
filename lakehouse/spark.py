"""The one way beacon builds a SparkSession: Delta and the Kafka connector from the local
jar cache (never resolved at job start), UTC, few shuffle partitions, the UI off by default."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lakehouse.artifacts import ready_artifact_dir
from lakehouse.jdk import find_jdk
from lakehouse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_conf(
    settings: Settings, app_name: str, java_options: Sequence[str] = ()
) -> dict[str, str]:
    """Spark configuration for beacon jobs; a pure function of the settings. ``java_options``
    go to the driver's JVM, after beacon's own."""
    jars = sorted(ready_artifact_dir(settings, "spark").glob("*.jar"))
    scratch = settings.state_path / "spark"
    conf = {
        "spark.app.name": app_name,
        "spark.master": settings.spark.master,
        "spark.jars": ",".join(str(jar) for jar in jars),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.default.parallelism": str(settings.spark.shuffle_partitions),
        "spark.driver.memory": settings.spark.driver_memory,
        "spark.ui.enabled": str(settings.spark.ui_enabled).lower(),
        # Stage progress bars are carriage-return animations: noise in a service's log file.
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.local.dir": str(scratch / "tmp"),
        "spark.driver.extraJavaOptions": " ".join(
            (f"-Dderby.system.home={scratch / 'derby'}", *java_options)
        ),
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        # Delta rebuilds a table's snapshot in 50 tasks by default: far too many for one
        # machine's tables, and the main cost of a small streaming micro-batch.
        "spark.databricks.delta.snapshotPartitions": str(settings.spark.shuffle_partitions),
    }
    if settings.spark.master.startswith("local"):
        # Python workers (UDFs, if a job has any) run this interpreter, not the first
        # python3 on PATH, which lacks the project's packages.
        conf["spark.pyspark.python"] = sys.executable
    if settings.profile == "local":
        conf["spark.driver.host"] = settings.host
        conf["spark.driver.bindAddress"] = settings.host
    return conf


def spark_session(
    settings: Settings,
    app_name: str,
    extra_conf: Mapping[str, str] | None = None,
    own_process_group: bool = False,
    java_options: Sequence[str] = (),
) -> SparkSession:
    """Build (or return the running) SparkSession for ``app_name``.

    ``own_process_group`` starts the JVM in a process group of its own, so a signal to the
    caller's group reaches only the Python driver (a long-running job then stops between
    batches); the JVM still exits with the driver, when its stdin closes."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    jdk = find_jdk(17, "Spark", settings.java.home, "BEACON_JAVA__HOME")
    os.environ["JAVA_HOME"] = str(jdk.home)
    conf = SparkConf().setAll(
        [*spark_conf(settings, app_name, java_options).items(), *(extra_conf or {}).items()]
    )
    if own_process_group and SparkContext._gateway is None:
        gateway = launch_gateway(  # type: ignore[no-untyped-call]
            conf, popen_kwargs={"start_new_session": True}
        )
        SparkContext._gateway = gateway
        SparkContext._jvm = gateway.jvm
    session = SparkSession.builder.config(conf=conf).getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
