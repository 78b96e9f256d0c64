"""What the browser tests present themselves as."""

from __future__ import annotations

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
"""A desktop Chrome's User-Agent, so the collector enriches the events as a visitor's."""
