"""The published document re-runs offline; any change to seed, pool or result is detected, and so is a
revealed value that does not open the commitment the audit log published before the draw."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.audit import seal
from experts import draw
from experts.draw import Pool
from experts.verify import Contribution, build_document, verify
from tests.experts.helpers import row, rules, tender


def document() -> dict[str, Any]:
    rows = [row(i) for i in range(1, 16)]
    r, t = rules(experts=3, alternates=2), tender()
    secret = bytes(range(32))
    contributions = [
        Contribution("supervisor", "20261210", bytes(16)),
        Contribution("tenderer", "tenderer-7", bytes([7]) * 16),
    ]
    seed = draw.seed_from(secret, [c.value for c in contributions])
    eligible, result = draw.draw(Pool(rows), r, t, seed, "DR20261210-00001")
    return build_document(
        draw_id="DR20261210-00001", tender_ref="JLGC-1", lot_ref=None, rules=r, tender=t, rows=rows,
        eligible=eligible, secret=secret, contributions=contributions, salt=bytes([9]) * 16, result=result,
    )  # fmt: skip


def logged(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The audit entries that committed to this draw before it ran, as the log would hold them."""
    subject, seed = f"draw:{doc['draw_id']}", doc["seed"]
    return [
        {"kind": "experts.draw.committed", "subject": subject, "data": {"commitment": seed["commitment"]}},
        *({"kind": "experts.draw.contributed", "subject": subject,
           "data": {"role": c["role"], "commitment": c["commitment"]}} for c in seed["contributions"]),
        {"kind": "experts.draw.drawn", "subject": subject,
         "data": {"seed_commitment": seed["seed_commitment"], "committee": doc["committee_commitment"]}},
    ]  # fmt: skip


def failed(doc: dict[str, Any]) -> list[str]:
    return [name for name, ok, _ in verify(doc).checks if not ok]


def test_an_untouched_document_verifies() -> None:
    verdict = verify(document())
    assert verdict.ok, verdict.checks


def test_a_changed_seed_is_detected() -> None:
    doc = document()
    doc["seed"]["contributions"][0]["value"] = "20261211"
    assert failed(doc)[:2] == ["contributions", "seed"]
    doc = document()
    doc["seed"]["server_secret"] = "00" * 32
    assert "commitment" in failed(doc)


def test_a_revealed_seed_must_open_the_commitment_made_at_the_draw() -> None:
    doc = document()
    other = draw.seed_from(bytes(range(32)), ["something else"]).hex()
    doc["seed"]["seed"] = other
    assert {"seed", "seed_commitment"} <= set(failed(doc))
    doc = document()  # a document made up after the fact, consistent in itself, but not what was committed
    doc["seed"]["seed_commitment"] = seal(other, bytes.fromhex(doc["seed"]["salt"]))
    assert failed(doc) == ["seed_commitment"]


def test_a_contribution_changed_after_the_fact_does_not_open_its_commitment() -> None:
    # Replace the tenderer's value and recompute everything downstream: only the commitment tells.
    doc = document()
    doc["seed"]["contributions"][1]["value"] = "tenderer-8"
    values = [c["value"] for c in doc["seed"]["contributions"]]
    seed = draw.seed_from(bytes.fromhex(doc["seed"]["server_secret"]), values)
    doc["seed"]["seed"] = seed.hex()
    doc["seed"]["seed_commitment"] = seal(seed.hex(), bytes.fromhex(doc["seed"]["salt"]))
    _, result = draw.draw(Pool([draw.PoolRow.from_json(r) for r in doc["pool"]["experts"]]),
                          draw.DrawRules.from_json(doc["rules"]), draw.DrawTender.from_json(doc["tender"]),
                          seed, doc["draw_id"])  # fmt: skip
    doc["result"] = [r.to_json() for r in result]
    doc["committee_commitment"] = seal(doc["result"], bytes.fromhex(doc["seed"]["salt"]))
    assert failed(doc) == ["contributions"]


def test_the_commitments_must_be_the_ones_the_audit_log_published() -> None:
    doc = document()
    assert verify(doc, logged(doc)).ok
    entries = logged(doc)
    entries[-1]["data"]["seed_commitment"] = "00" * 32  # the log committed to another seed at the draw
    assert [name for name, ok, _ in verify(doc, entries).checks if not ok] == ["audit_log"]
    assert not verify(doc, []).ok  # no commitments for this draw in the log: nothing to open


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
    # not the committee sealed at the draw, and not what the lottery gives
    assert failed(doc) == ["committee_commitment", "result"]
    doc = document()
    doc["eligible"]["slots"][0].pop()
    assert "eligible" in failed(doc)


def test_malformed_document_is_reported_not_crashed() -> None:
    doc = copy.deepcopy(document())
    del doc["pool"]
    assert failed(doc) == ["format"]


def test_cli_draw_verify(tmp_path: Path) -> None:
    doc = document()
    good, bad, audit = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "audit.json"
    good.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # as /api/audit/entries serves them, with the log's commitment to a different seed
    entries = logged(doc)
    entries[-1]["data"]["seed_commitment"] = "00" * 32
    audit.write_text(json.dumps([{"position": n, "entry": json.dumps(e)} for n, e in enumerate(entries)]))
    doc["result"][0]["winners"].reverse()
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # one process checks every file, so the test pays the interpreter start-up once
    script = (
        "import sys; from click.testing import CliRunner; from web.cli import main\n"
        "for args in sys.argv[1:]:\n"
        "    r = CliRunner().invoke(main, ['draw', 'verify', *args.split()])\n"
        "    print(r.exit_code, r.output.replace('\\n', ' | '))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(good), str(bad), f"{good} --audit {audit}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first, second, third = done.stdout.strip().splitlines()
    assert first.startswith("0 ") and "verified" in first
    assert second.startswith("2 ") and "FAIL result" in second
    assert third.startswith("2 ") and "FAIL audit_log" in third and "seed_commitment" in third
