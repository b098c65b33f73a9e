"""Demo data: the demo's evaluating tender (demo/seeds/bidding.py) sits in its evaluation room, so no
tender reads 评标中 without one. Its committee is the draw demo/seeds/experts.py completed for it; its
bidders are the ones its opening record names, at the prices the record shows. The room is open, at
sign-in (the demo's live evaluation, demo/room.py, is the one that plays). Idempotent."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bidding.common import lots_of
from bidding.models import Notice, Tender
from core import rooms
from core.accounts import find_user
from core.models import Organisation
from core.runtime import Runtime
from demo.seeds.experts import EVALUATING_TENDER
from evaluation.events import encode
from evaluation.models import Evaluation, EvaluationState
from evaluation.params import from_tender_criteria
from evaluation.room import room_name
from evaluation.start import seat_committee
from evaluation.steps import RoomOpened, transition
from experts import service as experts
from experts.models import Draw

MAIN_VENUE, SUB_VENUES = "220202", ["220282"]  # 昌邑区 hall; 桦甸市's, the tender's county


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    async with runtime.transaction() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == EVALUATING_TENDER))
        draw = await session.scalar(select(Draw).where(Draw.tender_ref == EVALUATING_TENDER))
        agent = await find_user(session, "agent")
        if tender is None or draw is None or draw.state != "complete":
            return {"rooms": 0}
        lot = (await lots_of(session, tender.id))[0]
        code = f"{tender.code}-{lot.number}"
        if await session.scalar(select(Evaluation.id).where(Evaluation.code == code)) is not None:
            return {"rooms": 0}
        record = await session.scalar(
            select(Notice).where(Notice.tender_id == tender.id, Notice.kind == "opening_record")
        )
        rows = (record.data or {}).get("bids", []) if record is not None else []
        bids = []
        for row in rows:
            org = await session.scalar(
                select(Organisation).where(Organisation.credit_code == row["bidder"]["credit_code"])
            )
            if org is not None:
                bids.append({"code": org.credit_code, "name": org.name, "price": row["price"],
                             "organisation_id": org.id})  # fmt: skip
        if len(bids) < 3:
            return {"rooms": 0}
        method = from_tender_criteria(tender.criteria, coefficient=Decimal(0))
        await experts.unseal_for_evaluation(session, runtime, draw.id)
        members, alternates = await experts.seats(session, draw.id)
        evaluation = Evaluation(
            code=code, tender_code=tender.code, lot_number=lot.number, tender_title=tender.title,
            lot_name=lot.title, draw_id=draw.id, criteria=tender.criteria, coefficient=Decimal(0),
            budget=lot.budget, ceiling_price=lot.ceiling_price, bids=bids, main_venue=MAIN_VENUE,
            venues=SUB_VENUES, state=EvaluationState.OPEN, created_by=agent.id if agent else None,
            created_at=runtime.clock.now(),
        )  # fmt: skip
        session.add(evaluation)
        await session.flush()
        seat_committee(session, evaluation, members, alternates)
        opened = RoomOpened(
            members=tuple(e.code for e in members),
            alternates=tuple(e.code for e in alternates),
            bidders=tuple(b["code"] for b in bids),
            qualification_items=tuple(str(q["id"]) for q in tender.criteria.get("qualification", [])),
            preliminary_items=tuple(str(q["id"]) for q in tender.criteria.get("preliminary", [])),
            criteria=method.criteria,
            anomaly_limit=method.anomaly,
        )
        transition(None, opened)  # the committee and items are checked as the service checks them
        room = room_name(code)
        await rooms.lock(session, room)
        kind, data = encode(opened)
        await rooms.append(session, runtime.clock, room, kind, data)
    return {"rooms": 1}
