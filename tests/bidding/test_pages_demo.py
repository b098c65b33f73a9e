"""Public pages render for everyone (zh and en), drafts stay hidden, and the demo seeds every state once."""

from collections import Counter

from bidding.lifecycle import State
from core.runtime import Runtime
from demo.seeds import bidding as demo
from demo.seeds.core import seed_core
from tests.bidding.helpers import make_world, published_tender, tender_body


async def test_public_pages_in_both_languages_and_drafts_hidden(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=1)
    await published_tender(runtime, client, world)
    await client.post("/api/tenders", json=tender_body(runtime, world, "DRAFT-1"), headers=world.agent)
    html = {"accept": "text/html"}
    listing = await client.get("/tenders", headers=html)
    assert listing.status_code == 200 and "JLZB-2026-001" in listing.text and "DRAFT-1" not in listing.text
    detail = await client.get("/tenders/JLZB-2026-001?lang=en", headers=html)
    assert detail.status_code == 200 and "Ceiling price" in detail.text and "11,500,000.00" in detail.text
    assert (await client.get("/tenders/DRAFT-1", headers=html)).status_code == 404
    notices = await client.get("/notices?lang=zh", headers=html)  # the English visit above set the cookie
    assert notices.status_code == 200 and "招标公告" in notices.text
    first = (await client.get("/api/notices")).json()["items"][0]["id"]
    assert "投标截止及开标时间" in (await client.get(f"/notices/{first}", headers=html)).text
    console = await client.get("/bidder", headers={**html, **world.bidders[0].headers})
    assert console.status_code == 200 and world.bidders[0].code in console.text
    editor = await client.get("/agent/tenders/new", headers={**html, **world.agent})
    assert editor.status_code == 200 and 'name="opening_recipient"' in editor.text


async def test_demo_has_a_tender_in_every_state_and_is_idempotent(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await seed_core(runtime, 220200)
    first = await demo.seed(runtime, 220200)
    assert first["tenders"] == len(demo.DEMO_TENDERS) and first["notices"] > first["tenders"]
    assert first["signing keys"] == 4  # the demo bidders of the live opening (demo/opening.py)
    assert await demo.seed(runtime, 220200) == {"tenders": 0, "notices": 0, "signing keys": 0}
    supervisor_view = Counter(t.state for t in await _all(runtime))
    assert set(supervisor_view) == {state.value for state in State}
    public = (await client.get("/api/tenders?limit=100")).json()
    assert public["total"] == len(demo.DEMO_TENDERS) - 1  # the draft is not public


async def _all(runtime: Runtime):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bidding.models import Tender

    async with runtime.sessions() as session:
        return list(await session.scalars(select(Tender)))
