"""`sunbid export ocds --out DIR`: release and record packages of everything public."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from core.runtime import Runtime, run_job
from publication import service
from publication.config import OcdsConfig

err = Console(stderr=True)


def register(group: click.Group) -> None:
    @group.group("export")
    def export() -> None:
        """Export open data."""

    @export.command("ocds")
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
    def export_ocds(out: Path) -> None:
        """Write OCDS 1.1 release packages and record packages of every public tender to DIR."""

        async def job(runtime: Runtime) -> dict[str, int]:
            config = OcdsConfig.from_settings(runtime.settings)
            with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
                task = bar.add_task("export", total=None)
                return await service.export(
                    runtime, config, out, lambda n, total: bar.update(task, completed=n, total=total)
                )

        try:
            counts = run_job(job)
        except (OSError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}")
            sys.exit(1)
        click.echo(f"wrote {counts['records']} records and {counts['releases']} releases to {out}")
