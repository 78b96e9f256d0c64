"""The test run's SparkSession, started in a thread of its own as the run begins: the JVM boots
and runs a first query (ten seconds and more on two cores) while the tests before the first
one that needs Spark run."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from lakehouse.jdk import find_jdk
from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

START_TIMEOUT_S = 300


class SparkStart:
    """Starts ``spark_session(settings, app_name, ...)`` at once; :meth:`session` waits for it.

    The tests go on only once the JVM is launched: until then the start reads the process's
    environment (JAVA_HOME, PATH), which some tests change. The JDK is found before the thread
    starts, for the same reason."""

    def __init__(
        self,
        settings: Settings,
        app_name: str,
        extra_conf: Mapping[str, str],
        java_options: Sequence[str],
    ) -> None:
        from pyspark import SparkContext

        jdk = find_jdk(17, "Spark", settings.java.home, "BEACON_JAVA__HOME")
        os.environ["JAVA_HOME"] = str(jdk.home)
        java = settings.java.model_copy(update={"home": jdk.home})
        pinned = settings.model_copy(update={"java": java})
        self.started: Future[SparkSession] = Future()

        def start() -> None:
            try:
                session = spark_session(pinned, app_name, extra_conf, java_options=java_options)
                # A first query: the Python workers, the planner and a shuffle warmed up.
                warm_up = session.createDataFrame([("a", 1)], "key string, n int")
                warm_up.groupBy("key").sum().collect()
            except BaseException as error:  # noqa: BLE001 - handed on to the tests that wait
                self.started.set_exception(error)
            else:
                self.started.set_result(session)

        threading.Thread(target=start, name="spark-start", daemon=True).start()
        wait_for(
            lambda: SparkContext._gateway is not None or self.started.done(),
            START_TIMEOUT_S,
            poll_s=0.05,
        )

    def session(self) -> SparkSession:
        return self.started.result(timeout=START_TIMEOUT_S)

    def stop(self) -> None:
        """Stop the session if it started; a start still under way ends with the process."""
        if self.started.done() and self.started.exception() is None:
            self.started.result().stop()
