"""Type aliases that more than one module spells out: import them from here rather than repeating them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeAlias

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body

# A handler that needs the request itself (headers, body, cookies, rendering a page) takes
# ``request: AnyRequest``; one that only needs the caller or the runtime takes those instead.
AnyRequest: TypeAlias = Request[Any, Any, Any]

# A submitted HTML form (application/x-www-form-urlencoded), every field a string: ``data: Form``.
Form: TypeAlias = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

# A number to show or to chart: money and scores are Decimal, counts int, computed ratios float.
Number: TypeAlias = Decimal | float | int
