"""Domain errors: services raise these; web turns them into ``{"error": code, "detail": message}``."""

from __future__ import annotations

import msgspec


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


# --- the error body every API error answer carries (web/errors.py renders it; core/client.py reads it) --


class InvalidField(msgspec.Struct, omit_defaults=True):
    """One input the server refused: where it was (``body``, ``query``, ``path``, ``header``) and why."""

    key: str
    message: str
    source: str | None = None


class ApiError(msgspec.Struct, omit_defaults=True):
    """The body of every error answer of the API (4xx and 5xx).

    ``error`` is a stable machine-readable code (``not_found``, ``invalid_request``, ``deadline_passed``
    …) that clients branch on; ``detail`` says it to a person, in Chinese and English; ``fields`` lists
    the refused inputs of a 400 ``invalid_request``. A 429 also carries a ``Retry-After`` header
    (seconds).
    """

    error: str
    detail: str
    fields: list[InvalidField] | None = None
