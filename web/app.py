"""The app factory: wires every context's API handlers, pages and sockets onto one runtime."""

from __future__ import annotations

import gc
import inspect
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ASGIApp
from sqlalchemy.ext.asyncio import AsyncSession

from core import admin_api as core_admin_api
from core import api as core_api
from core import pages as core_pages
from core.access import (
    PUBLIC,
    PrincipalMiddleware,
    check_routes_declare_roles,
    provide_principal,
    provide_viewer,
    role_guard,
    route_handlers,
)
from core.asgi_send import keep_asgi_send
from core.clock import TEMPLATE_FILTERS, Clock, use_centre_time_in_logs
from core.contexts import folders, parts
from core.csrf import CsrfMiddleware, csrf_field
from core.numbers import yuan
from core.paging import DEFAULT_PAGE, paging_from
from core.pubsub import make_channels_plugin
from core.runtime import Rt, Runtime, provide_runtime
from core.scheduler import Job, Scheduler
from core.security_headers import add_security_headers
from core.settings import Settings
from web import admin, asyncapi, live, portal
from web.api_docs import LocalSwaggerRenderPlugin
from web.error_docs import ApiOpenAPIConfig, document_errors
from web.errors import EXCEPTION_HANDLERS

WEB = Path(__file__).parent
# Each context keeps its templates under <context>/templates/<context>/; the layout lives in web.
TEMPLATE_DIRS = [WEB / "templates", *folders("templates")]


async def provide_db(runtime: Rt) -> AsyncGenerator[AsyncSession, None]:
    """The request's unit of work: committed after the handler returns, rolled back if it raises."""
    async with runtime.transaction() as session:
        yield session


def template_engine() -> JinjaTemplateEngine:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html", "svg"]),
        enable_async=False,
    )
    env.globals["csrf_field"] = csrf_field
    env.filters.update(TEMPLATE_FILTERS)  # beijing, beijing_minute, beijing_date (core/clock.py)
    env.filters["yuan"] = yuan  # amounts with thousands separators (core/numbers.py)
    return JinjaTemplateEngine.from_environment(env)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    runtime: Runtime | None = None,
    extra_jobs: Sequence[Job] = (),
) -> Litestar:
    """``extra_jobs`` run beside every context's jobs: ``sunbid demo`` passes the demo's."""
    use_centre_time_in_logs()
    runtime = runtime or Runtime.build(settings or Settings.from_env(), clock)
    channels = make_channels_plugin(runtime.settings.redis_url)
    runtime.channels = channels

    scheduler = Scheduler(runtime, [job for module in parts("jobs") for job in module.JOBS] + [*extra_jobs])

    async def start_scheduler() -> None:
        if runtime.settings.run_scheduler:
            await scheduler.start()

    async def close_runtime() -> None:
        await scheduler.stop()
        await runtime.close()

    app = Litestar(
        route_handlers=[
            *core_api.ROUTE_HANDLERS,
            *core_admin_api.ROUTE_HANDLERS,
            *core_pages.PAGES,
            *portal.HANDLERS,
            *admin.HANDLERS,
            *live.HANDLERS,
            *asyncapi.HANDLERS,
            *[handler for module in parts("api") for handler in module.ROUTE_HANDLERS],
            *[handler for module in parts("pages") for handler in module.ROUTE_HANDLERS],
            create_static_files_router(
                "/static", directories=[WEB / "static"], opt=PUBLIC, include_in_schema=False
            ),
        ],
        dependencies={
            "db": Provide(provide_db),
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "viewer": Provide(provide_viewer, sync_to_thread=False),
            "paging": paging_from(DEFAULT_PAGE),
        },
        guards=[role_guard],
        middleware=[CsrfMiddleware(), PrincipalMiddleware()],  # refuse forgeries before looking up sessions
        plugins=[channels],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_security_headers],
        template_config=TemplateConfig(instance=template_engine()),
        openapi_config=ApiOpenAPIConfig(
            title="sunbid API",
            version="0.1.0",
            description="阳光招标 — e-tendering and remote bid evaluation. The WebSockets (opening hall, "
            "evaluation room, audit stream, expert notices, draws) are documented in the AsyncAPI 3.0 "
            "document [/schema/asyncapi.json](/schema/asyncapi.json).",
            path="/schema",
            render_plugins=[LocalSwaggerRenderPlugin(path="/")],
        ),
        state=State({"runtime": runtime, "scheduler": scheduler}),
        on_startup=[start_scheduler],
        on_shutdown=[close_runtime],
        debug=runtime.settings.debug,
    )
    _declare_framework_routes(app)
    _document_from_docstrings(app)
    check_routes_declare_roles(app)
    document_errors(app)
    return app


def _declare_framework_routes(app: Litestar) -> None:
    # Litestar's own routes are public: the OpenAPI documentation, and the OPTIONS handlers it adds
    # to every path (they only list the allowed methods).
    for path, handler in route_handlers(app):
        methods: set[str] = getattr(handler, "http_methods", set())
        if path.startswith("/schema") or (
            methods == {"OPTIONS"} and handler.handler_name == "options_handler"
        ):
            handler.opt.update(PUBLIC)


def _document_from_docstrings(app: Litestar) -> None:
    # An operation's summary is its handler's docstring's first paragraph (its lines joined, so it
    # never stops mid-sentence) and its description the rest (or the same paragraph), unless the route
    # states them; the schema is built after this, on first use.
    for _path, handler in route_handlers(app):
        doc = inspect.getdoc(getattr(handler, "fn", None))
        if not doc or not isinstance(handler, HTTPRouteHandler):
            continue
        summary, rest = summary_of(doc)
        handler.summary = handler.summary or summary
        handler.description = handler.description or rest or summary


def summary_of(doc: str) -> tuple[str, str]:
    """A docstring's first paragraph as one line, and the paragraphs after it."""
    first, _, rest = doc.strip().partition("\n\n")
    return " ".join(line.strip() for line in first.splitlines()), rest.strip()


def asgi_app(**kwargs: Any) -> ASGIApp:
    """Entry point for ``uvicorn --factory web.app:asgi_app`` (settings from the environment); room
    sockets send through the server's own ASGI send (``core.asgi_send.keep_asgi_send``).

    A serving process's objects from start-up (modules, mappers, routes, templates: most of its heap)
    live as long as it does; frozen, the collector's full passes no longer walk them again and again
    while hundreds of sockets join (bench/rooms.py)."""
    app = keep_asgi_send(create_app(**kwargs))
    gc.collect()
    gc.freeze()
    return app
