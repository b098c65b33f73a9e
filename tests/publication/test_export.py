"""`sunbid export ocds --out DIR` on the demo city: every package valid, every kind of demo release,
and nothing that is not public."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.organisations import OrgKind
from core.runtime import Runtime
from core.settings import Settings
from demo.seeds import bidding as bidding_demo
from demo.seeds.core import DEMO_ORGS, seed_core
from tests.publication.ocds_schema import assert_valid
from web.cli import main


async def test_export_of_the_demo_writes_valid_release_and_record_packages(
    runtime: Runtime, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_core(runtime, 220200)
    await bidding_demo.seed(runtime, 220200)
    monkeypatch.setenv("SUNBID_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SUNBID_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("SUNBID_OCDS_PREFIX", "ocds-jl0001")
    out = tmp_path / "open-data"
    result = await asyncio.to_thread(CliRunner().invoke, main, ["export", "ocds", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 10 records" in result.output

    files = sorted(out.rglob("*.json"))
    assert len(files) == 2 + 2 * 10  # one release and one record package per public tender, plus all-in-one
    tags: set[str] = set()
    text = before_opening = ""
    for path in files:
        package = json.loads(path.read_text("utf-8"))
        assert_valid(package)
        text += path.read_text("utf-8")
        for release in package.get("releases", []):
            tags.update(release["tag"])
            assert release["ocid"].startswith("ocds-jl0001-JLGGZY-2026-")
            if release["tag"] in (["tender"], ["tenderAmendment"], ["tenderCancellation"]):
                before_opening += json.dumps(release, ensure_ascii=False)
    # the demo's notices: tender, opening record, candidates, award, failure, termination
    assert tags == {"tender", "tenderUpdate", "award", "tenderCancellation"}
    everything = json.loads((out / "records.json").read_text("utf-8"))
    statuses = {r["compiledRelease"]["tender"]["status"] for r in everything["records"]}
    assert statuses == {"active", "complete", "unsuccessful", "cancelled"}
    assert "JLGGZY-2026-011" not in text  # the draft
    assert any(org.name in text for org in DEMO_ORGS if org.kind == OrgKind.BIDDER)  # named once opened
    for org in DEMO_ORGS:
        if org.kind == OrgKind.BIDDER:
            assert org.name not in before_opening  # no bidder appears before an opening record names it
        else:
            assert org.legal_representative not in text

    again = tmp_path / "again"
    result = await asyncio.to_thread(CliRunner().invoke, main, ["export", "ocds", "--out", str(again)])
    assert result.exit_code == 0
    for path in files:  # the same data exports byte for byte the same
        assert (again / path.relative_to(out)).read_bytes() == path.read_bytes()


async def test_export_refuses_a_bad_prefix(
    runtime: Runtime, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUNBID_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SUNBID_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("SUNBID_OCDS_PREFIX", "sunbid")
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["export", "ocds", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 1
    assert "ocid prefix" in result.output
