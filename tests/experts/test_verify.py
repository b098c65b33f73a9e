"""The published document re-runs offline; any change to seed, pool or result is detected."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from experts import draw
from experts.draw import Pool
from experts.verify import build_document, verify
from tests.experts.helpers import row, rules, tender


def document() -> dict[str, Any]:
    rows = [row(i) for i in range(1, 16)]
    r, t = rules(experts=3, alternates=2), tender()
    secret = bytes(range(32))
    contributions = ["20261210", "tenderer-7"]
    seed = draw.seed_from(secret, contributions)
    eligible, result = draw.draw(Pool(rows), r, t, seed, "DR20261210-00001")
    return build_document(
        draw_id="DR20261210-00001", tender_ref="JLGC-1", lot_ref=None, rules=r, tender=t, rows=rows,
        eligible=eligible, secret=secret, contributions=contributions, result=result,
    )  # fmt: skip


def failed(doc: dict[str, Any]) -> list[str]:
    return [name for name, ok, _ in verify(doc).checks if not ok]


def test_an_untouched_document_verifies() -> None:
    verdict = verify(document())
    assert verdict.ok, verdict.checks


def test_a_changed_seed_is_detected() -> None:
    doc = document()
    doc["seed"]["contributions"][0] = "20261211"
    assert failed(doc)[0] == "seed"
    doc = document()
    doc["seed"]["server_secret"] = "00" * 32
    assert "commitment" in failed(doc)


def test_a_changed_pool_is_detected() -> None:
    doc = document()
    doc["pool"]["experts"][0]["county"] = "220202"  # quietly moved to the excluded… or any county
    assert "pool" in failed(doc)
    doc = document()
    doc["pool"]["experts"][0]["status"] = "suspended"
    doc["pool"]["hash"] = draw.pool_hash([draw.PoolRow.from_json(r) for r in doc["pool"]["experts"]])
    assert "eligible" in failed(doc)  # a consistent but different pool no longer gives the same set


def test_a_changed_result_is_detected() -> None:
    doc = document()
    winners = doc["result"][0]["winners"]
    winners[0], doc["result"][0]["alternates"][0] = doc["result"][0]["alternates"][0], winners[0]
    assert failed(doc) == ["result"]
    doc = document()
    doc["eligible"]["slots"][0].pop()
    assert "eligible" in failed(doc)


def test_malformed_document_is_reported_not_crashed() -> None:
    doc = copy.deepcopy(document())
    del doc["pool"]
    assert failed(doc) == ["format"]


def test_cli_draw_verify(tmp_path: Path) -> None:
    doc = document()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    doc["result"][0]["winners"].reverse()
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # one process checks both files, so the test pays the interpreter start-up once
    script = (
        "import sys; from click.testing import CliRunner; from web.cli import main\n"
        "for f in sys.argv[1:]:\n"
        "    r = CliRunner().invoke(main, ['draw', 'verify', f])\n"
        "    print(r.exit_code, r.output.replace('\\n', ' | '))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(good), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first, second = done.stdout.strip().splitlines()
    assert first.startswith("0 ") and "verified" in first
    assert second.startswith("2 ") and "FAIL result" in second
