"""Every refusal the API answers is ``{"error": <reason>, "detail": <what and why>}`` with a
4xx status, as the collector's are; never a traceback."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.requests import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError


class ApiError(HTTPException):
    def __init__(
        self, status: int, reason: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, detail, headers)
        self.reason = reason


def refusal(
    status: int, reason: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": reason, "detail": detail}, status, dict(headers or {}))


def validation_detail(error: ValidationError | RequestValidationError) -> str:
    """The first broken rule, naming its field: ``user_id: String should have at most ...``."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query"))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


async def api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)  # noqa: S101 (registered for ApiError only)
    return refusal(error.status_code, error.reason, str(error.detail), error.headers)


async def request_validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101 (registered for it only)
    return refusal(422, "schema_violation", validation_detail(error))
