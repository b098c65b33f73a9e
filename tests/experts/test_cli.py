"""``sunbid experts generate`` and ``sunbid experts import`` against a fresh SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.experts.test_registry import HEADER, csv_row

SCRIPT = """
import sys
from click.testing import CliRunner
from web.cli import main
for args in (line.split() for line in sys.stdin.read().splitlines()):
    result = CliRunner().invoke(main, args)
    print(result.exit_code, result.output.strip().replace("\\n", " | "))
"""


def test_generate_and_import_all_or_nothing(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + csv_row(1) + csv_row(2), encoding="utf-8")
    bad.write_text(HEADER + csv_row(3) + csv_row(4, phone="12345"), encoding="utf-8")
    commands = [
        "db upgrade",
        "experts generate --count 40 --seed 3",
        f"experts import {good}",
        f"experts import {bad}",
    ]
    env = {**os.environ, "SUNBID_VAR_DIR": str(tmp_path / "var")}
    env.pop("SUNBID_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], input="\n".join(commands), env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    upgraded, generated, imported, refused = done.stdout.strip().splitlines()
    assert upgraded.startswith("0 ") and generated.startswith("0 ") and "generated 40 experts" in generated
    assert imported.startswith("0 ") and "imported 2 experts" in imported
    assert refused.startswith("1 ") and "line 3" in refused and "phone" in refused
