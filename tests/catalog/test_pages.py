"""The catalog's HTML pages: Chinese by default, English on request, forms that send empty selects."""

from __future__ import annotations

import re
from typing import Any

from tests.catalog.conftest import Hall, item_body

HTML = {"accept": "text/html"}


async def test_pages_render_in_chinese_and_english(client: Any, hall: Hall) -> None:
    created = await client.post("/api/catalog/items", json=item_body(), headers=hall.headers["supervisor"])
    item_id = created.json()["id"]
    # A submitted form sends every select, empty ones as "": they mean "all".
    search = await client.get("/catalog?q=食品&department_id=&kind=&level=&object=", headers=HTML)
    assert (
        search.status_code == 200 and "食品经营许可（新办）" in search.text and "共 1 个事项" in search.text
    )
    english = await client.get("/catalog?lang=en", headers=HTML)
    assert "Service-hall catalog" in english.text and "1 items" in english.text
    item = await client.get(f"/catalog/items/{item_id}?lang=zh", headers=HTML)
    assert "经营场所使用证明" in item.text and "可容缺后补" in item.text
    assert (await client.get("/catalog/items/9999", headers=HTML)).status_code == 404
    stats = await client.get("/catalog/stats", headers=HTML)
    assert stats.status_code == 200 and "承诺时限压缩率" in stats.text
    board = await client.get("/catalog/board", headers=HTML, follow_redirects=False)
    assert board.status_code == 303 and board.headers["location"].startswith("/login")
    staff_board = await client.get("/catalog/board", headers={**HTML, **hall.headers["staff_market"]})
    assert staff_board.status_code == 200 and "督办看板" in staff_board.text


async def test_rating_through_the_sms_link_page(client: Any, hall: Hall) -> None:
    market = hall.headers["staff_market"]
    item_id = (await client.post("/api/catalog/items", json=item_body(), headers=market)).json()["id"]
    number = (
        await client.post(
            "/api/catalog/cases", json={"item_id": item_id, "applicant": "李四"}, headers=market
        )
    ).json()["number"]
    await client.post(f"/api/catalog/cases/{number}/state", json={"state": "processing"}, headers=market)
    done = (
        await client.post(f"/api/catalog/cases/{number}/state", json={"state": "done"}, headers=market)
    ).json()
    link = await client.get(done["rating_link"], headers=HTML)
    assert link.status_code == 200 and done["rating_token"] in link.text
    # The page's form carries its CSRF token (core/csrf.py), as the browser would send it.
    csrf = re.search(r'name="_csrf" value="([^"]+)"', link.text)
    assert csrf is not None
    form = {"token": done["rating_token"], "rating": "bad", "reason": "", "_csrf": csrf.group(1)}
    refused = await client.post(f"/catalog/rate/{number}", data=form, headers=HTML)
    assert refused.status_code == 422 and "差评须说明理由" in refused.text
    accepted = await client.post(
        f"/catalog/rate/{number}", data={**form, "reason": "等候时间长"}, headers=HTML
    )
    assert accepted.status_code == 200 and "感谢您的评价" in accepted.text
