"""What the experts API answers: one Struct per shape, built from the rows here (no dicts by hand).

The ID number and the phone are masked except for those who may see them (supervisors; the phone
also for the expert themself); a draw's seed and contributions show only as commitments to anyone but
a supervisor until the names are published.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from experts.draw import SlotCounts
from experts.idcard import mask_id_number, mask_phone
from experts.models import Draw, Expert, ExpertApplication, Invitation
from experts.registry import ExpertStatus
from experts.specialties import Specialty, path_name

ApplicationState = Literal["pending", "approved", "rejected"]
DrawState = Literal["created", "committed", "drawn", "short", "complete"]
DrawStage = Literal["sealed", "evaluation", "published"]
IsoTime = Annotated[str, Meta(description="ISO 8601 date and time (UTC offset included)")]
SEALED = "***"  # the name of a seat whose names are still sealed


class Out(msgspec.Struct, kw_only=True):
    """An answer of the experts API."""


class SpecialtyOut(Out):
    """A node of the specialty tree (公共资源交易评标专家专业分类标准)."""

    code: str
    parent: str | None
    name: str
    level: Literal["category", "class", "leaf"]


class SpecialtyRef(Out):
    code: str
    name: str  # the full path, e.g. 工程类 / 房屋建筑 / 土建


class LeaveOut(Out):
    id: int
    start: date
    end: date
    reason: str


class ExpertOut(Out):
    """An expert record (专家档案)."""

    code: str
    name: str
    id_number: Annotated[str, Meta(description="in full for supervisors, else masked")]
    phone: Annotated[str, Meta(description="in full for supervisors and the expert, else masked")]
    county: str
    employer_code: str
    employer_name: str
    title: str
    status: ExpertStatus
    specialties: list[SpecialtyRef]
    leave: list[LeaveOut]
    avoid: list[str]  # credit codes of the companies the expert must not evaluate
    public_key: str | None
    linked: bool  # whether a login is linked to the record


def expert_out(expert: Expert, *, supervisor: bool, own: bool = False) -> ExpertOut:
    """The ID number in full to supervisors only; the phone also to the expert themself."""
    return ExpertOut(
        code=expert.code,
        name=expert.name,
        id_number=expert.id_number if supervisor else mask_id_number(expert.id_number),
        phone=expert.phone if supervisor or own else mask_phone(expert.phone),
        county=expert.county_code,
        employer_code=expert.employer_code,
        employer_name=expert.employer_name,
        title=expert.title,
        status=expert.status,  # type: ignore[arg-type]  # one of STATUSES, checked on the way in
        specialties=[SpecialtyRef(code=c, name=path_name(c)) for c in expert.specialty_codes],
        leave=[
            LeaveOut(id=v.id, start=v.start, end=v.end, reason=v.reason)
            for v in sorted(expert.leaves, key=lambda v: v.start)
        ],
        avoid=sorted(a.credit_code for a in expert.avoidances),
        public_key=expert.public_key,
        linked=expert.user_id is not None,
    )


class SlotOut(Out):
    specialty: str
    experts: int
    alternates: int = 0


class RulesOut(Out):
    """The draw's rules (抽取规则) as stored (experts.draw.DrawRules.to_json)."""

    slots: list[SlotOut]
    # defaults: what DrawRules.from_json reads for a key a draw stored before the rule existed
    counties_allowed: list[str] = msgspec.field(default_factory=list)
    counties_excluded: list[str] = msgspec.field(default_factory=list)
    exclude_tenderer_county: bool = False
    min_counties: int = 0
    max_per_county: int | None = None
    max_recent_for_tenderer: int | None = None
    min_credit: Annotated[str | None, Meta(description="credit index threshold, a decimal as text")] = None


class TenderOut(Out):
    """Whom the draw avoids (experts.draw.DrawTender.to_json)."""

    tenderer_code: str
    tenderer_county: str
    agent_code: str | None
    bidder_codes: list[str]
    evaluation_date: date


class ContributionOut(Out):
    role: str
    commitment: str
    value: Annotated[str | None, Meta(description="revealed to supervisors, and to all once published")]


class DrawOut(Out):
    """An expert draw (专家抽取)."""

    id: int
    code: str
    tender_ref: str
    lot_ref: str | None
    evaluation_date: date
    state: DrawState
    stage: DrawStage
    rules: RulesOut
    response_minutes: int
    commitment: str | None
    pool_hash: str | None
    seed_commitment: str | None
    seed: Annotated[str | None, Meta(description="revealed to supervisors, and to all once published")]
    contributions: list[ContributionOut]
    tender: TenderOut | UnsetType = UNSET  # supervisors only


def draw_out(
    found: Draw, *, supervisor: bool, seed_commitment: str | None, commitments: list[str]
) -> DrawOut:
    """The draw as the API shows it (``commitments``: each contribution's, in order)."""
    revealed = supervisor or found.stage == "published"
    return DrawOut(
        id=found.id, code=found.code, tender_ref=found.tender_ref, lot_ref=found.lot_ref,
        evaluation_date=found.evaluation_date, state=found.state, stage=found.stage,  # type: ignore[arg-type]
        rules=msgspec.convert(found.rules, RulesOut), response_minutes=found.response_minutes,
        commitment=found.commitment, pool_hash=found.pool_hash, seed_commitment=seed_commitment,
        seed=found.seed if revealed else None,
        contributions=[
            ContributionOut(role=c["role"], commitment=commitment, value=c["value"] if revealed else None)
            for c, commitment in zip(found.contributions, commitments, strict=True)
        ],
        tender=msgspec.convert(found.tender, TenderOut) if supervisor else UNSET,
    )  # fmt: skip


