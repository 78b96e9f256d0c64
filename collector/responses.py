"""An HTTP response as the collector sends it over ASGI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


class Response:
    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = {"content-type": content_type, **(headers or {})}

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(status, orjson.dumps(payload), headers=headers)

    @classmethod
    def error(
        cls, status: int, reason: str, detail: str, headers: dict[str, str] | None = None
    ) -> Response:
        return cls.json(status, {"error": reason, "detail": detail}, headers)

    async def send(self, send: Send) -> None:
        headers = [(k.encode(), v.encode()) for k, v in self.headers.items()]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})
