"""Tenders over the API: two-phase publishing, visibility, amendments, notices and the Atom feed."""

from datetime import timedelta
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender, tender_body


async def test_draft_is_invisible_until_published_and_retries_make_one_tender(
    runtime: Runtime, client
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=1)
    body = tender_body(runtime, world)
    first = await client.post("/api/tenders", json=body, headers=world.agent)
    again = await client.post("/api/tenders", json=body, headers=world.agent)
    assert first.status_code == again.status_code == 201
    assert (await client.get("/api/tenders/JLZB-2026-001")).status_code == 404
    assert (
        await client.get("/api/tenders/JLZB-2026-001", headers=world.bidders[0].headers)
    ).status_code == 404
    assert (await client.get("/api/tenders/JLZB-2026-001", headers=world.tenderer)).json()["state"] == "draft"
    assert (await client.get("/api/tenders")).json()["total"] == 0
    assert (await client.get("/api/tenders", headers=world.supervisor)).json()["total"] == 1
    public_log = (await client.get("/api/audit/entries?limit=100")).text
    assert "JLZB-2026-001" not in public_log  # the public log knows nothing of drafts
    for _ in range(2):
        done = await client.post("/api/tenders/JLZB-2026-001/publish", headers=world.agent)
        assert done.status_code == 200 and done.json()["state"] == "published"
    public = (await client.get("/api/tenders/JLZB-2026-001")).json()
    assert public["budget"] == "12000000.00" and public["lots"][0]["ceiling_price"] == "11500000.00"
    assert [n["kind"] for n in public["notices"]] == ["tender"]
    taken = await client.post("/api/tenders", json=body, headers=world.tenderer)
    assert taken.status_code == 409


async def test_publish_refuses_a_short_notice_period_and_bad_inputs(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=0)
    now = runtime.clock.now()
    short = tender_body(runtime, world, bid_deadline=(now + timedelta(days=19)).isoformat())
    assert (await client.post("/api/tenders", json=short, headers=world.agent)).status_code == 201
    refused = await client.post("/api/tenders/JLZB-2026-001/publish", headers=world.agent)
    assert refused.status_code == 422 and refused.json()["error"] == "bad_timeline"
    assert "20" in refused.json()["detail"]
    for bad, code in [
        ({"opening_recipient": "age1notarecipient"}, "bad_opening_recipient"),
        ({"ceiling_price": "13000000.00"}, "ceiling_above_budget"),
        ({"criteria": {"method": "comprehensive", "scored": []}}, "bad_criteria"),
        ({"budget": "1.234"}, "bad_amount"),
    ]:
        response = await client.post(
            "/api/tenders", json=tender_body(runtime, world, "X-2", **bad), headers=world.agent
        )
        assert response.status_code == 422 and response.json()["error"] == code, (bad, response.text)
    # what the OpenAPI schema states (an enum) is refused by the type, naming the field
    lottery = await client.post(
        "/api/tenders", json=tender_body(runtime, world, "X-2", category="lottery"), headers=world.agent
    )
    assert lottery.status_code == 400 and lottery.json()["error"] == "invalid_request"
    assert [f["key"] for f in lottery.json()["fields"]] == ["category"]


async def test_numbers_no_column_can_hold_answer_422_naming_the_field(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=0)
    lot = {"number": "1", "title": "一标段", "budget": "1000.00", "ceiling_price": "900.00"}
    scored = [{"id": "P1", "group": "price", "name": "报价", "max_points": "1e400", "step": "1"}]
    for bad, field in [
        ({"budget": "1e308"}, "budget"),
        ({"budget": "9" * 400, "ceiling_price": "9" * 400}, "budget"),
        ({"budget": "NaN"}, "budget"),
        ({"ceiling_price": "-1"}, "ceiling price"),
        ({"bond_amount": "1e17"}, "bond"),
        ({"bond_amount": "10000000000000000.00"}, "bond"),  # 17 integer digits: Numeric(18, 2) holds 16
        ({"lots": [{**lot, "budget": "1e20", "ceiling_price": "1e19"}]}, "lot"),
        ({"min_credit_index": "1e308"}, "min_credit_index"),
        ({"criteria": {"method": "lowest_price", "anomaly_limit": "1e99999"}}, "anomaly_limit"),
        ({"criteria": {"method": "comprehensive", "scored": scored}}, "max_points"),
    ]:
        response = await client.post(
            "/api/tenders", json=tender_body(runtime, world, "X-3", **bad), headers=world.agent
        )
        assert response.status_code == 422, (bad, response.text)
        assert field in response.json()["detail"], (bad, response.text)
    largest = {"budget": "9999999999999999.99", "ceiling_price": "9999999999999999.99"}
    response = await client.post(
        "/api/tenders", json=tender_body(runtime, world, "X-4", **largest), headers=world.agent
    )
    assert response.status_code == 201, response.text


