"""The demo's cartels raise their flags on the integrity pages, and its honest tenders raise none (the
false-positive check): per lot (P1–P5, E3) and across the market (M1–M4, Cardinal's)."""

from __future__ import annotations

from typing import Any

from core.runtime import Runtime
from demo.seeds import integrity as demo
from demo.seeds.core import seed_core
from integrity import findings, stored
from tests.evaluation.world import api_headers


async def test_the_cartels_are_flagged_and_the_honest_tenders_are_not(runtime: Runtime, client: Any) -> None:
    await seed_core(runtime, 220200)
    assert await demo.seed(runtime, 220200) == {"tenders": 12 + 2 + len(demo.HONEST_CODES)}
    assert await demo.seed(runtime, 220200) == {"tenders": 0}  # idempotent
    async with runtime.sessions() as session:
        lots = {lot.tender_code: lot for lot in await stored.latest(session)}
        rules = await findings.market_findings(session)

    # Per lot: the shared project manager, the prices in equal steps; nothing on an honest lot.
    assert {f["rule"] for f in lots[demo.MANAGER_CODE].flags} == {"E3"}
    [manager] = lots[demo.MANAGER_CODE].flags
    assert manager["bidders"] == list(demo.PAIR) and manager["figures"] == ["孙立国"]
    assert "P1" in {f["rule"] for f in lots[demo.PROGRESSION_CODE].flags}
    for code in demo.HONEST_CODES:
        assert lots[code].flags == [], code

    # Across the market: the ring's rotation over its twelve months, and nothing else at all.
    found = {r.rule.code: r for r in rules if r.total}
    assert set(found) == {"M1"}, {code: [i.subject for i in r.items] for code, r in found.items()}
    [ring] = found["M1"].items
    assert ring.subject == "、".join(sorted(demo.RING, key=lambda n: ring.subject.index(n)))
    assert set(ring.tenders) == {demo.ring_code(m) for m in range(1, 13)}
    assert "共同投标12次" in ring.evidence_zh
    honest_names = set(demo.HONEST)
    for rule in rules:
        for item in rule.items:
            assert not set(item.tenders) & set(demo.HONEST_CODES)
            assert not any(name in item.subject for name in honest_names)

    supervisor = await api_headers(runtime, "supervisor")
    listing = await client.get("/integrity", headers=supervisor)
    assert f'id="tender-{demo.MANAGER_CODE}" class="warn"' in listing.text
    assert f'id="tender-{demo.HONEST_CODES[0]}">' in listing.text
    market = await client.get("/integrity/market", headers=supervisor)
    assert market.status_code == 200 and demo.RING[0] in market.text
    assert f'href="/integrity/tenders/{demo.ring_code(1)}"' in market.text
    english = await client.get("/integrity/market", params={"lang": "en"}, headers=supervisor)
    assert "bid together 12 times" in english.text
    tender = await client.get(f"/integrity/tenders/{demo.MANAGER_CODE}", headers=supervisor)
    assert (
        tender.status_code == 200 and tender.text.count('class="flag warn"') == 1 and "孙立国" in tender.text
    )
    for role in ("bidder", "expert", "tenderer"):
        headers = await api_headers(runtime, role)
        assert (await client.get("/integrity/market", headers=headers)).status_code == 403
