"""A durable local spool for records Kafka could not take.

Records are appended to numbered segment files, one JSON line each, and fsync'd before the
append returns, so an accepted event survives a crash of the collector. Replay reads the
oldest segment first, so records leave in the order they came. The spool is bounded: an
append that would pass ``max_bytes`` raises :class:`SpoolFull` (the collector answers 503).

Each collector worker process owns one folder under the spool root, ``worker-<n>``, held by
an exclusive lock for the process's life (:class:`SpoolFolder`); a folder whose lock is free
(its process died, or there are fewer workers now) is adopted and replayed by a live worker.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson

from collector.records import Record

SEGMENT_BYTES = 8 * 2**20


class SpoolFull(Exception):
    """The spool has reached its size bound."""


def encode_line(record: Record) -> bytes:
    """A record as one line of a segment file."""
    return (
        orjson.dumps({"t": record.topic, "k": record.key.decode(), "v": record.value.decode()})
        + b"\n"
    )


def decode_line(line: bytes) -> Record:
    data = orjson.loads(line)
    return Record(data["t"], data["k"].encode(), data["v"].encode())


class Spool:
    """Segment files ``<folder>/<000000000001>.jsonl``; thread-safe appends."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._size = sum(path.stat().st_size for path in self.segments())
        self._current: Path | None = None

    def segments(self) -> list[Path]:
        return sorted(self.folder.glob("*.jsonl"))

    @property
    def size_bytes(self) -> int:
        return self._size

    def is_empty(self) -> bool:
        return self._size == 0 and not self.segments()

    def append(self, records: list[Record]) -> None:
        """Write ``records`` durably (fsync) or raise SpoolFull without writing any."""
        data = b"".join(encode_line(record) for record in records)
        with self._lock:
            if self._size + len(data) > self.max_bytes:
                raise SpoolFull(
                    f"spool {self.folder} is full ({self._size} of {self.max_bytes} bytes)"
                )
            segment = self._writable_segment()
            with segment.open("ab") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self._size += len(data)

    def _writable_segment(self) -> Path:
        # A process never appends to a segment it did not create: an older one may end in a
        # line torn by a crash, or be in replay.
        if (
            self._current is None
            or not self._current.exists()
            or self._current.stat().st_size >= SEGMENT_BYTES
        ):
            self._current = self._new_segment(self.segments())
        return self._current

    def _new_segment(self, existing: list[Path]) -> Path:
        number = int(existing[-1].stem) + 1 if existing else 1
        path = self.folder / f"{number:012d}.jsonl"
        path.touch()
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return path

    def oldest(self) -> tuple[Path, list[Record]] | None:
        """The oldest segment and its records (a torn last line from a crash is skipped)."""
        with self._lock:
            segments = self.segments()
            if not segments:
                return None
            segment = segments[0]
            if segment == self._current:
                self._current = None  # new appends go to a fresh segment from now on
            raw = segment.read_bytes()
        return segment, list(_decode_lines(raw))

    def remove(self, segment: Path) -> None:
        """Forget a segment once all its records are in Kafka."""
        with self._lock:
            size = segment.stat().st_size if segment.exists() else 0
            segment.unlink(missing_ok=True)
            self._size = max(0, self._size - size)


def _decode_lines(raw: bytes) -> Iterator[Record]:
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            yield decode_line(line)
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # only a crash mid-append leaves a torn line, always the last one


class SpoolFolder:
    """One ``worker-<n>`` folder of the spool root, held under an exclusive ``flock``.

    :meth:`claim` takes the lowest-numbered free folder (creating it if needed);
    :meth:`adopt` takes a given one if nobody holds it. The lock is released by
    :meth:`release` or when the process exits, however it exits."""

    PREFIX = "worker-"

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self._lock_fd = lock_fd

    @classmethod
    def claim(cls, root: Path) -> SpoolFolder:
        root.mkdir(parents=True, exist_ok=True)
        number = 0
        while True:
            folder = cls.adopt(root / f"{cls.PREFIX}{number}")
            if folder is not None:
                return folder
            number += 1

    @classmethod
    def adopt(cls, path: Path) -> SpoolFolder | None:
        """Lock ``path`` if no live process holds it; None if one does."""
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(path, fd)

    def release(self) -> None:
        os.close(self._lock_fd)  # closing the descriptor drops the lock

    @classmethod
    def siblings(cls, root: Path) -> list[Path]:
        """Every worker folder under ``root`` that holds records."""
        return sorted(
            folder
            for folder in root.glob(f"{cls.PREFIX}*")
            if folder.is_dir() and any(folder.glob("*.jsonl"))
        )


def spooled_bytes(root: Path) -> int:
    """Bytes waiting in every worker folder under ``root``."""
    total = 0
    for segment in root.glob(f"{SpoolFolder.PREFIX}*/*.jsonl"):
        try:
            total += segment.stat().st_size
        except FileNotFoundError:  # replayed meanwhile
            continue
    return total
