"""The local Airflow's configuration, derived from beacon's settings.

Airflow reads all of it from ``AIRFLOW__*`` variables (no airflow.cfg to drift), its
connections from ``AIRFLOW_CONN_*`` and the Spark submit set-up the DAGs use from the
variable ``beacon_spark_submit`` (``AIRFLOW_VAR_BEACON_SPARK_SUBMIT``). The same environment
runs the supervised processes (:mod:`stack.airflow_service`), ``airflow dags test`` in the
tests and any ``airflow`` command a user runs by hand (`beacon airflow-env` prints it).

State under ``<state>/airflow``: the SQLite database, task logs, the admin password
(generated once, in the simple auth manager's passwords file), the secrets the processes share
(JWT signing key, Fernet key) and ``spark-defaults.conf``, beacon's Spark configuration for
spark-submit.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from pathlib import Path

from lakehouse.artifacts import ready_artifact_dir
from lakehouse.jdk import find_jdk
from lakehouse.settings import Settings
from lakehouse.spark import spark_conf
from stack.bootstrap import env_bin
from stack.errors import BeaconError

REPO = Path(__file__).resolve().parent.parent
DAGS_FOLDER = REPO / "dags"
JOBS_FOLDER = REPO / "spark_jobs"
ADMIN_USER = "admin"
SPARK_CONN_ID = "beacon_spark"
TRINO_CONN_ID = "beacon_trino"
SPARK_SUBMIT_VARIABLE = "beacon_spark_submit"
SUBMIT_TIME_CONF = ("spark.master", "spark.app.name", "spark.jars", "spark.pyspark.python")
"""Set by the operator itself (connection, task, ``jars=``, ``conf=``), not in the file."""


def airflow_home(settings: Settings) -> Path:
    return settings.state_path / "airflow"


def airflow_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.airflow}"


def airflow_program(settings: Settings) -> Path:
    """The ``airflow`` command of the Airflow env; BeaconError naming the fix if missing."""
    program = env_bin(settings, "airflow", "airflow")
    if not program.exists():
        raise BeaconError(
            f"the Airflow env is not installed ({program} is missing); "
            "run `beacon bootstrap --only airflow`"
        )
    return program


def passwords_file(settings: Settings) -> Path:
    return airflow_home(settings) / "passwords.json"


def _private_json(path: Path, make: dict[str, str]) -> dict[str, str]:
    """The JSON object in ``path``, written once with ``make`` (owner-only) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(make, file)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BeaconError(f"{path} is unreadable; delete it and start Airflow again")
    return data


def admin_password(settings: Settings) -> str:
    """The admin's password: generated on first use, kept in the passwords file that
    Airflow's simple auth manager reads."""
    passwords = _private_json(passwords_file(settings), {ADMIN_USER: secrets.token_urlsafe(16)})
    if ADMIN_USER not in passwords:
        raise BeaconError(f"{passwords_file(settings)} has no {ADMIN_USER} password; delete it")
    return passwords[ADMIN_USER]


