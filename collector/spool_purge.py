"""Purging a subject's records from the collector's spool (an erasure's step): every segment
of every worker folder is rewritten without the records of the subject, so an event that
waited there for Kafka neither reaches the lake after the erasure nor stays on disk.

A record is the subject's when it is on the subject's site and one of its identifier fields
(or an alias call's previous id) is one of the subject's ids; a bad row (events.bad) when
its text holds one of them anywhere, as the erasure matches raw.events_bad's payload.

A segment is replaced atomically (a new file renamed over it). A worker appends to its
newest segment by path, so an append that lands while the segment is rewritten is seen (the
size changed) and the rewrite is done again."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import orjson

from collector.spool import SpoolFolder, decode_line
from lakehouse.erasure import IDENTIFIER_COLUMNS
from lakehouse.schema import ALIAS_PREVIOUS_ID

ATTEMPTS = 5


def is_subjects(line: bytes, site_id: str, ids: frozenset[str]) -> bool:
    """The spooled line is a record of the subject (a torn line never is: replay skips it)."""
    try:
        record = decode_line(line)
        value = orjson.loads(record.value)
    except (orjson.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        return False
    if not isinstance(value, dict):
        return False
    if "payload" in value:  # a bad row: its site may be unknown, its text holds the ids
        text = record.value.decode(errors="replace")
        on_site = value.get("site_id") in (site_id, None)
        return on_site and any(identifier in text for identifier in ids)
    if value.get("site_id") != site_id:
        return False
    fields = [value.get(name) for name in IDENTIFIER_COLUMNS]
    properties = value.get("properties")
    if isinstance(properties, dict):
        fields.append(properties.get(ALIAS_PREVIOUS_ID))
    return any(field in ids for field in fields if isinstance(field, str))


def purge_segment(segment: Path, site_id: str, ids: frozenset[str]) -> int:
    """Rewrite one segment without the subject's records; the records removed."""
    for _ in range(ATTEMPTS):
        try:
            raw = segment.read_bytes()
        except FileNotFoundError:  # replayed into Kafka meanwhile
            return 0
        lines = raw.splitlines(keepends=True)
        kept = [line for line in lines if not is_subjects(line.rstrip(b"\n"), site_id, ids)]
        removed = len(lines) - len(kept)
        if not removed:
            return 0
        replacement = segment.with_name(segment.name + ".purge")
        with replacement.open("wb") as out:
            out.write(b"".join(kept))
            out.flush()
            os.fsync(out.fileno())
        try:
            if segment.stat().st_size != len(raw):  # appended to meanwhile
                replacement.unlink()
                continue
            os.replace(replacement, segment)
        except FileNotFoundError:
            replacement.unlink(missing_ok=True)
            return 0
        return removed
    raise OSError(f"spool segment {segment} kept changing; its purge is to be run again")


def purge_subject(root: Path, site_id: str, ids: Iterable[str]) -> int:
    """Remove the subject's records from every spool segment under ``root``; how many."""
    wanted = frozenset(i for i in ids if i)
    if not wanted or not root.exists():
        return 0
    removed = 0
    for folder in sorted(root.glob(f"{SpoolFolder.PREFIX}*")):
        for segment in sorted(folder.glob("*.jsonl")):
            removed += purge_segment(segment, site_id, wanted)
    return removed
