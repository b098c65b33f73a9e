"""Opening an evaluation: the host seats the drawn committee (and the tenderer's representative, where
the tender allows one) and opens the room once the opening is closed."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core import rooms
from core.accounts import Principal, find_user
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.organisations import find_by_credit_code
from core.regions import get_region
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import SigningError, public_key_from_text, public_key_to_text
from evaluation.events import EVALUATION_STARTED, encode
from evaluation.models import Evaluation, EvaluationState, Member
from evaluation.params import ScoreError, from_tender_criteria
from evaluation.room import room_name
from evaluation.steps import RoomOpened, transition
from experts import service as experts


class NewEvaluation(msgspec.Struct, frozen=True):
    """What opening a lot's evaluation room takes (the body of ``POST /api/evaluations``)."""

    tender_code: Annotated[str, Meta(min_length=1, max_length=40, description="the tender's code")] = (
        msgspec.field(name="tender")  # ``tender`` in the body, as the API has always called it
    )
    lot: bidding.LotNumberText
    draw_id: Annotated[int, Meta(ge=1, description="the expert draw that formed the committee")]
    main_venue: Annotated[str, Meta(description="region code of the main venue (主会场)")]
    venues: tuple[str, ...] = ()  # region codes of the sub-venues (分会场)
    # the tenderer's representative's username, where the tender allows one
    representative: Annotated[
        str, Meta(description="username of the tenderer's representative (招标人代表); empty: none")
    ] = ""
    # their Ed25519 public key (ed25519:<base64> or PEM) to sign the report; empty: the tenderer's
    # registered signing key (core.organisations.set_signing_key)
    representative_key: Annotated[
        str,
        Meta(
            description="the representative's Ed25519 public key (ed25519:<base64> or PEM); "
            "empty: the tenderer's registered signing key"
        ),
    ] = ""


REPRESENTATIVE_PREFIX = "TR-"  # a representative's member code: TR-<user id> (experts' codes are E…)


async def _representative_seat(
    session: AsyncSession, tender: Any, new: NewEvaluation, experts_seated: int
) -> Member | None:
    """The tenderer's representative (招标人代表), checked against the law's shape of a committee:
    an odd number of members, experts at least two thirds of them (招标投标法 Art. 37)."""
    if not new.representative.strip():
        return None
    if not tender.criteria.get("tenderer_representative", False):
        raise InvalidInput(
            "本项目的评标办法不设招标人代表 (this tender seats no tenderer's representative)",
            code="no_representative_seat",
        )
    user = await find_user(session, new.representative.strip())
    if user is None or Role.TENDERER not in user.role_names or user.organisation_id != tender.tenderer_id:
        raise InvalidInput(
            f"招标人代表 {new.representative.strip()} 不是本项目招标人的用户 "
            "(the representative must be a user of the tender's tenderer)",
            code="bad_representative",
        )
    organisation = await session.get(Organisation, tender.tenderer_id)
    assert organisation is not None  # a tender's tenderer exists
    # Without a key typed in, the representative signs with the tenderer's registered signing key.
    key_text = new.representative_key.strip() or organisation.signing_key or ""
    if not key_text:
        raise InvalidInput(
            "招标人未登记签名公钥，请填写招标人代表的签名公钥 "
            "(the tenderer has no registered signing key: give the representative's public key)",
            code="bad_representative_key",
        )
    try:
        public_key = public_key_to_text(public_key_from_text(key_text))
    except SigningError as error:
        raise InvalidInput(
            f"招标人代表的签名公钥无效 (the representative's public key): {error}",
            code="bad_representative_key",
        ) from None
    total = experts_seated + 1
    if total % 2 == 0 or experts_seated * 3 < total * 2:
        raise InvalidInput(
            f"评标委员会应为单数且专家不少于三分之二：{experts_seated} 名专家加 1 名招标人代表不符合 "
            f"({experts_seated} experts and a representative: the committee must be odd, experts ≥ 2/3)",
            code="committee_shape",
        )
    return Member(
        code=f"{REPRESENTATIVE_PREFIX}{user.id}", user_id=user.id, name=user.display_name,
        county_code=organisation.region_code, employer=organisation.name, public_key=public_key,
        kind="member", position=experts_seated,
    )  # fmt: skip


def is_representative(code: str) -> bool:
    return code.startswith(REPRESENTATIVE_PREFIX)


def seat_committee(session: AsyncSession, evaluation: Evaluation, members: Any, alternates: Any) -> None:
    """The drawn experts' seats in a new evaluation: members, then alternates, each in draw order."""
    for kind, people in (("member", members), ("alternate", alternates)):
        for position, expert in enumerate(people):
            session.add(
                Member(
                    evaluation_id=evaluation.id,
                    code=expert.code,
                    user_id=expert.user_id,
                    name=expert.name,
                    county_code=expert.county_code,
                    employer=expert.employer_name,
                    public_key=expert.public_key,
                    kind=kind,
                    position=position,
                )
            )


