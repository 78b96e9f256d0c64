"""The admin endpoints' bearer token, compared in constant time: 401 without one, 403 with
a wrong one."""

from __future__ import annotations

import hmac

from fastapi.requests import Request

from api.errors import ApiError

BEARER = "bearer "


def require_admin(request: Request) -> None:
    """A FastAPI dependency: the request carries ``Authorization: Bearer <admin token>``."""
    expected: bytes = request.app.state.admin_token
    header = request.headers.get("authorization", "")
    if not header.lower().startswith(BEARER) or not header[len(BEARER) :].strip():
        raise ApiError(
            401,
            "missing_token",
            "the admin endpoints need the header Authorization: Bearer <api.admin_token>",
            {"WWW-Authenticate": "Bearer"},
        )
    given = header[len(BEARER) :].strip().encode()
    if not hmac.compare_digest(given, expected):
        raise ApiError(403, "bad_token", "the bearer token is not the admin token")
