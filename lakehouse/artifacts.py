"""Where the JVM artifacts resolved from ``jvm/pom.xml`` live in the cache.

Each component's folder is keyed by a digest of the pom, so changing a version there
resolves afresh and never mixes jars of two versions.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Literal

from lakehouse.settings import Settings

Component = Literal["kafka", "spark", "trino"]
COMPONENTS: tuple[Component, ...] = ("kafka", "spark", "trino")
POM = Path(__file__).resolve().parent.parent / "jvm" / "pom.xml"
READY_MARKER = ".complete"


class MissingArtifacts(Exception):
    """A component's JVM artifacts are not in the cache: `beacon bootstrap` fetches them."""


@cache
def pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()[:12]


def artifact_dir(settings: Settings, component: Component) -> Path:
    return settings.cache_dir.expanduser().resolve() / "jvm" / f"{component}-{pom_digest()}"


def ready_artifact_dir(settings: Settings, component: Component) -> Path:
    """The component's folder, or MissingArtifacts naming the fix."""
    folder = artifact_dir(settings, component)
    if not (folder / READY_MARKER).exists():
        raise MissingArtifacts(
            f"{component} artifacts are not installed in {folder}; run `make bootstrap`"
        )
    return folder
