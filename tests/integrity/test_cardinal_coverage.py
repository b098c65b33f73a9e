"""The open-contracting community's Cardinal tool reads the fields each of its red flags needs from OCDS
compiled releases; its ``coverage`` counts how often each field is filled. Run on the demo city's OCDS
export, it shows that what integrity/market.py computes from its own tables a third party can recompute
from the open data alone (the fields each implemented indicator's published definition reads)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import ocdscardinal
import pytest
from click.testing import CliRunner

from core.runtime import Runtime
from core.settings import Settings
from demo.seeds import bidding as bidding_demo
from demo.seeds.core import seed_core
from web.cli import main

BID = "/bids/details[]"
# The fields each implemented Cardinal indicator reads (cardinal-rs docs/cli/indicators/R/0NN.md).
NEEDS = {
    "R018": ["/tender/procurementMethod", f"{BID}/tenderers[]/id"],
    "R024": [
        f"{BID}/value/amount",
        f"{BID}/status",
        f"{BID}/tenderers[]/id",
        "/awards[]/status",
        "/awards[]/suppliers[]/id",
    ],
    "R028": [f"{BID}/value/amount", f"{BID}/tenderers[]/id"],
    "R035": [f"{BID}/status", f"{BID}/tenderers[]/id", "/awards[]/status", "/awards[]/suppliers[]/id"],
    "R036": [f"{BID}/value/amount", f"{BID}/status", "/awards[]/status"],
    "R038": [f"{BID}/status", f"{BID}/tenderers[]/id", "/buyer/id"],
    "R058": [
        f"{BID}/value/amount",
        f"{BID}/status",
        f"{BID}/tenderers[]/id",
        "/awards[]/status",
        "/awards[]/suppliers[]/id",
    ],
}


async def test_the_demo_export_carries_every_field_the_implemented_cardinal_indicators_read(
    runtime: Runtime, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_core(runtime, 220200)
    await bidding_demo.seed(runtime, 220200)
    monkeypatch.setenv("SUNBID_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SUNBID_VAR_DIR", str(settings.var_dir))
    out = tmp_path / "open-data"
    result = await asyncio.to_thread(CliRunner().invoke, main, ["export", "ocds", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads((out / "records.json").read_text("utf-8"))["records"]
    lines = tmp_path / "compiled.jsonl"
    lines.write_text("".join(json.dumps(r["compiledRelease"]) + "\n" for r in records), "utf-8")

    counts = ocdscardinal.coverage(str(lines))

    missing = {code: [path for path in paths if not counts.get(path)] for code, paths in NEEDS.items()}
    assert {code: paths for code, paths in missing.items() if paths} == {}
    assert counts[""] == len(records)
