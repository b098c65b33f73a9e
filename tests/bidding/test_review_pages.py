"""The pages of notice review and re-tendering: the supervisor's worklist with its forms, the review
state and reasons on the agent's tender page, and the attempts on both tenders' pages."""

from __future__ import annotations

import re
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.helpers import make_world, tender_body
from tests.bidding.test_retender import AGAIN, CODE, _failed, retender_body
from tests.web.test_admin import HTML, page_login


def csrf(html: str) -> str:
    return str(re.findall(r'name="_csrf" value="([^"]+)"', html)[0])


async def test_supervisor_sets_a_rule_returns_then_approves_and_the_agent_sees_why(
    runtime: Runtime, client: Any
) -> None:
    world = await make_world(runtime, client, bidders=0)
    await page_login(client, "super1")
    empty = await client.get("/notice-reviews", headers=HTML)
    assert empty.status_code == 200 and 'id="no-pending"' in empty.text and 'id="no-rules"' in empty.text
    set_ = await client.post(
        "/notice-reviews/rules",
        data={
            "region_code": "220281",
            "category": "",
            "required": "1",
            "legal_basis": "地方监管规定",
            "_csrf": csrf(empty.text),
        },
        follow_redirects=True,
        headers=HTML,
    )
    assert set_.status_code == 200 and 'id="review-done"' in set_.text and "地方监管规定" in set_.text
    assert "220281" not in set_.text.split('id="review-rules"')[1].split("</table>")[0]  # a name, not a code
    await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)
    listed = await client.get("/notice-reviews", headers=HTML)
    assert f'id="pending-{CODE}"' in listed.text
    returned = await client.post(
        f"/notice-reviews/{CODE}/return",
        data={"reason": "投标保证金超过限额", "_csrf": csrf(listed.text)},
        follow_redirects=True,
        headers=HTML,
    )
    assert returned.status_code == 200 and 'id="no-pending"' in returned.text
    await page_login(client, "agent1")
    mine = await client.get(f"/tenders/{CODE}", headers=HTML)
    assert 'id="review-state">已退回' in mine.text and "投标保证金超过限额" in mine.text
    assert 'id="publish-form"' not in mine.text  # nothing to publish until approved
    resubmitted = await client.post(
        f"/tenders/{CODE}/review", data={"_csrf": csrf(mine.text)}, follow_redirects=True, headers=HTML
    )
    assert 'id="review-state">审核中' in resubmitted.text
    await page_login(client, "super1")
    listed = await client.get("/notice-reviews", headers=HTML)
    approved = await client.post(
        f"/notice-reviews/{CODE}/approve",
        data={"_csrf": csrf(listed.text)},
        follow_redirects=True,
        headers=HTML,
    )
    assert 'id="review-done"' in approved.text
    await page_login(client, "agent1")
    ready = await client.get(f"/tenders/{CODE}", headers=HTML)
    assert 'id="review-state">审核通过' in ready.text and 'id="publish-form"' in ready.text
    english = await client.get(f"/tenders/{CODE}?lang=en", headers=HTML)
    assert 'id="review-state">Approved' in english.text and "Returned" in english.text


async def test_both_pages_show_the_attempts_and_the_failed_page_offers_the_retender(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world, _old = await _failed(runtime, client, clock)
    public = await client.get(f"/tenders/{CODE}", headers=HTML)
    assert 'id="retender-may"' in public.text and "第四十四条" in public.text
    assert 'id="retender-form"' not in public.text  # only for the owners
    await page_login(client, "agent1")
    owner = await client.get(f"/tenders/{CODE}", headers=HTML)
    assert 'id="retender-form"' in owner.text
    body = retender_body(runtime)
    form = {k: body[k] for k in ("code", "opening_recipient")}
    for key in ("registration_start", "registration_end", "clarification_deadline", "bid_deadline"):
        form[key] = _local_input(body[key])
    made = await client.post(
        f"/tenders/{CODE}/retender",
        data={**form, "_csrf": csrf(owner.text)},
        follow_redirects=False,
        headers=HTML,
    )
    assert made.status_code == 303 and made.headers["location"] == f"/tenders/{AGAIN}"
    await client.post(f"/api/tenders/{AGAIN}/publish", headers=world.agent)
    newer = await client.get(f"/tenders/{AGAIN}")
    assert 'id="retender-previous"' in newer.text and f"/tenders/{CODE}" in newer.text
    older = await client.get(f"/tenders/{CODE}")
    assert 'id="retender-next"' in older.text and f"/tenders/{AGAIN}" in older.text


def _local_input(iso: str) -> str:
    """The ISO time as a datetime-local field in Beijing time (what the browser sends)."""
    from datetime import datetime

    from core.clock import SHANGHAI

    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