class SeatOut(Out):
    """A drawn seat; names, codes and employers sealed (``***`` / null) unless the viewer may see them."""

    slot: int
    specialty: str
    kind: Literal["winner", "alternate"]
    position: int
    state: str
    name: str
    code: str | None
    county: str | None
    employer: str | None
    title: str | None
    # supervisors only:
    invitation: int | UnsetType = UNSET
    deadline: IsoTime | UnsetType | None = UNSET
    reason: str | UnsetType = UNSET
    phone: str | UnsetType = UNSET


def seat_out(i: Invitation, *, visible: bool, supervisor: bool) -> SeatOut:
    e = i.expert
    seat = SeatOut(
        slot=i.slot, specialty=i.specialty, kind=i.kind, position=i.position, state=i.state,  # type: ignore[arg-type]
        name=e.name if visible else SEALED, code=e.code if visible else None,
        county=e.county_code if visible else None, employer=e.employer_name if visible else None,
        title=e.title if visible else None,
    )  # fmt: skip
    if supervisor:
        seat.invitation, seat.reason, seat.phone = i.id, i.reason, e.phone
        seat.deadline = i.deadline.isoformat() if i.deadline else None
    return seat


class InvitationOut(Out):
    """An invitation to evaluate, as the invited expert sees it."""

    id: int
    draw: str
    tender_ref: str
    lot_ref: str | None
    evaluation_date: date
    specialty: str
    specialty_name: str
    kind: Literal["winner", "alternate"]
    state: Annotated[str, Meta(description="invited, confirmed, declined, expired, …")]
    deadline: IsoTime | None
    reason: str


def invitation_out(i: Invitation, d: Draw) -> InvitationOut:
    return InvitationOut(
        id=i.id, draw=d.code, tender_ref=d.tender_ref, lot_ref=d.lot_ref, evaluation_date=d.evaluation_date,
        specialty=i.specialty, specialty_name=path_name(i.specialty), kind=i.kind,  # type: ignore[arg-type]
        state=i.state, deadline=i.deadline.isoformat() if i.deadline else None, reason=i.reason,
    )  # fmt: skip


class Responded(Out):
    id: int
    state: str


class RuleCountOut(Out):
    rule: str
    passing: int  # holders of the specialty who pass this rule alone
    left: int  # holders left after this rule and every rule before it


class EligibleCountOut(Out):
    """How many experts each rule leaves for a slot, before the draw."""

    specialty: str
    name: str
    needed: int
    holders: int
    eligible: int
    rules: list[RuleCountOut]


def eligible_count_out(c: SlotCounts) -> EligibleCountOut:
    return EligibleCountOut(
        specialty=c.specialty, name=path_name(c.specialty), needed=c.needed, holders=c.holders,
        eligible=c.eligible,
        rules=[RuleCountOut(rule=r.rule, passing=r.passing, left=r.left) for r in c.rules],
    )  # fmt: skip


def specialty_out(s: Specialty) -> SpecialtyOut:
    return SpecialtyOut(code=s.code, parent=s.parent, name=s.name, level=s.level)  # type: ignore[arg-type]


class ApplicationOut(Out):
    """A self-registration (专家申请); for supervisors and admins only (ID number and phone in full)."""

    id: int
    username: str
    name: str
    id_number: str
    phone: str
    county: str
    employer_code: str
    employer_name: str
    title: str
    specialties: list[SpecialtyRef]
    state: ApplicationState
    reason: str
    created_at: datetime
    decided_at: datetime | None


def application_out(row: ExpertApplication) -> ApplicationOut:
    return ApplicationOut(
        id=row.id, username=row.username, name=row.name, id_number=row.id_number, phone=row.phone,
        county=row.county_code, employer_code=row.employer_code, employer_name=row.employer_name,
        title=row.title, specialties=[SpecialtyRef(code=c, name=path_name(c)) for c in row.specialties],
        state=row.state, reason=row.reason, created_at=row.created_at,  # type: ignore[arg-type]
        decided_at=row.decided_at,
    )  # fmt: skip


class Submitted(Out):
    id: int
    state: ApplicationState


class Imported(Out):
    imported: int


class PoolExpertOut(Out):
    """One expert as the draw saw them (experts.draw.PoolRow): a registry code, never a name."""

    id: str
    county: str
    employer: str
    status: str
    specialties: list[str]
    leave: list[tuple[date, date]]  # [first day, last day]
    avoid: list[str]
    recent: int
    credit: str | None
    barred: bool


class PoolOut(Out):
    hash: str
    hash_of: str
    experts: list[PoolExpertOut]


class EligibleOut(Out):
    hash: str
    slots: list[list[str]]  # per slot, the eligible experts' codes


class SealedContributionOut(Out):
    role: str
    value: str
    salt: str
    commitment: str


class SeedOut(Out):
    commitment: str
    server_secret: str
    contributions: list[SealedContributionOut]
    seed: str
    salt: str
    seed_commitment: str
    sealed_as: str
    rank: str


class SlotResultOut(Out):
    specialty: str
    winners: list[str]
    alternates: list[str]


class DrawDocument(Out):
    """The re-runnable draw document (experts.verify.build_document; ``sunbid draw verify`` reads it)."""

    type: str
    draw_id: str
    tender_ref: str
    lot_ref: str | None
    rules: RulesOut
    tender: TenderOut
    pool: PoolOut
    eligible: EligibleOut
    seed: SeedOut
    result: list[SlotResultOut]
    committee_commitment: str