async def test_a_tender_without_a_lot_is_not_published(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from bidding.models import Lot

    world = await make_world(runtime, client, bidders=0)
    empty = await client.post("/api/tenders", json=tender_body(runtime, world, lots=[]), headers=world.agent)
    assert empty.status_code == 400 and empty.json()["fields"][0]["key"] == "lots", empty.text  # minItems 1
    assert (
        await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    ).status_code == 201
    async with runtime.transaction() as session:  # a draft whose lots are gone (as an older draft may be)
        await session.execute(delete(Lot))
    refused = await client.post("/api/tenders/JLZB-2026-001/publish", headers=world.agent)
    assert refused.status_code == 422 and refused.json()["error"] == "lot_required"
    assert "lot" in refused.json()["detail"]
    assert (await client.get("/api/tenders/JLZB-2026-001", headers=world.agent)).json()["state"] == "draft"


async def test_the_tender_bond_is_at_most_two_percent_of_every_lot_art_26(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    """《招标投标法实施条例》第二十六条 at the tender: the bond asked of every bid is at most 2% of each lot's
    estimated price (its budget): exactly 2% of the smallest lot is saved and published, one fen more
    is refused at save with the article and the cap named; a draft stored over the cap is not published."""
    from sqlalchemy import update

    from bidding.models import Tender

    world = await make_world(runtime, client, bidders=0)
    lots = [
        {"number": "1", "title": "一标段", "budget": "8000000.00", "ceiling_price": "7800000.00"},
        {"number": "2", "title": "二标段", "budget": "4000000.55", "ceiling_price": "3900000.00"},
    ]
    refused = await client.post(
        "/api/tenders",
        json=tender_body(runtime, world, "BOND-1", lots=lots, bond_amount="80000.02"),
        headers=world.agent,
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()
    assert error["error"] == "bond_over_limit"
    assert "《招标投标法实施条例》第二十六条" in error["detail"] and "标段 2" in error["detail"]
    assert "80,000.01" in error["detail"] and "at most 80,000.01 CNY" in error["detail"]
    assert (await client.get("/api/tenders/BOND-1", headers=world.agent)).status_code == 404  # nothing saved
    single = await client.post(  # without lots the tender's budget is the one lot's estimated price
        "/api/tenders",
        json=tender_body(runtime, world, "BOND-2", bond_amount="240000.01"),
        headers=world.agent,
    )
    assert single.status_code == 422 and single.json()["error"] == "bond_over_limit", single.text
    assert "240,000.00" in single.json()["detail"]
    saved = await client.post(
        "/api/tenders",
        json=tender_body(runtime, world, "BOND-1", lots=lots, bond_amount="80000.01"),
        headers=world.agent,
    )
    assert saved.status_code == 201, saved.text
    async with runtime.transaction() as session:  # a draft stored before the rule (or copied) over the cap
        await session.execute(update(Tender).where(Tender.code == "BOND-1").values(bond_amount="80000.02"))
    late = await client.post("/api/tenders/BOND-1/publish", headers=world.agent)
    assert late.status_code == 422 and late.json()["error"] == "bond_over_limit", late.text
    async with runtime.transaction() as session:
        await session.execute(update(Tender).where(Tender.code == "BOND-1").values(bond_amount="80000.01"))
    done = await client.post("/api/tenders/BOND-1/publish", headers=world.agent)
    assert done.status_code == 200, done.text
    assert (await client.get("/api/tenders/BOND-1")).json()["bond"]["amount"] == "80000.01"


async def test_another_agent_cannot_publish_or_amend(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    from core.roles import Role
    from tests.bidding.helpers import _org
    from tests.support.factories import bearer, make_user

    world = await make_world(runtime, client, bidders=0)
    await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    other = await _org(runtime, 3, "agent")
    await make_user(runtime, "agent2", Role.AGENT, organisation_id=other)
    stranger = await bearer(client, "agent2")
    assert (await client.post("/api/tenders/JLZB-2026-001/publish", headers=stranger)).status_code == 404
    await client.post("/api/tenders/JLZB-2026-001/publish", headers=world.agent)
    amend = {"title": "变更", "body": "修改工期"}
    assert (
        await client.post("/api/tenders/JLZB-2026-001/amendments", json=amend, headers=stranger)
    ).status_code == 403


async def test_late_amendment_moves_the_deadline_and_publishes_a_notice(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
) -> None:
    world = await make_world(runtime, client, bidders=0)
    tender = await published_tender(runtime, client, world)
    clock.advance(days=10)
    amended = await client.post(
        "/api/tenders/JLZB-2026-001/amendments",
        json={"title": "澄清公告", "body": "工程量清单第3项更正"},
        headers=world.agent,
    )
    assert amended.status_code == 201, amended.text
    new_deadline = amended.json()["timeline"]["bid_deadline"]
    assert new_deadline > tender["timeline"]["bid_deadline"]
    assert new_deadline.startswith((clock.now() + timedelta(days=15)).date().isoformat())
    kinds = [n["kind"] for n in (await client.get("/api/notices")).json()["items"]]
    assert kinds == ["amendment", "tender"]


async def test_notices_page_filter_and_feed(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world, "T-A")
    await published_tender(runtime, client, world, "T-B", category="goods", region_code="220202")
    await published_tender(runtime, client, world, "T-C", category="goods")
    everything = (await client.get("/api/notices?limit=2")).json()
    assert everything["total"] == 3 and len(everything["items"]) == 2
    assert (await client.get("/api/notices?limit=2&offset=2")).json()["items"][0]["tender"] == "T-A"
    assert (await client.get("/api/notices?category=goods")).json()["total"] == 2
    assert (await client.get("/api/notices?category=goods&region=220202")).json()["total"] == 1
    assert (await client.get("/api/notices?status=published&kind=tender")).json()["total"] == 3
    day = runtime.clock.now().date()
    assert (await client.get(f"/api/notices?since={day + timedelta(days=1)}T00:00:00Z")).json()["total"] == 0
    assert (await client.get("/api/notices?limit=1000")).status_code == 422
    assert (await client.get("/api/notices?kind=bogus")).status_code == 400  # not one of the schema's kinds
    one = (await client.get("/api/notices")).json()["items"][0]
    detail = (await client.get(f"/api/notices/{one['id']}")).json()
    assert "投标截止及开标时间" in detail["body"]
    feed = await client.get("/api/notices/feed.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert feed.text.count("<entry>") == 3 and "http://www.w3.org/2005/Atom" in feed.text


async def test_jobs_close_registration_and_find_tenders_past_the_deadline(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
) -> None:
    from bidding.jobs import close_registrations
    from bidding.tenders import tenders_past_deadline

    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world)
    await close_registrations(runtime)
    assert (await client.get("/api/tenders/JLZB-2026-001")).json()["state"] == "published"
    clock.advance(days=10)
    await close_registrations(runtime)
    await close_registrations(runtime)  # idempotent
    assert (await client.get("/api/tenders/JLZB-2026-001")).json()["state"] == "bidding"
    async with runtime.sessions() as session:
        assert await tenders_past_deadline(session, clock.now()) == []
        clock.advance(days=11)
        assert [t.code for t in await tenders_past_deadline(session, clock.now())] == ["JLZB-2026-001"]
    cancel = await client.post(
        "/api/tenders/JLZB-2026-001/cancel", json={"reason": "项目取消"}, headers=world.supervisor
    )
    assert cancel.status_code == 200 and cancel.json()["state"] == "cancelled"
    assert (await client.get("/api/notices?kind=termination")).json()["total"] == 1


async def test_a_tender_says_whether_its_contract_is_published_with_the_document(
    runtime: Runtime, client: Any
) -> None:
    world = await make_world(runtime, client, bidders=0)
    # a term, not a period: the rules object (RulesInput, as the schema states) has no such field
    mixed = tender_body(runtime, world, rules={"publish_contract_document": 1})
    refused = await client.post("/api/tenders", json=mixed, headers=world.agent)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request", refused.text
    assert "publish_contract_document" in refused.text
    # its own field: kept with the tender's rules, where contracts reads it, and the tender still publishes
    public = await published_tender(runtime, client, world, publish_contract_document=True)
    assert public["rules"]["publish_contract_document"] == 1
    assert public["rules"]["min_notice_days"] == 20
    other = await published_tender(runtime, client, world, "JLZB-2026-002")
    assert "publish_contract_document" not in other["rules"]


async def test_rules_are_typed_periods_that_are_never_looser_than_the_law(
    runtime: Runtime, client: Any
) -> None:
    world = await make_world(runtime, client, bidders=0)
    stricter = await client.post(
        "/api/tenders", json=tender_body(runtime, world, rules={"publicity_days": 5}), headers=world.agent
    )
    assert stricter.status_code == 201 and stricter.json()["rules"]["publicity_days"] == 5, stricter.text
    for wrong in ({"publicity_days": -1}, {"publicity_days": 1.5}, {"no_such_period": 3}):
        refused = await client.post(
            "/api/tenders",
            json=tender_body(runtime, world, "JLZB-2026-002", rules=wrong),
            headers=world.agent,
        )
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request", refused.text
    looser = await client.post(
        "/api/tenders",
        json=tender_body(runtime, world, "JLZB-2026-002", rules={"publicity_days": 2}),
        headers=world.agent,
    )
    assert looser.status_code == 422 and "statutory minimum" in looser.text, looser.text


def test_the_rules_input_names_every_period_of_the_lifecycle() -> None:
    from dataclasses import fields

    from bidding.inputs import RulesInput
    from bidding.lifecycle import Rules

    assert set(RulesInput.__struct_fields__) == {f.name for f in fields(Rules)}
