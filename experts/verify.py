"""The published draw document and its offline check (``sunbid draw verify FILE.json``).

The document holds everything needed to re-run a draw: the rules and tender facts, the pool snapshot
(registry codes, never names) and its hash, the eligible ids, the committed secret, the
contributions, the seed and the result. ``verify`` recomputes each link of the chain and names the
first one that does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from experts import draw
from experts.draw import DrawInfeasible, Pool, PoolRow, Rules, SlotResult, Tender


def build_document(
    *,
    draw_id: str,
    tender_ref: str,
    lot_ref: str | None,
    rules: Rules,
    tender: Tender,
    rows: Sequence[PoolRow],
    eligible: Sequence[Sequence[str]],
    secret: bytes,
    contributions: Sequence[str],
    result: Sequence[SlotResult],
) -> dict[str, Any]:
    seed = draw.seed_from(secret, contributions)
    return {
        "type": draw.DOCUMENT_TYPE,
        "draw_id": draw_id,
        "tender_ref": tender_ref,
        "lot_ref": lot_ref,
        "rules": rules.to_json(),
        "tender": tender.to_json(),
        "pool": {
            "hash": draw.pool_hash(rows),
            "hash_of": "sha256 of one line per expert, sorted: id|county|employer|status|specialties|leave|"
            "avoid|recent|credit|barred, each ending in \\n (experts.draw.pool_line)",
            "experts": sorted((r.to_json() for r in rows), key=lambda d: d["id"]),
        },
        "eligible": {"hash": draw.eligible_hash(eligible), "slots": [list(ids) for ids in eligible]},
        "seed": {
            "commitment": draw.commitment(secret),
            "server_secret": secret.hex(),
            "contributions": list(contributions),
            "seed": seed.hex(),
            "rank": "sha256(seed || utf8(draw_id) || 0x1f || utf8(expert_id)), ascending",
        },
        "result": [r.to_json() for r in result],
    }


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checks: tuple[tuple[str, bool, str], ...]  # (check, passed, detail)

    @property
    def first_failure(self) -> str | None:
        return next((f"{name}: {detail}" for name, ok, detail in self.checks if not ok), None)


def verify(doc: dict[str, Any]) -> Verdict:
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append((name, ok, detail if not ok else "ok"))
        return ok

    try:
        if not check("type", doc.get("type") == draw.DOCUMENT_TYPE, f"not a {draw.DOCUMENT_TYPE} document"):
            return Verdict(False, tuple(checks))
        seed_part = doc["seed"]
        secret = bytes.fromhex(seed_part["server_secret"])
        check(
            "commitment",
            draw.commitment(secret) == seed_part["commitment"],
            "the revealed server secret does not match the commitment published before the draw",
        )
        seed = draw.seed_from(secret, seed_part["contributions"])
        check("seed", seed.hex() == seed_part["seed"], "seed != SHA-256(secret ‖ contributions)")
        rows = [PoolRow.from_json(r) for r in doc["pool"]["experts"]]
        check(
            "pool", draw.pool_hash(rows) == doc["pool"]["hash"], "the pool snapshot does not match its hash"
        )
        rules, tender = Rules.from_json(doc["rules"]), Tender.from_json(doc["tender"])
        claimed = [list(ids) for ids in doc["eligible"]["slots"]]
        check(
            "eligible_hash",
            draw.eligible_hash(claimed) == doc["eligible"]["hash"],
            "the eligible ids do not match their hash",
        )
        pool = Pool(rows)
        try:
            recomputed = draw.eligible_ids(pool, rules, tender)
        except DrawInfeasible as exc:
            check("eligible", False, f"the rules are unsatisfiable on this pool: {exc.detail}")
            return Verdict(False, tuple(checks))
        check("eligible", recomputed == claimed, "re-running the rules on the pool gives other eligible ids")
        county_of = {r.id: r.county for r in rows}
        ranked = [draw.rank(seed, doc["draw_id"], ids) for ids in claimed]
        result = [r.to_json() for r in draw.select(rules, ranked, county_of)]
        check("result", result == doc["result"], "re-running the lottery gives another committee")
    except (KeyError, TypeError, ValueError) as exc:
        check("format", False, f"malformed document: {exc!r}")
    return Verdict(all(ok for _, ok, _ in checks), tuple(checks))
