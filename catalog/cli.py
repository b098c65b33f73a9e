"""``sunbid catalog import FILE`` and ``sunbid catalog export --format json|csv -o FILE``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypeVar

import click
from rich.console import Console

from catalog.service import SystemActor
from catalog.transfer import ImportReport, export_csv, export_json, import_catalog, read_csv, read_json
from core.errors import DomainError
from core.runtime import Runtime, run_job

err = Console(stderr=True)
T = TypeVar("T")


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    sys.exit(1)


def bundles_path(path: Path) -> Path:
    """Where the CSV export puts the bundles: ``catalog.csv`` → ``catalog.bundles.csv``."""
    return path.with_name(path.stem + ".bundles.csv")


def register(group: click.Group) -> None:
    @group.group()
    def catalog() -> None:
        """The service-hall catalog (政务服务事项目录)."""

    @catalog.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_command(file: Path) -> None:
        """Import a catalog file (.json, or .csv with an optional <name>.bundles.csv); all or nothing."""
        raw = file.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            _fail(f"{file} is not UTF-8 text")
        try:
            if file.suffix.lower() == ".csv":
                sibling = bundles_path(file)
                parsed = read_csv(text, sibling.read_text("utf-8-sig") if sibling.exists() else None)
            else:
                parsed = read_json(text)
        except DomainError as exc:
            _fail(exc.detail)

        async def job(runtime: Runtime) -> ImportReport:
            with err.status(f"importing {len(parsed.items)} items…"):
                async with runtime.transaction() as session:
                    return await import_catalog(session, runtime, SystemActor("cli"), parsed, raw)

        try:
            report = run_job(job)
        except DomainError as exc:
            _fail(exc.detail)
        click.echo(
            f"imported {file.name}: +{report.departments} departments, +{report.created} items, "
            f"{report.updated} updated, {report.unchanged} unchanged, {report.bundles} bundles"
        )

    @catalog.command("export")
    @click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
    def export_command(fmt: str, output: Path) -> None:
        """Export the whole catalog (items and bundles)."""

        async def job(runtime: Runtime) -> tuple[str, str | None]:
            async with runtime.sessions() as session:
                if fmt == "json":
                    return await export_json(session), None
                return await export_csv(session)

        main_text, bundles_text = run_job(job)
        output.write_text(main_text, encoding="utf-8")
        if bundles_text is not None:
            bundles_path(output).write_text(bundles_text, encoding="utf-8")
        click.echo(
            f"exported the catalog to {output}" + (f" and {bundles_path(output)}" if bundles_text else "")
        )
