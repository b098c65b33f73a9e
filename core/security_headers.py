"""Security headers on every HTTP response (pages, JSON, static files, errors, 404s, the API docs).

The Content-Security-Policy allows scripts, styles, fonts and connections only from this origin and
no inline code at all: pages keep their JavaScript and CSS in static files, and the data a script
needs in ``data-*`` attributes or ``<script type="application/json">`` blocks (never executed).
``connect-src 'self'`` covers the same-origin WebSockets (CSP Level 3 matches ws:/wss: of the page's
host under 'self'). A response that sets a header itself keeps its own value (see STORED_DOCUMENT_POLICY).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# A stored document shown exactly as it was signed (the evaluation report): its own inline <style>
# and nothing else, no script from anywhere.
STORED_DOCUMENT_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook of the app: it sees every response start, whichever route (or none) made it."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
