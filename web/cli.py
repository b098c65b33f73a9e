"""The ``sunbid`` command line: serve, demo, db, user, audit — and the crypto tools of web/cli_crypto."""

from __future__ import annotations

import ctypes
import functools
import sys
import time
from collections.abc import Sequence
from typing import TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from core import accounts
from core.contexts import parts
from core.errors import DomainError
from core.migrate import upgrade
from core.roles import Role, parse_roles
from core.runtime import Runtime, run_job
from core.scheduler import Job
from web.cli_crypto import register as register_crypto_commands

T = TypeVar("T")
err = Console(stderr=True)


def fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    sys.exit(1)


# What `sunbid --help` lists: every command on one whole line, in one style, "English (中文)".
# A command added without a line here is listed with the first sentence of its own help, whole.
COMMANDS = {
    "age": "Encrypt and decrypt age v1 files (age 加密解密)",
    "audit": "Verify the public audit log (审计日志)",
    "bid": "Seal, submit, withdraw and follow sealed bids (投标)",
    "catalog": "The service-hall catalog (政务服务事项目录)",
    "credit": "The deduction-only credit index (信用指数)",
    "custody": "Opening-key ceremony: split and combine (开标密钥保管)",
    "db": "Database schema migrations (数据库)",
    "demo": "Seed the demo city of Jilin and serve it (演示)",
    "draw": "Expert draws (专家抽取)",
    "experts": "The expert pool (评标专家库)",
    "export": "Export open data, OCDS (开放数据导出)",
    "keygen": "Create an age identity, like age-keygen (生成密钥)",
    "login": "Log in and keep a token for the bid commands (登录)",
    "receipt": "Check bid receipts offline (回执验证)",
    "serve": "Serve the app, settings from SUNBID_* (启动服务)",
    "user": "User accounts (用户)",
}


class _Main(click.Group):
    """The top group: its command list is never cut short (click shortens help to 45 characters)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, COMMANDS.get(name) or command.get_short_help_str(limit=10_000))
            for name, command in sorted(self.commands.items())
            if not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=_Main,
    help="阳光招标 sunbid — e-tendering and remote bid evaluation.",
    context_settings={"max_content_width": 120},
)
def main() -> None:
    pass


# glibc's malloc hands a block of 128 KiB or more (its threshold then moves with what is freed) to the
# kernel as fresh pages, and gives it back when freed: the next such block, a read buffer or a
# package's ends (1 MiB each), is faulted in again page by page, about 0.7 ms per MiB on this kind of
# machine, several times per opened bid. The server keeps what it frees for its next blocks instead.
MMAP_THRESHOLD = 32 * 1024 * 1024  # blocks up to this size come from the heap, reused once freed
TRIM_THRESHOLD = 128 * 1024 * 1024  # free memory kept at the heap's top before it is given back
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


def keep_freed_memory() -> bool:
    """Have malloc reuse freed blocks (see above); False where it is not glibc's, which is left alone."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def serve_app(host: str, port: int, extra_jobs: Sequence[Job] = ()) -> None:
    import uvicorn

    from web.app import asgi_app

    keep_freed_memory()

    uvicorn.run(
        functools.partial(asgi_app, extra_jobs=extra_jobs),
        factory=True,
        host=host,
        port=port,
        log_level="info",
        ws="websockets-sansio",
        # Room frames are a few hundred bytes sent to hundreds of sockets: compressing each one per
        # socket (deflate keeps a context per connection) costs more CPU than the bytes it saves, and
        # without it a room writes each frame's bytes, encoded once, to every socket (core/asgi_send.py).
        ws_per_message_deflate=False,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app (settings from SUNBID_* environment variables)."""
    serve_app(host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--seed-only", is_flag=True, help="Seed the demo city and exit.")
def demo(host: str, port: int, seed_only: bool) -> None:
    """Migrate, seed the demo city (吉林市), print the logins and serve."""
    from demo import DEMO_PASSWORD, DEMO_USERS, JOBS, seed_demo

    started: dict[str, float] = {}

    def progress(part: str, counts: dict[str, int] | None) -> None:
        """One line as each part starts and one with its counts when done (a first seed takes a while)."""
        if counts is None:
            started[part] = time.monotonic()
            click.echo(f"seeding {part} …")
        else:
            took = time.monotonic() - started.get(part, time.monotonic())
            click.echo(
                f"  {part}: " + ", ".join(f"+{n} {what}" for what, n in counts.items()) + f" ({took:.1f}s)"
            )

    async def job(runtime: Runtime) -> None:
        await upgrade(runtime.engine)
        click.echo("migrated; seeding the demo city (the first run takes a minute or two)")
        report = await seed_demo(runtime, progress=progress)
        added = f"+{report.regions} regions, +{report.organisations} organisations, +{report.users} users"
        click.echo(f"demo seeded: {added}")

    run_job(job)
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:<11} {user.role.value:<11} {user.display_name}")
    if seed_only:
        return
    click.echo(f"sunbid is at http://{host}:{port}/  (health: http://{host}:{port}/healthz)")
    serve_app(host, port, extra_jobs=JOBS)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all Alembic migrations."""

    async def job(runtime: Runtime) -> None:
        await upgrade(runtime.engine)

    run_job(job)
    click.echo("database is at the latest revision")


@main.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    required=True,
    help="Comma-separated: " + ",".join(r.value for r in Role),
)
@click.option("--name", "display_name", default="", help="Display name")
@click.option("--organisation-id", type=int, default=None)
@click.password_option("--password", help="Prompted when not given", confirmation_prompt=True)
def user_create(
    username: str, roles: str, display_name: str, organisation_id: int | None, password: str
) -> None:
    """Create a user with roles."""
    try:
        role_set = parse_roles(roles)
    except ValueError as exc:
        fail(str(exc))

    async def job(runtime: Runtime) -> int:
        async with runtime.transaction() as session:
            created = await accounts.create_user(
                session,
                runtime.clock,
                runtime.audit,
                username=username,
                password=password,
                display_name=display_name,
                roles=role_set,
                organisation_id=organisation_id,
                actor="cli",
            )
            return created.id

    try:
        user_id = run_job(job)
    except DomainError as exc:
        fail(exc.detail)
    click.echo(f"created user {username} (id {user_id}) with roles {', '.join(sorted(role_set))}")


@main.group()
def audit() -> None:
    """The public audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute every entry, root and checkpoint; name the first entry that no longer matches."""

    async def job(runtime: Runtime) -> tuple[int, str | None]:
        async with runtime.sessions() as session:
            total = await runtime.audit.size(session)
            with Progress(
                TextColumn("verifying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                disable=total < 5000,
            ) as bar:
                task = bar.add_task("verify", total=total)
                report = await runtime.audit.verify(session, progress=lambda n: bar.update(task, completed=n))
        if report.problem:
            return report.size, f"entry {report.problem.position}: {report.problem.reason}"
        return report.size, None

    size, problem = run_job(job)
    if problem:
        click.echo(f"TAMPERED: {problem}", err=True)
        sys.exit(2)
    click.echo(f"audit log OK: {size} entries, every leaf, root and signed checkpoint matches")


register_crypto_commands(main)
for _module in parts("cli"):  # each context adds its own commands
    _module.register(main)
