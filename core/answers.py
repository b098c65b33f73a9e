"""What a route answers, for /schema/openapi.json, when its return annotation cannot say it.

A route that writes its own bytes (a CSV, an OCDS package our own encoder writes) declares
``responses=answers(TheShape, ...)`` so the schema shows the shape instead of "a string"; a route
with a second format (``?format=csv``) adds it with ``operation_class=also_answers(...)``.
Error answers are documented for every route elsewhere (web/error_docs.py), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

JSON = "application/json"
CSV = "text/csv; charset=utf-8"


def answers(
    shape: Any, *, description: str, media_type: str = JSON, status: int = 200
) -> dict[int, ResponseSpec]:
    """The success answer of a route whose body is ``shape`` written as ``media_type``."""
    return {
        status: ResponseSpec(
            data_container=shape, description=description, media_type=media_type, generate_examples=False
        )
    }


def also_answers(media_type: str, description: str, status: int = 200) -> type[Operation]:
    """An operation whose success answer may also be ``media_type`` text (e.g. ``?format=csv``)."""

    @dataclass
    class AlsoAnswers(Operation):
        def __post_init__(self) -> None:
            answer = (self.responses or {}).get(str(status))
            if isinstance(answer, OpenAPIResponse):
                answer.content = {
                    **(answer.content or {}),
                    media_type: OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, description=description)
                    ),
                }

    return AlsoAnswers


def nothing(description: str, status: int = 204) -> dict[int, ResponseSpec]:
    """An answer without a body (``204 No Content``), e.g. a feed with nothing new yet."""
    return {status: ResponseSpec(data_container=None, description=description)}


def binary_answer(*media_types: str, description: str, status: int = 200) -> type[Operation]:
    """An operation whose success answer is a file's bytes, as one of ``media_types`` (``*/*``: the type
    the file was uploaded with, whatever it was)."""

    @dataclass
    class BinaryAnswer(Operation):
        def __post_init__(self) -> None:
            answer = (self.responses or {}).get(str(status))
            if isinstance(answer, OpenAPIResponse):
                answer.description = description
                answer.content = {
                    media_type: OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                    )
                    for media_type in media_types
                }

    return BinaryAnswer
