"""``sunbid experts import|generate`` and ``sunbid draw verify`` (offline: no database needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from core.errors import DomainError
from core.runtime import Runtime, run_job
from experts import enrolment, registry
from experts.verify import audit_bodies, verify

err = Console(stderr=True)
T = TypeVar("T")


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)  # one line
    sys.exit(code)


def register(group: click.Group) -> None:
    @group.group(help="评标专家库 (expert pool)")
    def experts() -> None:
        pass

    @experts.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_cmd(file: Path) -> None:
        """Import experts from CSV; every row is validated first and nothing is half-imported."""
        text = file.read_text(encoding="utf-8")

        async def job(runtime: Runtime) -> int:
            async with runtime.transaction() as session:
                return await registry.import_csv(session, runtime, text, actor="cli")

        try:
            count = run_job(job)
        except DomainError as exc:
            _fail(exc.detail)
        click.echo(f"imported {count} experts")

    @experts.command("generate")
    @click.option("--count", type=int, required=True)
    @click.option("--seed", type=int, default=220200, show_default=True)
    def generate_cmd(count: int, seed: int) -> None:
        """Add a realistic synthetic pool over the demo counties (demo and benchmarks)."""

        async def job(runtime: Runtime) -> int:
            with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
                task = bar.add_task("generate", total=count)
                async with runtime.transaction() as session:
                    made = await registry.generate_pool(
                        session, runtime, count, seed, actor="cli",
                        progress=lambda n: bar.update(task, completed=n),
                    )  # fmt: skip
            return len(made)

        try:
            added = run_job(job)
        except DomainError as exc:
            _fail(exc.detail)
        click.echo(f"generated {added} experts")

    @experts.command("link")
    @click.argument("code")
    @click.argument("username")
    def link_cmd(code: str, username: str) -> None:
        """Link expert CODE to the login USERNAME (which gains the expert role), so the expert can log in."""

        async def job(runtime: Runtime) -> str:
            async with runtime.transaction() as session:
                expert = await enrolment.link_expert_to_user(session, runtime, code, username, actor="cli")
                return expert.code

        try:
            linked = run_job(job)
        except DomainError as exc:
            _fail(exc.detail)
        click.echo(f"linked expert {linked} to user {username.strip().casefold()}")

    @group.group(help="专家抽取 (expert draws)")
    def draw() -> None:
        pass

    @draw.command("verify")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--audit",
        "audit_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="the audit log's entries (JSON list, as /api/audit/entries serves them): also check that "
        "the document opens the commitments the log published before the draw",
    )
    def verify_cmd(file: Path, audit_file: Path | None) -> None:
        """Re-run a published draw offline and say whether its result matches."""
        doc, entries = _json(file), _json(audit_file) if audit_file is not None else None
        if entries is not None and not isinstance(entries, list):
            _fail(f"{audit_file}: not a JSON list of audit entries")
        try:
            audit = audit_bodies(entries) if entries is not None else None
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            _fail(f"{audit_file}: not a list of audit entries ({exc!r})")
        verdict = verify(doc, audit)
        for name, ok, detail in verdict.checks:
            click.echo(f"{'OK  ' if ok else 'FAIL'} {name}: {detail}")
        if not verdict.ok:
            click.echo(f"MISMATCH: {verdict.first_failure}", err=True)
            sys.exit(2)
        click.echo(f"draw {doc.get('draw_id')} verified: the published result matches")


def _json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"{file}: not a JSON document ({exc})")
