"""Every error a user can cause becomes one body, ``ApiError``, with the right status.

Browsers asking for an HTML page get the same message on a page instead, and a login redirect for 401.
Which statuses each operation can answer is documented by web/error_docs.py from the same codes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import is_unique_violation
from core.errors import ApiError as ApiError  # the error body, defined beside the errors it carries
from core.errors import DomainError, TooManyAttempts
from core.errors import InvalidField as InvalidField
from core.rendering import page
from core.types import AnyRequest

log = logging.getLogger("sunbid")

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_attempts",
}


def wants_html(request: AnyRequest) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/schema", "/healthz", "/ws/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(
    request: AnyRequest,
    status: int,
    code: str,
    detail: str,
    *,
    fields: list[InvalidField] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if wants_html(request):
        if status == 401:
            return Redirect(f"/login?next={request.url.path}", status_code=303)
        return page(request, "error.html", status_code=status, detail=detail)
    return Response(ApiError(code, detail, fields), status_code=status, headers=headers)


def domain_error(request: AnyRequest, exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return error_response(request, exc.status_code, exc.code, exc.detail, headers=headers)


# Litestar reports a missing required parameter in its detail only, as "Missing required header
# parameter 'X-Sunbid-Manifest' for path ..."; the answer names it as a field like any other.
_MISSING = re.compile(r"^Missing required (header|query|path|cookie) parameter '([^']+)'")


def validation_error(request: AnyRequest, exc: ValidationException) -> Response[Any]:
    fields = [
        InvalidField(str(f.get("key", "?")), str(f.get("message", "")), _source(f.get("source")))
        for f in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(f, dict)
    ]
    missing = _MISSING.match(str(exc.detail or ""))
    if missing and not fields:
        fields = [InvalidField(missing.group(2), "缺少必需参数 (required, missing)", missing.group(1))]
    named = "; ".join(f"{f.key}: {f.message}" for f in fields)
    detail = f"请求数据有误 (invalid request){': ' + named if named else ''}"
    return error_response(request, 400, "invalid_request", detail, fields=fields)


def _source(source: Any) -> str | None:
    return None if source is None else str(getattr(source, "value", source))


def http_error(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    code = HTTP_CODES.get(exc.status_code, re.sub(r"\W+", "_", str(exc.status_code)))
    # Litestar puts a 405's allowed methods into the exception's headers; pass every header on.
    return error_response(request, exc.status_code, code, exc.detail, headers=exc.headers or None)


def internal_error(request: AnyRequest, exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request, HTTP_500_INTERNAL_SERVER_ERROR, "internal", "服务器内部错误 (internal error)"
    )


def integrity_error(request: AnyRequest, exc: IntegrityError) -> Response[Any]:
    """The safety net for races the services do not answer themselves: two requests creating the same
    thing at once, the slower one refused by a unique constraint, get a 409, not a 500. Any other
    integrity error (a missing reference, a NULL) is a bug and stays a 500."""
    if not is_unique_violation(exc):
        return internal_error(request, exc)
    log.warning("unique constraint refused a write on %s %s: %s", request.method, request.url.path, exc.orig)
    return error_response(
        request,
        HTTP_409_CONFLICT,
        "conflict",
        "该记录已存在，可能是重复或同时提交 (this already exists: a repeated or concurrent request)",
    )


def number_too_large(request: AnyRequest, exc: Exception) -> Response[Any]:
    """An id past what the database's integer columns hold (``/deductions/2**100``; on PostgreSQL past
    32 bits) names no row: 404, not the driver's overflow as a 500. Bodies and queries that carry such
    numbers state their bounds."""
    return error_response(request, 404, "not_found", "不存在 (no such record: the number is out of range)")


def database_error(request: AnyRequest, exc: DBAPIError) -> Response[Any]:
    """asyncpg refuses to bind an out-of-range integer with a DataError caused by an OverflowError."""
    cause: BaseException | None = exc.orig
    while cause is not None:
        if isinstance(cause, OverflowError):
            return number_too_large(request, exc)
        cause = cause.__cause__
    return internal_error(request, exc)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    OverflowError: number_too_large,
    DBAPIError: database_error,
    IntegrityError: integrity_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: internal_error,
}
