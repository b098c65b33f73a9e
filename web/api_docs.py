"""The API documentation page (/schema): Swagger UI from our own static files, not a CDN.

Litestar's SwaggerRenderPlugin loads Swagger UI from a CDN and starts it with an inline script, which
the Content-Security-Policy refuses (and which shows a blank page offline). This page links the
vendored bundle (web/static/vendor/swagger-ui, rebuilt by web/static/vendor/build-swagger-ui.sh) and
web/static/api-docs.js, which reads the schema's address from the page and starts Swagger UI.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

VENDOR = "/static/vendor/swagger-ui"


class LocalSwaggerRenderPlugin(SwaggerRenderPlugin):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            js_url=f"{VENDOR}/swagger-ui-bundle.js", css_url=f"{VENDOR}/swagger-ui.css", **kwargs
        )

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        config = request.app.openapi_config
        spec_url = f"{(config.path if config and config.path else '/schema').rstrip('/')}/openapi.json"
        csrf = request.app.csrf_config
        csrf_attrs = (
            f' data-csrf-cookie="{escape(csrf.cookie_name)}" data-csrf-header="{escape(csrf.header_name)}"'
            if csrf and not csrf.cookie_httponly
            else ""
        )
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(str(openapi_schema['info']['title']))}</title>"
            f'<link rel="stylesheet" href="{escape(self.css_url)}">'
            '<link rel="stylesheet" href="/static/api-docs.css">'
            f'<script src="{escape(self.js_url)}" defer></script>'
            '<script src="/static/api-docs.js" defer></script>'
            "</head><body>"
            f'<div id="swagger-container" data-spec-url="{escape(spec_url)}"{csrf_attrs}></div>'
            "</body></html>\n"
        )
        return page.encode()
