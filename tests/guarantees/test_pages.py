"""A guarantor and a supervisor reach their pages from the navigation; a guarantor lists its own
guarantees (zh and en), nobody else's; other roles are refused."""

from __future__ import annotations

from typing import Any

from core.roles import Role
from core.runtime import Runtime
from tests.guarantees.world import issue, make_gworld, signed
from tests.support.factories import bearer, make_user


async def test_a_guarantor_lists_its_own_guarantees_from_the_nav(runtime: Runtime, client: Any) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1 = gw.world.bidders[0], gw.world.bidders[1]
    mine = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    theirs = (await issue(client, gw.bank, signed(gw, gw.bank, b1.code))).json()["number"]

    home = await client.get("/", headers=gw.insurer.headers)
    assert 'href="/guarantees/mine"' in home.text and 'href="/guarantees/verify"' in home.text
    assert 'href="/guarantees/refunds"' not in home.text

    page = await client.get("/guarantees/mine", headers=gw.insurer.headers)
    assert page.status_code == 200
    assert "本机构保函" in page.text and mine in page.text and theirs not in page.text
    assert (
        "200,000.00 元" in page.text
        and "保证保险" in page.text
        and "有效" in page.text
        and "投标" in page.text
    )
    assert "guarantee_insurance" not in page.text  # no raw codes shown
    en = await client.get("/guarantees/mine?lang=en", headers=gw.insurer.headers)
    assert "Our guarantees" in en.text and "200,000.00 yuan" in en.text and "Guarantee insurance" in en.text
    assert "The bid" in en.text
    assert "<script>" not in page.text and " onclick=" not in page.text

    empty = await client.get("/guarantees/mine", headers=gw.bank.headers)
    assert theirs in empty.text and mine not in empty.text


async def test_the_supervisor_reaches_refunds_and_others_are_refused(runtime: Runtime, client: Any) -> None:
    gw = await make_gworld(runtime, client)
    home = await client.get("/", headers=gw.world.supervisor)
    assert 'href="/guarantees/refunds"' in home.text and 'href="/guarantees/mine"' not in home.text
    assert (await client.get("/guarantees/refunds", headers=gw.world.supervisor)).status_code == 200
    public = await client.get("/")
    assert 'href="/guarantees/verify"' in public.text and 'href="/guarantees/refunds"' not in public.text
    assert (await client.get("/guarantees/mine")).status_code == 401
    await make_user(runtime, "pages-bidder", Role.BIDDER)
    other = await bearer(client, "pages-bidder")
    assert (await client.get("/guarantees/mine", headers=other)).status_code == 403
    assert (await client.get("/guarantees/mine", headers=gw.world.supervisor)).status_code == 403
