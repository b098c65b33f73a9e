"""OpenAPI for routes that read their body raw (``request.body()`` / ``request.stream()``).

Litestar documents a request body only for a ``data`` parameter, which it decodes as JSON or a form;
a route reading CSV or octet-stream itself declares its body with ``operation_class=raw_body(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema


def raw_body(media_type: str, description: str) -> type[Operation]:
    """An Operation class whose request body is ``media_type`` (text for ``text/*``, else binary)."""
    textual = media_type.startswith("text/")
    schema = Schema(type=OpenAPIType.STRING, content_media_type=None if textual else media_type)

    @dataclass
    class RawBodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={media_type: OpenAPIMediaType(schema=schema)}, description=description, required=True
            )

    return RawBodyOperation
