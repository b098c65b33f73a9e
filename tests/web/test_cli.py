"""The sunbid CLI run as a user runs it: a real subprocess against a real database."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from core.models import AuditEntry
from core.runtime import Runtime
from core.settings import Settings
from demo.seeds.core import DEMO_USERS

SUNBID = str(Path(sys.executable).parent / "sunbid")


def sunbid(settings: Settings, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SUNBID_VAR_DIR": str(settings.var_dir),
        "SUNBID_DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [SUNBID, *args], env=env, capture_output=True, text=True, timeout=120, input=input, check=False
    )


def test_demo_seed_is_idempotent(settings: Settings) -> None:
    first = sunbid(settings, "demo", "--seed-only")
    assert first.returncode == 0, first.stderr
    assert "+10 regions" in first.stdout and f"+{len(DEMO_USERS)} users" in first.stdout
    assert "supervisor" in first.stdout and "sunbid-demo-2026" in first.stdout
    # a first seed says what it is doing as it goes: one line as each part starts, one with its counts
    for part in ("core", "catalog", "experts", "bidding", "evaluation"):
        assert f"seeding {part} …" in first.stdout, part
    assert re.search(r"^  experts: \+849 experts, \+2 draws \(\d+\.\ds\)$", first.stdout, re.M)
    assert first.stdout.index("seeding catalog …") < first.stdout.index("  catalog: +")
    second = sunbid(settings, "demo", "--seed-only")
    assert second.returncode == 0, second.stderr
    assert "+0 regions, +0 organisations, +0 users" in second.stdout


def test_user_create_and_duplicate_is_a_clear_error(settings: Settings) -> None:
    assert sunbid(settings, "db", "upgrade").returncode == 0
    made = sunbid(
        settings, "user", "create", "zhang.san", "--role", "supervisor", "--password", "pw-12345678"
    )
    assert made.returncode == 0, made.stderr
    again = sunbid(
        settings, "user", "create", "zhang.san", "--role", "supervisor", "--password", "pw-12345678"
    )
    assert again.returncode == 1 and "已存在" in again.stderr and "Traceback" not in again.stderr
    bad = sunbid(settings, "user", "create", "li.si", "--role", "emperor", "--password", "pw-12345678")
    assert bad.returncode == 1 and "emperor" in bad.stderr


def test_audit_verify_names_the_tampered_entry(settings: Settings) -> None:
    assert sunbid(settings, "demo", "--seed-only").returncode == 0
    clean = sunbid(settings, "audit", "verify")
    assert clean.returncode == 0 and "audit log OK" in clean.stdout

    async def tamper() -> None:
        runtime = Runtime.build(settings)
        try:
            async with runtime.transaction() as session:
                entry = await runtime.audit.entry(session, 3)
                forged = entry.entry.replace('"kind":"', '"kind":"x', 1)
                await session.execute(update(AuditEntry).where(AuditEntry.position == 3).values(entry=forged))
        finally:
            await runtime.close()

    asyncio.run(tamper())
    tampered = sunbid(settings, "audit", "verify")
    assert tampered.returncode == 2
    assert "entry 3" in tampered.stderr


def test_help_lists_every_command_whole_in_one_style() -> None:
    from web.cli import main

    shown = subprocess.run(
        [SUNBID, "--help"], capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "COLUMNS": "80"},
    ).stdout  # fmt: skip
    listed = shown.split("Commands:\n", 1)[1].splitlines()
    names = sorted(name for name, command in main.commands.items() if not command.hidden)
    assert [line.split()[0] for line in listed] == names  # one line each, every command
    for line in listed:
        description = line.split(None, 1)[1]
        assert "..." not in line and len(line) <= 80, line  # never cut short, never wrapped
        # one style: English words, then the Chinese name in parentheses
        assert re.fullmatch(r"[A-Z][ -~]*\([^()]*[\u4e00-\u9fff][^()]*\)", description), description


FAULTS_PER_BUFFER = """
import resource, sys
from web.cli import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "kept" else None
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
counts = []
for _ in range(3):  # a 20 MiB buffer, freed at once (as a read buffer is after each bid)
    before = faults()
    bytearray(20 << 20)
    counts.append(faults() - before)
print(kept, *counts)
"""


def test_the_server_reuses_the_memory_it_frees_instead_of_faulting_it_in_again() -> None:
    def faults(mode: str) -> tuple[str, list[int]]:
        kept, *counts = subprocess.run(
            [sys.executable, "-c", FAULTS_PER_BUFFER, mode], capture_output=True, text=True, check=True
        ).stdout.split()
        return kept, [int(n) for n in counts]

    kept, tuned = faults("kept")
    _, untuned = faults("default")
    if sys.platform != "linux":
        return  # glibc's malloc only; elsewhere keep_freed_memory leaves the allocator alone
    pages = (20 << 20) // 4096
    # the first buffer's pages are new either way; the next one is the first one's memory again
    assert kept == "True" and tuned[0] > pages // 2 and tuned[1:] == [0, 0], tuned
    # by default glibc gave the freed block back and the next one is faulted in anew
    assert untuned[1] > pages // 2, untuned
