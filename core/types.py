"""Short names for framework types the controllers spell often."""

from __future__ import annotations

from typing import Any

from litestar import Request

# A handler that needs the request itself (headers, body, cookies, rendering a page) takes
# ``request: AnyRequest``; one that only needs the caller or the runtime takes those instead.
AnyRequest = Request[Any, Any, Any]
