"""``sunbid credit ...``: the daily recompute, deduction exchange files, the shipped rule catalogue."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.errors import DomainError
from core.runtime import Runtime, run_job
from credit import exchange, rules, snapshots
from credit.deductions import today

T = TypeVar("T")
err = Console(stderr=True)


def run(job: Callable[[Runtime], Awaitable[T]]) -> T:
    try:
        return run_job(job)
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc.detail}", soft_wrap=True)
        sys.exit(1)


def parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error:[/red] not a date (YYYY-MM-DD): {text}")
        sys.exit(1)


def register(group: click.Group) -> None:
    @group.group("credit")
    def credit() -> None:
        """Deduction-only credit index (信用指数)."""

    @credit.command("recompute")
    @click.option("--date", "day_text", default=None, help="Day to evaluate (YYYY-MM-DD); default today")
    def recompute(day_text: str | None) -> None:
        """Recompute every subject's index for a day and store the daily snapshot (每日一评)."""
        wanted = parse_day(day_text)

        async def job(runtime: Runtime) -> snapshots.Run:
            day = wanted or today(runtime)
            with Progress(
                TextColumn(f"credit {day}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as bar:
                task = bar.add_task("snapshot", total=None)
                async with runtime.transaction() as session:
                    return await snapshots.recompute(
                        session,
                        runtime,
                        day,
                        progress=lambda done, total: bar.update(task, completed=done, total=total),
                    )

        result = run(job)
        click.echo(
            f"credit {result.day}: {result.subjects} subjects, A {result.grade_a}, B {result.grade_b}, "
            f"C {result.grade_c}, D {result.grade_d}, barred {result.barred}"
        )

    @credit.command("export")
    @click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
    @click.option("--since", default=None, help="Only deductions starting on or after this day")
    def export(output: Path | None, since: str | None) -> None:
        """Write every deduction as JSON lines (schema in credit/exchange.py) to a file or stdout."""
        since_day = parse_day(since)

        async def job(runtime: Runtime) -> list[str]:
            async with runtime.sessions() as session:
                return [line async for line in exchange.export_lines(session, since=since_day)]

        lines = run(job)
        if output is None:
            sys.stdout.write("".join(lines))
        else:
            output.write_text("".join(lines), encoding="utf-8")
            click.echo(f"exported {len(lines)} deductions to {output}", err=True)

    @credit.command("import")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_(source: Path) -> None:
        """Import another platform's JSON-lines file: all or nothing, idempotent."""
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            err.print("[red]error:[/red] the file is not UTF-8")
            sys.exit(1)

        async def job(runtime: Runtime) -> exchange.ImportReport:
            async with runtime.transaction() as session:
                return await exchange.import_lines(session, runtime, text, actor="cli")

        report = run(job)
        click.echo(
            f"imported {report.lines} lines: +{report.added} deductions, {report.revoked} revocations, "
            f"{report.unchanged} already known"
        )

    @credit.command("catalogue")
    def catalogue() -> None:
        """Install the shipped rules that are missing (existing rules are left as they are)."""

        async def job(runtime: Runtime) -> int:
            async with runtime.transaction() as session:
                return await rules.ensure_catalogue(session, runtime, actor="cli")

        click.echo(f"credit rules: +{run(job)}")
