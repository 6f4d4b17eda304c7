"""Hub errors as HTTP answers, in one place. Anything that is not a ``HubError`` stays a logged 500."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from feedback.ids import InvalidId
from hub.errors import AlreadyExists, HubError, Invalid, InvalidToken, NotFound, StoreUnavailable

STATUS: list[tuple[type[HubError], int]] = [
    (NotFound, 404),
    (AlreadyExists, 409),
    (Invalid, 422),
    (InvalidToken, 401),
    (StoreUnavailable, 503),  # the database is restarting, unreachable or locked: try again shortly
]


def status_of(exc: HubError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


async def hub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content={"detail": str(exc)}, headers=headers)


def _finite(value: Any) -> Any:
    """NaN and infinities as text: JSON has no such numbers, and echoing them back must not turn a 422 into a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def validation_failed(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 for bad input, safe for any input value."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": _finite(jsonable_encoder(exc.errors()))})


async def invalid_id(request: Request, exc: Exception) -> Response:
    """An id outside ``[a-z0-9-]`` that reached the library (the routes' own patterns catch most)."""
    return JSONResponse(status_code=422, content={"detail": str(exc)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, hub_error)
    app.add_exception_handler(InvalidId, invalid_id)
    app.add_exception_handler(RequestValidationError, validation_failed)