async def start(
    session: AsyncSession, runtime: Runtime, principal: Principal, new: NewEvaluation
) -> Evaluation:
    """The host opens the room once the opening is closed and the committee is complete."""
    tender = await bidding.tender_by_code(session, new.tender_code)
    if not bidding.is_owner(principal, tender):
        raise PermissionDenied("只有本项目的招标人或代理机构可以组织评标 (only the tender's owners host)")
    lots = {lot.number: lot for lot in await bidding.lots_of(session, tender.id)}
    lot = lots.get(new.lot)
    if lot is None:
        raise NotFound(f"标段 {new.lot} 不存在 (no such lot)", code="unknown_lot")
    code = f"{tender.code}-{lot.number}"
    if await session.scalar(select(Evaluation.id).where(Evaluation.code == code)) is not None:
        raise Conflict(f"评标 {code} 已开始 (already started)", code="already_started")
    draw = await experts.get_draw(session, new.draw_id)
    if draw.tender_ref != tender.code or (draw.lot_ref not in (None, "", lot.number)):
        raise InvalidInput(
            f"抽取 {draw.code} 不是本项目/标段的 (draw {draw.code} is for {draw.tender_ref} "
            f"{draw.lot_ref or ''})",
            code="wrong_draw",
        )
    venues = tuple(dict.fromkeys(v for v in new.venues if v != new.main_venue))
    for venue in (new.main_venue, *venues):
        await get_region(session, venue)  # 404 naming an unknown venue
    bids = await bidding.opened_bids(session, tender.code, lot.number)
    if len(bids) < 3:
        raise Conflict(
            f"有效投标不足 3 家 ({len(bids)})，不能评标 (fewer than three valid bids)", code="too_few_bids"
        )
    try:
        method = from_tender_criteria(tender.criteria, coefficient=bids[0].coefficient or Decimal(0))
    except ScoreError as error:
        raise InvalidInput(f"评标办法有误 (criteria): {error}", code="bad_criteria") from None
    draw = await experts.unseal_for_evaluation(session, runtime, draw.id)
    members, alternates = await experts.seats(session, draw.id)
    representative = await _representative_seat(session, tender, new, len(members))
    bid_rows = []
    for bid in bids:
        org = await find_by_credit_code(session, bid.bidder_code)
        assert org is not None  # an opened bid's company exists
        bid_rows.append({"code": bid.bidder_code, "name": bid.bidder_name, "price": str(bid.price),
                         "organisation_id": org.id})  # fmt: skip
    evaluation = Evaluation(
        code=code, tender_code=tender.code, lot_number=lot.number, tender_title=tender.title,
        lot_name=lot.title, draw_id=draw.id, criteria=tender.criteria,
        coefficient=bids[0].coefficient or Decimal(0), budget=lot.budget, ceiling_price=lot.ceiling_price,
        bids=bid_rows, main_venue=new.main_venue, venues=list(venues), state=EvaluationState.OPEN,
        created_by=principal.user_id, created_at=runtime.clock.now(),
    )  # fmt: skip
    session.add(evaluation)
    await session.flush()
    seat_committee(session, evaluation, members, alternates)
    if representative is not None:
        representative.evaluation_id = evaluation.id
        session.add(representative)
    qualification = tuple(str(q["id"]) for q in tender.criteria.get("qualification", []))
    preliminary = tuple(str(q["id"]) for q in tender.criteria.get("preliminary", []))
    opened = RoomOpened(
        members=(*(e.code for e in members), *([representative.code] if representative is not None else [])),
        alternates=tuple(e.code for e in alternates),
        bidders=tuple(b.bidder_code for b in bids),
        qualification_items=qualification,
        preliminary_items=preliminary,
        criteria=method.criteria,
        anomaly_limit=method.anomaly,
        bond_failures=tuple((b.bidder_code, b.bond_failure) for b in bids if b.bond_failure),
    )
    room = room_name(code)
    await rooms.lock(session, room)
    transition(None, opened)  # checks the committee and items before anything is stored
    kind, data = encode(opened)
    await rooms.append(session, runtime.clock, room, kind, data)
    await bidding.start_evaluation(session, runtime, principal, tender.code)
    await runtime.audit.append(
        session, EVALUATION_STARTED, actor=principal.actor, subject=f"evaluation:{code}",
        data={"draw": draw.code, "members": len(members), "bids": len(bids),
              "venues": [new.main_venue, *venues]},
    )  # fmt: skip
    return evaluation
