"""Finding a JDK of a required version: Kafka and Spark need 17+, Trino needs 25+."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

JVM_ROOT = Path("/usr/lib/jvm")


class JdkNotFound(Exception):
    """No JDK of the required version was found."""


@dataclass(frozen=True)
class Jdk:
    home: Path
    major: int

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"


def jdk_major(home: Path) -> int | None:
    """The feature version of the JDK at ``home`` from its ``release`` file, or None."""
    release = home / "release"
    if not (home / "bin" / "java").exists() or not release.is_file():
        return None
    for line in release.read_text(errors="replace").splitlines():
        if line.startswith("JAVA_VERSION="):
            version = line.split("=", 1)[1].strip().strip('"')
            head = version.split(".")[0]
            if head == "1":  # 1.8.0_x
                head = version.split(".")[1]
            return int(head) if head.isdigit() else None
    return None


def _candidates(preferred: Path | None) -> list[Path]:
    found: list[Path] = []
    if preferred is not None:
        return [preferred.expanduser()]
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path).resolve().parent.parent)
    if JVM_ROOT.is_dir():
        found.extend(sorted(p for p in JVM_ROOT.iterdir() if p.is_dir() and not p.is_symlink()))
    return found


def find_jdk(minimum: int, purpose: str, preferred: Path | None, setting: str) -> Jdk:
    """The first JDK >= ``minimum``: the setting if given, else JAVA_HOME, PATH, /usr/lib/jvm.

    Prefers the lowest suitable version, so Kafka and Spark get 17 when 17 and 25 exist.
    """
    suitable: list[Jdk] = []
    seen: list[str] = []
    for home in _candidates(preferred):
        major = jdk_major(home)
        seen.append(f"{home} ({major or 'not a JDK'})")
        if major is not None and major >= minimum:
            suitable.append(Jdk(home, major))
    if suitable:
        return min(suitable, key=lambda jdk: jdk.major)
    looked = ", ".join(seen) or "nothing found"
    hint = (
        f"set {setting} to its folder"
        if preferred is None
        else f"{setting}={preferred} is not a JDK {minimum}+"
    )
    raise JdkNotFound(
        f"no JDK {minimum}+ for {purpose} (looked at: {looked}); install one and {hint}"
        if preferred is None
        else f"{hint} for {purpose}; point it at a JDK {minimum}+ folder"
    )
