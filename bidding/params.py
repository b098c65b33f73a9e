"""bidding's typed path parameters (a bad tender code, lot number or submission id is refused by the
pattern the OpenAPI schema states: 400 invalid_request, before any lookup) and its raw-body uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import PathParameter, QueryParameter

from bidding.common import CODE, SUBMISSION_ID
from bidding.inputs import LOT_HELP, LOT_PATTERN, TENDER_CODE_HELP
from bidding.views import SUBMISSION_ID_HELP

TenderCodeParam = Annotated[str, PathParameter(pattern=CODE.pattern, description=TENDER_CODE_HELP)]
LotParam = Annotated[str, PathParameter(pattern=LOT_PATTERN, description=LOT_HELP)]
SubmissionIdParam = Annotated[
    str, PathParameter(pattern=SUBMISSION_ID.pattern, description=SUBMISSION_ID_HELP)
]
TenderCodeQuery = Annotated[
    str | None, QueryParameter(pattern=CODE.pattern, description="only this tender's: " + TENDER_CODE_HELP)
]
SearchText = Annotated[
    str | None, QueryParameter(max_length=200, description="words to find in titles (and codes)")
]
RegionQuery = Annotated[str | None, QueryParameter(description="region code (行政区划码), e.g. 220281")]


def raw_upload(media_type: str, what: str) -> type[Operation]:
    """An Operation whose request body is declared as raw bytes of ``media_type`` (the handler streams
    ``request.stream()`` itself, so Litestar cannot see the body)."""

    @dataclass
    class RawUpload(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={
                    media_type: OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                    )
                },
                description=what,
                required=True,
            )

    return RawUpload
