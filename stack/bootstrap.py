"""Installs what beacon runs, idempotently, reporting progress for each step.

- JVM artifacts (Kafka broker, Spark connectors, Trino) resolved by Maven from ``jvm/pom.xml``
  into ``<cache>/jvm/<component>-<pom digest>``; Maven's own repository (~/.m2) caches the
  downloads, so a new clone resolves offline in seconds.
- Separate virtual environments for Airflow and Superset (their pins conflict), from the lock
  files in ``envs/``, under ``<cache>/venvs/<name>-<lock digest>``.

The core environment (``.venv``, this package in editable mode) is made by ``make bootstrap``
before this module runs, since this module runs inside it. How progress is shown is the
caller's: :func:`bootstrap` tells a :class:`Progress` when each step begins, what its tools
print on the way and how it ended.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lakehouse.artifacts import (
    COMPONENTS,
    POM,
    READY_MARKER,
    Component,
    artifact_dir,
)
from lakehouse.jdk import find_jdk
from lakehouse.settings import Settings
from stack.errors import BeaconError

REPO = POM.parent.parent
ENVS_DIR = REPO / "envs"
PYTHON_VERSION = "3.11"
TRINO_PLUGINS = ("delta-lake",)

Report = Callable[[str], None]
UNPACK_REPORTS = 10  # progress lines while unpacking the Trino tarball


class BootstrapFailed(BeaconError):
    pass


class Progress(Protocol):
    """What a bootstrap reports while it works."""

    def step(self, index: int, total: int, label: str) -> None:
        """Step ``index`` of ``total`` begins."""

    def output(self, line: str) -> None:
        """A progress line of the running step's tool (a download, an install, unpacking)."""

    def step_done(
        self, index: int, total: int, label: str, installed: bool, seconds: float
    ) -> None:
        """The step ended: it installed something, or found it already installed."""


@dataclass(frozen=True)
class PythonEnv:
    """A virtual environment of its own, installed from a lock file in envs/."""

    name: str
    lock: Path
    module: str
    """Imported once after install, so a broken environment fails the bootstrap, not the demo."""

    def digest(self) -> str:
        return hashlib.sha256(self.lock.read_bytes()).hexdigest()[:12]


PYTHON_ENVS = (
    PythonEnv("airflow", ENVS_DIR / "airflow.txt", "airflow"),
    PythonEnv("superset", ENVS_DIR / "superset.txt", "superset"),
)
PARTS = (*COMPONENTS, *(env.name for env in PYTHON_ENVS))
"""What ``beacon bootstrap --only`` can name, in install order."""


def env_dir(settings: Settings, env: PythonEnv) -> Path:
    return settings.cache_dir.expanduser().resolve() / "venvs" / f"{env.name}-{env.digest()}"


def env_bin(settings: Settings, name: str, program: str) -> Path:
    """Path of ``program`` in the named Python environment."""
    env = next(e for e in PYTHON_ENVS if e.name == name)
    return env_dir(settings, env) / "bin" / program


def _run(argv: list[str], what: str, report: Report, cwd: Path | None = None) -> None:
    """Run a command, streaming its progress lines; BootstrapFailed with its last line."""
    process = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if process.stdout is None:
        raise BootstrapFailed(f"{what}: no output pipe from {argv[0]}")
    tail: list[str] = []
    for line in process.stdout:
        line = line.rstrip()
        if line:
            tail = [*tail[-20:], line]
            if _is_progress(line):
                report(f"    {line}")
    if process.wait() != 0:
        errors = [t for t in tail if "ERROR" in t or "error:" in t.lower()]
        detail = (errors or tail or ["no output"])[-1]
        raise BootstrapFailed(f"{what} failed: {detail.strip()}")


def _is_progress(line: str) -> bool:
    return line.startswith(("Downloaded from", "Downloading from")) or line.lstrip().startswith(
        ("Prepared", "Installed", "Resolved", "+ ", "Audited", "Using CPython")
    )


def _maven(settings: Settings, component: Component, target: Path, report: Report) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BootstrapFailed(
            "Maven (mvn) is not installed; install it with `apt-get install maven`"
        )
    jdk = find_jdk(17, "Maven", settings.java.home, "BEACON_JAVA__HOME")
    argv = [
        mvn,
        "-B",
        "-f",
        str(POM),
        "-P",
        component,
        "dependency:copy-dependencies",
        f"-DoutputDirectory={target}",
        f"-Djava.home={jdk.home}",
    ]
    _run(argv, f"resolving {component} with Maven", report)


