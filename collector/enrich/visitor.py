"""Cookieless visitor id: a keyed hash of the visitor's address and user agent under a salt
that changes every UTC day.

The salt is derived from the secret and the date, never stored, so yesterday's hashes cannot
be recomputed without the secret and a visitor cannot be followed across days. The same
visitor on the same site and day gets the same id; another site gets another id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from functools import lru_cache

SALT_PERSON = b"beacon-salt-v1"  # domain separation: the salt is for this use only
HASH_PERSON = b"beacon-visitor1"
VISITOR_HASH_BYTES = 16  # 32 hex characters


def _key(secret: bytes) -> bytes:
    if not secret:
        raise ValueError("the visitor-hash secret must not be empty")
    # BLAKE2b keys are at most 64 bytes; a longer secret is hashed down to one.
    return secret if len(secret) <= 64 else hashlib.blake2b(secret).digest()


@lru_cache(maxsize=16)
def daily_salt(secret: bytes, day: date) -> bytes:
    """The salt of one UTC day, derived from the secret."""
    return hashlib.blake2b(
        day.isoformat().encode(), key=_key(secret), digest_size=32, person=SALT_PERSON
    ).digest()


def utc_day(moment: datetime) -> date:
    """The UTC date of a timezone-aware moment; the salt rotates at midnight UTC."""
    if moment.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    return moment.astimezone(UTC).date()


def visitor_hash(secret: bytes, day: date, site_id: str, ip: str, user_agent: str) -> str:
    """Hex digest of BLAKE2b keyed with the day's salt over (site_id, ip, user_agent)."""
    # NUL separators: no field can shift into its neighbour.
    message = f"{site_id}\0{ip}\0{user_agent}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(
        message, key=daily_salt(secret, day), digest_size=VISITOR_HASH_BYTES, person=HASH_PERSON
    ).hexdigest()


def visitor_id(
    anonymous_id: str | None,
    secret: bytes,
    received_at: datetime,
    site_id: str,
    ip: str,
    user_agent: str,
) -> str:
    """The client's anonymous_id when it sent one, else the cookieless daily hash."""
    if anonymous_id:
        return anonymous_id
    return visitor_hash(secret, utc_day(received_at), site_id, ip, user_agent)
