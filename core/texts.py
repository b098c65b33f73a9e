"""The bounded texts request bodies carry, stated once so the schema says what the services check.

The services strip a text and refuse it when empty or too long (422 ``bad_text``, with the Chinese and
English message for the pages); these aliases put the same bounds in /schema/openapi.json, so msgspec
answers a request that breaks them with 400 before the service runs. ``\\S``: at least one character
that is not white space (a text of spaces is empty once stripped).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

_SOME = r"\S"

Text2000 = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=2000, pattern=_SOME, description="1-2000 characters, not blank"),
]
Text4000 = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=4000, pattern=_SOME, description="1-4000 characters, not blank"),
]
OptionalText4000 = Annotated[str, msgspec.Meta(max_length=4000, description="at most 4000 characters")]
Title200 = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=_SOME, description="1-200 characters, not blank")
]
