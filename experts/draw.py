"""The expert draw, pure: eligibility as numpy masks over a pool snapshot, then a hash lottery.

Nothing here does I/O, so the same code runs in the service, in the benchmark and in
``sunbid draw verify`` on an auditor's machine. The lottery (DESIGN.md, "Expert extraction"):

    seed  = SHA-256(server_secret ‖ SHA-256(contribution_1) ‖ SHA-256(contribution_2) …)
    rank  = SHA-256(seed ‖ utf8(draw_id) ‖ 0x1F ‖ utf8(expert_id)), ascending

Contributions are hashed to fixed width and the draw id is followed by a unit separator, so no two
different inputs concatenate to the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import InvalidInput
from crypto.signing import canonical_json

DOCUMENT_TYPE = "sunbid.expert-draw.v2"  # v2: commitments to contributions and seed, opened
MAX_SEATS = 99  # experts (or alternates) of one specialty in one draw: far above any committee
MAX_RECENT = 1000  # times an expert served the tenderer recently
# Filters applied in this order; "left" counts in eligible_counts follow it.
FILTERS = (
    "status",
    "available",
    "counties_allowed",
    "counties_excluded",
    "employer_conflict",
    "named_avoidance",
    "recent_evaluations",
    "credit",
)
Mask = npt.NDArray[np.bool_]


class DrawInfeasible(InvalidInput):
    """The rules contradict each other or leave too few experts; ``detail`` names the rule."""

    code = "draw_unsatisfiable"


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    specialty: str
    experts: int
    alternates: int = 0


@dataclass(frozen=True)
class DrawRules:
    """What a draw request asks for: the slots to fill and the eligibility rules."""

    slots: tuple[Slot, ...]
    counties_allowed: tuple[str, ...] = ()
    counties_excluded: tuple[str, ...] = ()
    exclude_tenderer_county: bool = False
    min_counties: int = 0
    max_per_county: int | None = None
    max_recent_for_tenderer: int | None = None
    min_credit: Decimal | None = None
    # 补抽 (a supplementary draw): everyone already drawn for the committee (winners and alternates
    # of the draw it supplements and of earlier supplements), whatever they answered
    excluded_experts: tuple[str, ...] = ()

    @property
    def winners(self) -> int:
        return sum(s.experts for s in self.slots)

    def to_json(self) -> dict[str, Any]:
        return {
            "slots": [
                {"specialty": s.specialty, "experts": s.experts, "alternates": s.alternates}
                for s in self.slots
            ],
            "counties_allowed": list(self.counties_allowed),
            "counties_excluded": list(self.counties_excluded),
            "exclude_tenderer_county": self.exclude_tenderer_county,
            "min_counties": self.min_counties,
            "max_per_county": self.max_per_county,
            "max_recent_for_tenderer": self.max_recent_for_tenderer,
            "min_credit": str(self.min_credit) if self.min_credit is not None else None,
            # only a supplementary draw has it, so every other draw's rules read as they always did
            **({"excluded_experts": sorted(self.excluded_experts)} if self.excluded_experts else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrawRules:
        try:
            min_credit = (
                Decimal(str(data["min_credit"])) if data.get("min_credit") not in (None, "") else None
            )
        except InvalidOperation as exc:
            raise InvalidInput("min_credit: 信用分阈值应为数字 (must be a number)", code="bad_rule") from exc
        return cls(
            slots=tuple(
                Slot(str(s["specialty"]), int(s["experts"]), int(s.get("alternates", 0)))
                for s in data["slots"]
            ),
            counties_allowed=tuple(data.get("counties_allowed") or ()),
            counties_excluded=tuple(data.get("counties_excluded") or ()),
            exclude_tenderer_county=bool(data.get("exclude_tenderer_county", False)),
            min_counties=int(data.get("min_counties") or 0),
            max_per_county=int(data["max_per_county"]) if data.get("max_per_county") is not None else None,
            max_recent_for_tenderer=(
                int(data["max_recent_for_tenderer"])
                if data.get("max_recent_for_tenderer") is not None
                else None
            ),
            min_credit=min_credit,
            excluded_experts=tuple(str(c) for c in data.get("excluded_experts") or ()),
        )


@dataclass(frozen=True)
class DrawTender:
    """What the draw needs to know about the tender (bidding passes it in; experts/ sits below it)."""

    tenderer_code: str
    tenderer_county: str
    agent_code: str | None
    bidder_codes: tuple[str, ...]
    evaluation_date: date

    @property
    def conflict_codes(self) -> tuple[str, ...]:
        codes = [self.tenderer_code, *self.bidder_codes] + ([self.agent_code] if self.agent_code else [])
        return tuple(sorted(set(codes)))

    def to_json(self) -> dict[str, Any]:
        return {
            "tenderer_code": self.tenderer_code,
            "tenderer_county": self.tenderer_county,
            "agent_code": self.agent_code,
            "bidder_codes": list(self.bidder_codes),
            "evaluation_date": self.evaluation_date.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrawTender:
        return cls(
            data["tenderer_code"],
            data["tenderer_county"],
            data.get("agent_code"),
            tuple(data.get("bidder_codes") or ()),
            date.fromisoformat(data["evaluation_date"]),
        )


@dataclass(frozen=True)
class PoolRow:
    """One expert as the draw sees them: a registry code, never a name."""

    id: str
    county: str
    employer: str
    status: str
    specialties: tuple[str, ...]
    leave: tuple[tuple[date, date], ...] = ()
    avoid: tuple[str, ...] = ()
    recent: int = 0  # evaluations for this tender's tenderer in the last 12 months
    credit: Decimal | None = None
    barred: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "county": self.county,
            "employer": self.employer,
            "status": self.status,
            "specialties": sorted(self.specialties),
            "leave": [[a.isoformat(), b.isoformat()] for a, b in sorted(self.leave)],
            "avoid": sorted(self.avoid),
            "recent": self.recent,
            "credit": str(self.credit) if self.credit is not None else None,
            "barred": self.barred,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PoolRow:
        return cls(
            d["id"],
            d["county"],
            d["employer"],
            d["status"],
            tuple(d["specialties"]),
            tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in d.get("leave", [])),
            tuple(d.get("avoid", [])),
            int(d.get("recent", 0)),
            Decimal(d["credit"]) if d.get("credit") is not None else None,
            bool(d.get("barred", False)),
        )


def validate_rules(rules: DrawRules) -> None:
    """Contradictions that need no pool to see; each message names the rule."""

    def bad(rule: str, message: str) -> DrawInfeasible:
        return DrawInfeasible(f"{rule}: {message}", code="draw_unsatisfiable")

    if not rules.slots:
        raise bad("slots", "至少需要一个专业 (at least one specialty is needed)")
    seen = [s.specialty for s in rules.slots]
    if len(set(seen)) != len(seen):
        raise bad("slots", "同一专业只能出现一次 (each specialty once)")
    for s in rules.slots:
        if not 1 <= s.experts <= MAX_SEATS or not 0 <= s.alternates <= MAX_SEATS:
            raise bad(
                "slots",
                f"{s.specialty}: 人数1到{MAX_SEATS}、备选0到{MAX_SEATS} "
                f"(experts 1..{MAX_SEATS}, alternates 0..{MAX_SEATS})",
            )
    both = sorted(set(rules.counties_allowed) & set(rules.counties_excluded))
    if both:
        raise bad(
            "counties_allowed/counties_excluded",
            f"区县 {', '.join(both)} 既被允许又被排除 (both allowed and excluded)",
        )
    if rules.min_counties < 0 or rules.min_counties > rules.winners:
        raise bad(
            "min_counties",
            f"至少{rules.min_counties}个区县，但只抽取{rules.winners}名专家 (more counties than experts)",
        )
    if rules.counties_allowed:
        usable = set(rules.counties_allowed) - set(rules.counties_excluded)
        if rules.min_counties > len(usable):
            raise bad(
                "min_counties",
                f"至少{rules.min_counties}个区县，但只允许{len(usable)}个 (too few counties allowed)",
            )
    if rules.max_per_county is not None and rules.max_per_county < 1:
        raise bad("max_per_county", "每区县上限至少为1 (must be at least 1)")
    if rules.max_recent_for_tenderer is not None and not 0 <= rules.max_recent_for_tenderer <= MAX_RECENT:
        raise bad("max_recent_for_tenderer", f"应在0到{MAX_RECENT}之间 (must be 0..{MAX_RECENT})")
    if rules.min_credit is not None and not 0 <= rules.min_credit <= 100:
        raise bad("min_credit", "信用分阈值应在0到100之间 (must be 0..100)")


# --- the columnar pool --------------------------------------------------------------------------


@dataclass
class Pool:
    """The snapshot as numpy columns; strings are coded as small integers once, at build time."""

    rows: Sequence[PoolRow]
    ids: npt.NDArray[np.object_] = field(init=False)
    county: npt.NDArray[np.int32] = field(init=False)
    employer: npt.NDArray[np.int32] = field(init=False)
    active: Mask = field(init=False)
    recent: npt.NDArray[np.int32] = field(init=False)
    credit: npt.NDArray[np.int64] = field(init=False)  # hundredths; missing means the full 100.00
    barred: Mask = field(init=False)

    def __post_init__(self) -> None:
        rows = self.rows
        self.county_codes: dict[str, int] = {}
        self.company_codes: dict[str, int] = {}
        self.specialty_codes: dict[str, int] = {}

        def code(vocab: dict[str, int], key: str) -> int:
            return vocab.setdefault(key, len(vocab))

        self.ids = np.array([r.id for r in rows], dtype=object)
        self.county = np.array([code(self.county_codes, r.county) for r in rows], dtype=np.int32)
        self.employer = np.array([code(self.company_codes, r.employer) for r in rows], dtype=np.int32)
        self.active = np.array([r.status == "active" for r in rows], dtype=bool)
        self.recent = np.array([r.recent for r in rows], dtype=np.int32)
        self.credit = np.array(
            [int((r.credit if r.credit is not None else Decimal(100)) * 100) for r in rows], dtype=np.int64
        )
        self.barred = np.array([r.barred for r in rows], dtype=bool)
        spec_rows, spec_codes, leave_rows, leave_from, leave_to, av_rows, av_codes = ([] for _ in range(7))
        for i, r in enumerate(rows):
            for s in r.specialties:
                spec_rows.append(i)
                spec_codes.append(code(self.specialty_codes, s))
            for start, end in r.leave:
                leave_rows.append(i)
                leave_from.append(start.toordinal())
                leave_to.append(end.toordinal())
            for a in r.avoid:
                av_rows.append(i)
                av_codes.append(code(self.company_codes, a))
        self.spec_rows = np.array(spec_rows, dtype=np.int64)
        self.spec_codes = np.array(spec_codes, dtype=np.int32)
        self.leave_rows = np.array(leave_rows, dtype=np.int64)
        self.leave_from = np.array(leave_from, dtype=np.int64)
        self.leave_to = np.array(leave_to, dtype=np.int64)
        self.av_rows = np.array(av_rows, dtype=np.int64)
        self.av_codes = np.array(av_codes, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.rows)

    def _known(self, vocab: dict[str, int], keys: Iterable[str]) -> npt.NDArray[np.int32]:
        return np.array([vocab[k] for k in keys if k in vocab], dtype=np.int32)

    def holders(self, specialty: str) -> Mask:
        mask = np.zeros(len(self), dtype=bool)
        idx = self.specialty_codes.get(specialty)
        if idx is not None:
            mask[self.spec_rows[self.spec_codes == idx]] = True
        return mask

    def filters(self, rules: DrawRules, tender: DrawTender) -> dict[str, Mask]:
        """One boolean mask per filter rule: True where the expert passes it."""
        n = len(self)
        day = tender.evaluation_date.toordinal()
        on_leave = np.zeros(n, dtype=bool)
        on_leave[self.leave_rows[(self.leave_from <= day) & (self.leave_to >= day)]] = True
        excluded = list(rules.counties_excluded) + (
            [tender.tenderer_county] if rules.exclude_tenderer_county else []
        )
        conflicts = self._known(self.company_codes, tender.conflict_codes)
        avoiding = np.zeros(n, dtype=bool)
        avoiding[self.av_rows[np.isin(self.av_codes, conflicts)]] = True
        everyone = np.ones(n, dtype=bool)
        masks = {
            "status": self.active,
            "available": ~on_leave,
            "counties_allowed": (
                np.isin(self.county, self._known(self.county_codes, rules.counties_allowed))
                if rules.counties_allowed
                else everyone
            ),
            "counties_excluded": ~np.isin(self.county, self._known(self.county_codes, excluded)),
            "employer_conflict": ~np.isin(self.employer, conflicts),
            "named_avoidance": ~avoiding,
            "recent_evaluations": (
                self.recent <= rules.max_recent_for_tenderer
                if rules.max_recent_for_tenderer is not None
                else everyone
            ),
            # A barring deduction keeps an expert out of every draw, threshold or not (只减分不加分).
            "credit": (
                (self.credit >= int(rules.min_credit * 100)) & ~self.barred
                if rules.min_credit is not None
                else ~self.barred
            ),
        }
        if rules.excluded_experts:  # a supplementary draw: nobody drawn before is drawn again
            masks["already_drawn"] = ~np.isin(self.ids, list(rules.excluded_experts))
        return masks


# --- eligibility --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCount:
    rule: str
    passing: int  # holders of the specialty who pass this rule alone
    left: int  # holders left after this rule and every rule before it


@dataclass(frozen=True)
class SlotCounts:
    specialty: str
    needed: int
    holders: int
    rules: tuple[RuleCount, ...]

    @property
    def eligible(self) -> int:
        return self.rules[-1].left if self.rules else self.holders


def slot_masks(pool: Pool, rules: DrawRules, tender: DrawTender) -> tuple[list[Mask], list[SlotCounts]]:
    filters = pool.filters(rules, tender)
    combined = np.logical_and.reduce(list(filters.values()))
    masks, counts = [], []
    for slot in rules.slots:
        holders = pool.holders(slot.specialty)
        left = holders.copy()
        per_rule = []
        for name in filters:  # FILTERS, then "already_drawn" in a supplementary draw
            left &= filters[name]
            per_rule.append(
                RuleCount(name, int(np.count_nonzero(holders & filters[name])), int(np.count_nonzero(left)))
            )
        masks.append(holders & combined)
        counts.append(
            SlotCounts(slot.specialty, slot.experts + slot.alternates, int(holders.sum()), tuple(per_rule))
        )
    return masks, counts


def eligible_rows(pool: Pool, rules: DrawRules, tender: DrawTender) -> list[npt.NDArray[np.intp]]:
    """Per slot, the pool rows of every eligible expert; raises DrawInfeasible before any draw."""
    validate_rules(rules)
    masks, counts = slot_masks(pool, rules, tender)
    check_feasible(pool, rules, masks, counts)
    return [np.flatnonzero(mask) for mask in masks]


def eligible_ids(pool: Pool, rules: DrawRules, tender: DrawTender) -> list[list[str]]:
    """Per slot, the sorted registry codes of every eligible expert."""
    return [sorted(pool.ids[rows].tolist()) for rows in eligible_rows(pool, rules, tender)]


def check_feasible(pool: Pool, rules: DrawRules, masks: list[Mask], counts: list[SlotCounts]) -> None:
    for slot, c in zip(rules.slots, counts, strict=True):
        if c.eligible < c.needed:
            worst = next((r for r in c.rules if r.left < c.needed), None)
            trail = "; ".join(f"{r.rule} {r.passing}→{r.left}" for r in c.rules)
            rule = worst.rule if worst else "specialty"
            raise DrawInfeasible(
                f"{rule}: 专业 {slot.specialty} 需 {c.needed} 人（{slot.experts}+{slot.alternates}备选），"
                f"持有该专业 {c.holders} 人，规则过滤后仅剩 {c.eligible} 人 "
                f"(too few eligible; per rule passing→left: {trail})"
            )
    union = np.logical_or.reduce(masks)
    counties = Counter(pool.county[union].tolist())
    if len(counties) < rules.min_counties:
        raise DrawInfeasible(
            f"min_counties: 需至少 {rules.min_counties} 个区县，合格专家只来自 {len(counties)} 个 "
            f"(eligible experts come from too few counties)"
        )
    if rules.max_per_county is not None:
        reachable = sum(min(n, rules.max_per_county) for n in counties.values())
        if reachable < rules.winners:
            raise DrawInfeasible(
                f"max_per_county: 每区县最多 {rules.max_per_county} 人时至多抽出 {reachable} 人，"
                f"需要 {rules.winners} 人 (not enough counties for the per-county limit)"
            )


# --- the lottery --------------------------------------------------------------------------------


def commitment(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def seed_from(secret: bytes, contributions: Sequence[str]) -> bytes:
    h = hashlib.sha256(secret)
    for contribution in contributions:
        h.update(hashlib.sha256(contribution.encode()).digest())
    return h.digest()


def rank(seed: bytes, draw_id: str, ids: Iterable[str]) -> list[str]:
    prefix = hashlib.sha256(seed + draw_id.encode() + b"\x1f")

    def key(expert_id: str) -> bytes:
        h = prefix.copy()
        h.update(expert_id.encode())
        return h.digest()

    return sorted(ids, key=key)


@dataclass(frozen=True)
class SlotResult:
    specialty: str
    winners: tuple[str, ...]
    alternates: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "specialty": self.specialty,
            "winners": list(self.winners),
            "alternates": list(self.alternates),
        }


def select(
    rules: DrawRules, ranked: Sequence[Sequence[str]], county_of: Mapping[str, str]
) -> tuple[SlotResult, ...]:
    """Winners slot by slot in rank order under the county limits, then alternates in rank order.

    While filling, an expert from an already-represented county is skipped once the places left are
    exactly the counties still missing, so ``min_counties`` is met whenever the ranking allows it.
    """
    used: set[str] = set()
    per_county: Counter[str] = Counter()
    places_left = rules.winners
    winners: list[list[str]] = []
    for slot, order in zip(rules.slots, ranked, strict=True):
        chosen: list[str] = []
        for expert in order:
            if len(chosen) == slot.experts:
                break
            county = county_of[expert]
            if expert in used or (
                rules.max_per_county is not None and per_county[county] >= rules.max_per_county
            ):
                continue
            missing = rules.min_counties - len(per_county)
            if missing >= places_left and county in per_county:
                continue
            chosen.append(expert)
            used.add(expert)
            per_county[county] += 1
            places_left -= 1
        if len(chosen) < slot.experts:
            raise DrawInfeasible(
                f"min_counties/max_per_county: 专业 {slot.specialty} 在区县限制下只能抽出 {len(chosen)} 人 "
                f"(the county rules cannot be met with the eligible experts)"
            )
        winners.append(chosen)
    results = []
    for slot, order, chosen in zip(rules.slots, ranked, winners, strict=True):
        spare = [e for e in order if e not in used][: slot.alternates]
        used.update(spare)
        results.append(SlotResult(slot.specialty, tuple(chosen), tuple(spare)))
    return tuple(results)


def draw(
    pool: Pool, rules: DrawRules, tender: DrawTender, seed: bytes, draw_id: str
) -> tuple[list[list[str]], tuple[SlotResult, ...]]:
    """Eligibility and lottery in one call: the eligible ids per slot and the result."""
    rows = eligible_rows(pool, rules, tender)
    eligible = [sorted(pool.ids[r].tolist()) for r in rows]
    county_of = {pool.rows[i].id: pool.rows[i].county for r in rows for i in r.tolist()}
    ranked = [rank(seed, draw_id, ids) for ids in eligible]
    return eligible, select(rules, ranked, county_of)


def pick_alternate(
    alternates: Sequence[str],
    county_of: Mapping[str, str],
    committee: Sequence[str],
    max_per_county: int | None,
) -> str | None:
    """The first alternate, in order, who keeps the committee within the per-county limit."""
    if not alternates:
        return None
    per_county = Counter(county_of[e] for e in committee)
    for expert in alternates:
        if max_per_county is None or per_county[county_of[expert]] < max_per_county:
            return expert
    return alternates[0]  # better a full committee than an empty seat; the supervisor sees it


def pool_line(r: PoolRow) -> str:
    """One row as a text line; every field is a code or number without '|', ';' or newlines."""
    return "|".join(
        (
            r.id, r.county, r.employer, r.status, ";".join(sorted(r.specialties)),
            ";".join(f"{a.isoformat()}/{b.isoformat()}" for a, b in sorted(r.leave)),
            ";".join(sorted(r.avoid)),
            str(r.recent), str(r.credit) if r.credit is not None else "", "1" if r.barred else "0",
        )
    )  # fmt: skip


def pool_hash(rows: Iterable[PoolRow]) -> str:
    """SHA-256 over the rows' lines sorted by id, each ending in a newline (cheap at 100,000 rows)."""
    lines = sorted(pool_line(r) + "\n" for r in rows)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def eligible_hash(eligible: Sequence[Sequence[str]]) -> str:
    return hashlib.sha256(canonical_json([list(ids) for ids in eligible])).hexdigest()