def _unpack_trino(download: Path, target: Path, report: Report) -> None:
    """Keep only lib/ and the plugins beacon uses from the server tarball.

    Plugins hard-link the jars they share with lib/ and with each other, so the whole tarball
    is unpacked first and the rest deleted; the kept links stay valid.
    """
    (archive,) = download.glob("trino-server-*.tar.gz")
    unpacked = download / "unpacked"
    size = archive.stat().st_size
    report(f"    unpacking {archive.name} ({size / 2**20:.0f} MiB)")
    count = reported = 0
    with archive.open("rb") as compressed, tarfile.open(fileobj=compressed, mode="r:gz") as tar:
        for member in tar:
            tar.extract(member, unpacked, filter="data")
            count += 1
            share = compressed.tell() * UNPACK_REPORTS // size  # compressed bytes read so far
            if reported < share < UNPACK_REPORTS:
                reported = share
                report(f"    unpacking {archive.name}: {100 * share // UNPACK_REPORTS} %")
    (root,) = unpacked.iterdir()
    target.mkdir(parents=True)
    (root / "lib").rename(target / "lib")
    (target / "plugin").mkdir()
    for name in TRINO_PLUGINS:
        (root / "plugin" / name).rename(target / "plugin" / name)
    report(f"    kept lib/ and plugin/{{{','.join(TRINO_PLUGINS)}}} of {count} files")


def install_jvm_component(settings: Settings, component: Component, report: Report) -> bool:
    """Resolve one component into its cache folder; False if it was already there."""
    target = artifact_dir(settings, component)
    if (target / READY_MARKER).exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{component}-", dir=target.parent))
    try:
        if component == "trino":
            download = staging / "download"
            _maven(settings, component, download, report)
            _unpack_trino(download, staging / "home", report)
            shutil.rmtree(download)
            built = staging / "home"
        else:
            _maven(settings, component, staging / "lib", report)
            built = staging / "lib"
        (built / READY_MARKER).write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
        if target.exists():
            shutil.rmtree(target)
        built.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def install_python_env(settings: Settings, env: PythonEnv, report: Report) -> bool:
    target = env_dir(settings, env)
    if (target / READY_MARKER).exists():
        return False
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if target.exists():
        shutil.rmtree(target)
    _run(
        [uv, "venv", "--python", PYTHON_VERSION, str(target)],
        f"creating the {env.name} env",
        report,
    )
    _run(
        [uv, "pip", "install", "--python", str(target / "bin" / "python"), "-r", str(env.lock)],
        f"installing the {env.name} env from {env.lock.name}",
        report,
    )
    python = str(target / "bin" / "python")
    report(f"    checking: import {env.module}")
    _run([python, "-c", f"import {env.module}"], f"importing {env.module} in its env", report)
    (target / READY_MARKER).write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    return True


@dataclass(frozen=True)
class Step:
    part: str
    """What ``beacon bootstrap --only`` calls it."""
    label: str
    install: Callable[[Report], bool]
    """Installs, reporting its tools' progress lines; False if it was installed already."""


def steps(settings: Settings, only: tuple[str, ...] = ()) -> list[Step]:
    """Every install step in order, or the ``only`` ones; BootstrapFailed on an unknown part."""

    def jvm(component: Component) -> Step:
        return Step(
            component,
            f"JVM artifacts: {component}",
            lambda report: install_jvm_component(settings, component, report),
        )

    def python(env: PythonEnv) -> Step:
        return Step(
            env.name,
            f"Python env: {env.name}",
            lambda report: install_python_env(settings, env, report),
        )

    unknown = [part for part in only if part not in PARTS]
    if unknown:
        raise BootstrapFailed(f"unknown part {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    every = [*(jvm(c) for c in COMPONENTS), *(python(e) for e in PYTHON_ENVS)]
    return [step for step in every if not only or step.part in only]


def bootstrap(settings: Settings, progress: Progress, only: tuple[str, ...] = ()) -> None:
    """Install every JVM component and Python environment that is not installed yet."""
    planned = steps(settings, only)
    for index, step in enumerate(planned, start=1):
        started = time.monotonic()
        progress.step(index, len(planned), step.label)
        installed = step.install(progress.output)
        progress.step_done(index, len(planned), step.label, installed, time.monotonic() - started)
