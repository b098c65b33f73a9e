"""补抽 end to end: a committee draw runs out of alternates, the supervisor runs a supplementary draw
over the API, its member confirms, and the evaluation room seats the supplementary member (evaluation/
reads the committee through experts' service)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.clock import ManualClock
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import generate_private_key, public_key_to_text
from evaluation import service
from evaluation.models import Member
from experts import registry
from experts import service as experts
from experts.draw import DrawRules, DrawTender, Slot
from experts.idcard import synthetic_id_number
from experts.models import Invitation
from experts.registry import ExpertInput
from tests.evaluation.world import CODE, COUNTIES, opened_lot, principal, world_code
from tests.experts.helpers import company
from tests.support.factories import bearer, make_user
from tests.web.test_admin import HTML, page_login


async def _pool(runtime: Runtime, count: int) -> dict[str, str]:
    """``count`` experts of A0101 with logins: code → username."""
    rng = random.Random(11)
    usernames = {}
    for n in range(1, count + 1):
        county = COUNTIES[n % len(COUNTIES)]
        async with runtime.transaction() as session:
            expert = await registry.register_expert(
                session, runtime,
                ExpertInput(
                    name=f"补抽评委{n:02d}", id_number=synthetic_id_number(rng, county, date(1970, 2, n)),
                    phone=f"138{n:08d}", county=county, employer_code=company(400 + n, county),
                    employer_name=f"某咨询公司{n}", title="高级工程师", specialties=["A0101"],
                ),
                actor="test",
            )  # fmt: skip
            expert.public_key = public_key_to_text(generate_private_key().public_key())
            code = expert.code
        username = "s" + code.lower().replace("-", "")
        user_id = await make_user(runtime, username, Role.EXPERT)
        async with runtime.transaction() as session:
            await registry.link_user(session, runtime, code, user_id, actor="test")
        usernames[code] = username
    return usernames


async def _invited(runtime: Runtime, draw_id: int) -> list[Invitation]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(Invitation).where(Invitation.draw_id == draw_id, Invitation.state == "invited")
        )
        return list(rows)


async def _answer(runtime: Runtime, usernames: dict[str, str], invitation: Invitation, accept: bool) -> None:
    who = await principal(runtime, usernames[invitation.expert.code])
    async with runtime.transaction() as session:
        await experts.respond(
            session, runtime, invitation.id, actor=who, accept=accept, reason="" if accept else "身体原因"
        )


async def test_the_room_seats_the_supplementary_member(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    usernames = await _pool(runtime, 6)
    await make_user(runtime, "supervisor8", Role.SUPERVISOR)
    supervisor = await principal(runtime, "supervisor8")
    tender = DrawTender(
        tenderer_code=world_code(world, "tenderer"), tenderer_county="220281", agent_code=None,
        bidder_codes=(), evaluation_date=clock.now().date() + timedelta(days=1),
    )  # fmt: skip
    async with runtime.transaction() as session:
        draw = await experts.create_draw_request(
            session, runtime, tender_ref=CODE, lot_ref="1", tender=tender,
            rules=DrawRules(slots=(Slot("A0101", 3, 0),)), actor=supervisor,
        )  # fmt: skip
        draw_id = draw.id
    for step in ("commit", "run"):
        async with runtime.transaction() as session:
            if step == "commit":
                await experts.commit_seed(session, runtime, draw_id, actor=supervisor)
            else:
                await experts.contribute(session, runtime, draw_id, actor=supervisor, value="16180")
                await experts.run_draw(session, runtime, draw_id, actor=supervisor)
    first = await _invited(runtime, draw_id)
    await _answer(runtime, usernames, first[0], accept=False)  # no alternate: the draw is short
    for invitation in first[1:]:
        await _answer(runtime, usernames, invitation, accept=True)
    # the supervisor's console of the short draw offers the supplementary draw (a CSRF form)
    await page_login(client, "supervisor8")
    console = await client.get(f"/experts/draws/{draw_id}", headers=HTML)
    assert 'id="supplementary-form"' in console.text and "补抽" in console.text
    token = re.findall(r'name="_csrf" value="([^"]+)"', console.text)[0]
    made = await client.post(
        f"/experts/draws/{draw_id}/supplementary", data={"_csrf": token}, headers=HTML, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    extra_id = int(made.headers["location"].rsplit("/", 1)[1])
    new_console = await client.get(f"/experts/draws/{extra_id}", headers=HTML)
    assert 'id="supplements-of"' in new_console.text
    headers = await bearer(client, "supervisor8")
    running = await client.post(f"/api/experts/draws/{draw_id}/supplementary", headers=headers)
    assert running.status_code == 409 and running.json()["error"] == "supplement_running"
    refused = await client.post(f"/api/experts/draws/{extra_id}/supplementary", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"] == "is_supplementary"
    shown = (await client.get(f"/api/experts/draws/{extra_id}", headers=headers)).json()
    assert shown["state"] == "created" and shown["rules"]["slots"][0]["experts"] == 1
    async with runtime.transaction() as session:
        await experts.commit_seed(session, runtime, extra_id, actor=supervisor)
    async with runtime.transaction() as session:
        await experts.contribute(session, runtime, extra_id, actor=supervisor, value="27182")
        await experts.run_draw(session, runtime, extra_id, actor=supervisor)
    [newcomer] = await _invited(runtime, extra_id)
    assert newcomer.expert.code not in {i.expert.code for i in first}
    await _answer(runtime, usernames, newcomer, accept=True)
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        evaluation = await service.start(
            session, runtime, agent, service.NewEvaluation(CODE, "1", draw_id, "220281", ())
        )
        seated = list(
            await session.scalars(
                select(Member.code).where(Member.evaluation_id == evaluation.id, Member.kind == "member")
            )
        )
    assert newcomer.expert.code in seated and first[0].expert.code not in seated
    assert len(seated) >= 3
