"""The published draw document and its offline check (``sunbid draw verify FILE.json``).

The document holds everything needed to re-run a draw: the rules and tender facts, the pool snapshot
(registry codes, never names) and its hash, the eligible ids, the committed secret, the
contributions, the seed and the result. It is published only when the names are (at award): until
then the audit log carries only commitments — SHA-256 of the server secret, and ``seal(value, salt)``
(core.audit) of each contribution, of the seed and of the committee — and the document reveals the
values and salts behind them. ``verify`` recomputes each link of the chain, including that every
revealed value opens its earlier commitment, and names the first one that does not hold. Given the
audit log's entries it also checks that the commitments in the document are the ones the log
published before the draw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.audit import seal
from experts import draw
from experts.draw import DrawInfeasible, DrawRules, DrawTender, Pool, PoolRow, SlotResult
from experts.events import (
    EXPERTS_DRAW_COMMITTED,
    EXPERTS_DRAW_CONTRIBUTED,
    EXPERTS_DRAW_DRAWN,
    EXPERTS_DRAW_REQUESTED,
)


@dataclass(frozen=True)
class Contribution:
    role: str  # supervisor | tenderer
    value: str
    salt: bytes

    @property
    def commitment(self) -> str:
        return seal(self.value, self.salt)


def build_document(
    *,
    draw_id: str,
    tender_ref: str,
    lot_ref: str | None,
    rules: DrawRules,
    tender: DrawTender,
    rows: Sequence[PoolRow],
    eligible: Sequence[Sequence[str]],
    secret: bytes,
    contributions: Sequence[Contribution],
    salt: bytes,
    result: Sequence[SlotResult],
) -> dict[str, Any]:
    """``salt`` is the draw's name salt: it sealed the seed and the committee at the draw."""
    seed = draw.seed_from(secret, [c.value for c in contributions])
    results = [r.to_json() for r in result]
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
            "contributions": [
                {"role": c.role, "value": c.value, "salt": c.salt.hex(), "commitment": c.commitment}
                for c in contributions
            ],
            "seed": seed.hex(),
            "salt": salt.hex(),
            "seed_commitment": seal(seed.hex(), salt),
            "sealed_as": "sha256(salt || canonical_json(value)) (core.audit.seal)",
            "rank": "sha256(seed || utf8(draw_id) || 0x1f || utf8(expert_id)), ascending",
        },
        "result": results,
        "committee_commitment": seal(results, salt),
    }


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checks: tuple[tuple[str, bool, str], ...]  # (check, passed, detail)

    @property
    def first_failure(self) -> str | None:
        return next((f"{name}: {detail}" for name, ok, detail in self.checks if not ok), None)


def audit_bodies(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Entry bodies from what ``/api/audit/entries`` serves (``{"entry": "<json>", …}``) or the bodies."""
    return [json.loads(e["entry"]) if isinstance(e.get("entry"), str) else dict(e) for e in entries]


def published_commitments(doc: Mapping[str, Any], bodies: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What the audit log committed to for this draw before its values were revealed."""
    subject = f"draw:{doc['draw_id']}"
    mine = [b for b in bodies if b.get("subject") == subject]

    def data(kind: str) -> Mapping[str, Any]:
        return next((b["data"] for b in mine if b.get("kind") == kind), {})

    drawn = data(EXPERTS_DRAW_DRAWN)
    excluded = data(EXPERTS_DRAW_REQUESTED).get("rules", {}).get("excluded_experts")
    return {
        # a supplementary draw (补抽) sealed whom it excludes at its request
        "excluded_commitment": excluded.get("sealed") if isinstance(excluded, Mapping) else None,
        "commitment": data(EXPERTS_DRAW_COMMITTED).get("commitment"),
        "contributions": [
            b["data"].get("commitment") for b in mine if b.get("kind") == EXPERTS_DRAW_CONTRIBUTED
        ],
        "seed_commitment": drawn.get("seed_commitment"),
        "committee_commitment": drawn.get("committee"),
    }


def verify(doc: dict[str, Any], audit: Iterable[Mapping[str, Any]] | None = None) -> Verdict:
    """Re-run the draw in ``doc``; with ``audit`` (entry bodies, see :func:`audit_bodies`) also check
    that the commitments it opens are the ones the log published before the draw."""
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
        contributions = [
            Contribution(c["role"], c["value"], bytes.fromhex(c["salt"])) for c in seed_part["contributions"]
        ]
        unopened = [
            str(n)
            for n, (c, claimed) in enumerate(zip(contributions, seed_part["contributions"], strict=True), 1)
            if c.commitment != claimed["commitment"]
        ]
        check(
            "contributions",
            not unopened,
            f"contribution {', '.join(unopened)} does not open the commitment published when it was entered",
        )
        seed = draw.seed_from(secret, [c.value for c in contributions])
        check("seed", seed.hex() == seed_part["seed"], "seed != SHA-256(secret ‖ contributions)")
        salt = bytes.fromhex(seed_part["salt"])
        check(
            "seed_commitment",
            seal(seed_part["seed"], salt) == seed_part["seed_commitment"],
            "the revealed seed does not match the commitment published at the draw",
        )
        check(
            "committee_commitment",
            seal(doc["result"], salt) == doc["committee_commitment"],
            "the revealed result does not match the committee sealed at the draw",
        )
        if audit is not None:
            logged = published_commitments(doc, audit)
            claimed = {
                "commitment": seed_part["commitment"],
                "contributions": [c["commitment"] for c in seed_part["contributions"]],
                "seed_commitment": seed_part["seed_commitment"],
                "committee_commitment": doc["committee_commitment"],
            }
            if doc["rules"].get("excluded_experts"):
                claimed["excluded_commitment"] = seal(sorted(doc["rules"]["excluded_experts"]), salt)
            differ = [name for name in claimed if claimed[name] != logged[name]]
            check(
                "audit_log",
                not differ,
                f"the document's {', '.join(differ)} differ from what the audit log published",
            )
        rows = [PoolRow.from_json(r) for r in doc["pool"]["experts"]]
        check(
            "pool", draw.pool_hash(rows) == doc["pool"]["hash"], "the pool snapshot does not match its hash"
        )
        rules, tender = DrawRules.from_json(doc["rules"]), DrawTender.from_json(doc["tender"])
        claimed_ids = [list(ids) for ids in doc["eligible"]["slots"]]
        check(
            "eligible_hash",
            draw.eligible_hash(claimed_ids) == doc["eligible"]["hash"],
            "the eligible ids do not match their hash",
        )
        pool = Pool(rows)
        try:
            recomputed = draw.eligible_ids(pool, rules, tender)
        except DrawInfeasible as exc:
            check("eligible", False, f"the rules are unsatisfiable on this pool: {exc.detail}")
            return Verdict(False, tuple(checks))
        check(
            "eligible", recomputed == claimed_ids, "re-running the rules on the pool gives other eligible ids"
        )
        county_of = {r.id: r.county for r in rows}
        ranked = [draw.rank(seed, doc["draw_id"], ids) for ids in claimed_ids]
        result = [r.to_json() for r in draw.select(rules, ranked, county_of)]
        check("result", result == doc["result"], "re-running the lottery gives another committee")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        check("format", False, f"malformed document: {exc!r}")
    return Verdict(all(ok for _, ok, _ in checks), tuple(checks))
