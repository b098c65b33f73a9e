"""OpenAPI for routes whose bodies Litestar cannot see: raw request bodies and file downloads.

Litestar documents a request body only for a ``data`` parameter, which it decodes as JSON or a form;
a route reading CSV, JSON lines, octet-stream or a JSON document it parses itself (to hash the bytes or
name the bad line) declares its body with ``operation_class=raw_body(...)``; a JSON document states
its shape with ``shape=`` (a component the schema already has, e.g. the export's).
A route answering a ``Stream`` declares its media types with ``operation_class=file_answer(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Reference, RequestBody, Schema


def raw_body(media_type: str, description: str, *, shape: str | None = None) -> type[Operation]:
    """An Operation class whose request body is ``media_type`` (text for ``text/*``, else binary), or
    the component named ``shape`` (for a JSON document the route decodes itself)."""
    textual = media_type.startswith("text/")
    schema: Schema | Reference = (
        Reference(ref=f"#/components/schemas/{shape}")
        if shape
        else Schema(type=OpenAPIType.STRING, content_media_type=None if textual else media_type)
    )

    @dataclass
    class RawBodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={media_type: OpenAPIMediaType(schema=schema)}, description=description, required=True
            )

    return RawBodyOperation


def file_answer(*media_types: str) -> type[Operation]:
    """An Operation class whose success answer is a file in one of ``media_types``."""

    @dataclass
    class FileAnswerOperation(Operation):
        def __post_init__(self) -> None:
            for status, answer in (self.responses or {}).items():
                if status.startswith("2") and not isinstance(answer, Reference):
                    answer.content = {
                        m: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, content_media_type=m))
                        for m in media_types
                    }

    return FileAnswerOperation