def shared_secrets(settings: Settings) -> dict[str, str]:
    """Keys every Airflow process must agree on: the api-server signs the tokens tasks use
    with the JWT secret; connections in the database are encrypted with the Fernet key."""
    return _private_json(
        airflow_home(settings) / "secrets.json",
        {
            "jwt_secret": secrets.token_urlsafe(32),
            "fernet_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        },
    )


def spark_connection(settings: Settings) -> dict[str, object]:
    """The Spark connection: the master (``local[2]`` here, a cluster URL elsewhere);
    spark-submit is the one on the Airflow processes' PATH (:func:`spark_submit_dir`)."""
    return {
        "conn_type": "spark",
        "host": settings.spark.master,
        "extra": {"deploy-mode": "client", "spark-binary": "spark-submit"},
    }


def trino_connection(settings: Settings) -> dict[str, object]:
    host = "trino" if settings.profile == "docker" else settings.host
    return {
        "conn_type": "trino",
        "host": host,
        "port": settings.ports.trino,
        "login": settings.trino.user,
        "extra": {"catalog": settings.trino.catalog},
    }


def spark_defaults(settings: Settings) -> Path:
    """Write beacon's Spark configuration (:func:`lakehouse.spark.spark_conf`) as a Spark
    properties file for spark-submit, and return its path."""
    conf = spark_conf(settings, "beacon-batch")
    lines = [
        f"{key} {value}\n" for key, value in sorted(conf.items()) if key not in SUBMIT_TIME_CONF
    ]
    path = airflow_home(settings) / "spark-defaults.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return path


def spark_submit_dir(settings: Settings) -> Path:
    """A folder holding only ``spark-submit`` (the core env's, from pyspark), put first on the
    Airflow processes' PATH: the Airflow env needs no pyspark of its own, and nothing else of
    the core env shadows the Airflow env's programs."""
    folder = airflow_home(settings) / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "spark-submit"
    target = Path(sys.executable).parent / "spark-submit"
    if not target.exists():
        raise BeaconError(f"{target} is missing; reinstall the core env (`make bootstrap`)")
    if not link.is_symlink() or link.readlink() != target:
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return folder


def spark_submit_variable(settings: Settings) -> dict[str, str]:
    """What the DAGs' SparkSubmitOperators take from the ``beacon_spark_submit`` variable."""
    jars = sorted(ready_artifact_dir(settings, "spark").glob("*.jar"))
    return {
        "jobs": str(JOBS_FOLDER),
        "jars": ",".join(str(jar) for jar in jars),
        "properties_file": str(spark_defaults(settings)),
        "python": sys.executable,
        "driver_memory": settings.spark.driver_memory,
    }


def airflow_env(settings: Settings) -> dict[str, str]:
    """The environment of every Airflow process of this state dir (files it names are
    written first). Secrets are in it: never print it whole."""
    import pyspark

    home = airflow_home(settings)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    keys = shared_secrets(settings)
    admin_password(settings)
    jdk = find_jdk(17, "Spark", settings.java.home, "BEACON_JAVA__HOME")
    url = airflow_url(settings)
    config = {
        "core": {
            "dags_folder": str(DAGS_FOLDER),
            "executor": "LocalExecutor",
            "load_examples": "False",
            "parallelism": "4",
            "dags_are_paused_at_creation": "True",
            "execution_api_server_url": f"{url}/execution/",
            "simple_auth_manager_users": f"{ADMIN_USER}:admin",
            "simple_auth_manager_passwords_file": str(passwords_file(settings)),
            "fernet_key": keys["fernet_key"],
        },
        "database": {"sql_alchemy_conn": f"sqlite:///{home / 'airflow.db'}"},
        "api": {"host": settings.host, "port": str(settings.ports.airflow), "base_url": url},
        "api_auth": {"jwt_secret": keys["jwt_secret"]},
        "logging": {"base_log_folder": str(home / "logs")},
        "scheduler": {"enable_health_check": "False"},
        "dag_processor": {"refresh_interval": "60"},
    }
    env = {
        f"AIRFLOW__{section.upper()}__{key.upper()}": value
        for section, values in config.items()
        for key, value in values.items()
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            f"AIRFLOW_CONN_{SPARK_CONN_ID.upper()}": json.dumps(spark_connection(settings)),
            f"AIRFLOW_CONN_{TRINO_CONN_ID.upper()}": json.dumps(trino_connection(settings)),
            f"AIRFLOW_VAR_{SPARK_SUBMIT_VARIABLE.upper()}": json.dumps(
                spark_submit_variable(settings)
            ),
            "PATH": f"{spark_submit_dir(settings)}{os.pathsep}{os.environ.get('PATH', '')}",
            "SPARK_HOME": str(Path(pyspark.__file__).parent),
            "JAVA_HOME": str(jdk.home),
            "PYSPARK_PYTHON": sys.executable,
        }
    )
    return env
