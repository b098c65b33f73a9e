"""The public tender list finds what a visitor types, pages through many tenders with a labelled count,
and the home page leads with the tenders open for bidding and the latest notices."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender


def codes(page: str) -> list[str]:
    table = page.split('id="tender-table"')[1].split("</table>")[0]
    return re.findall(r'<td class="code">([^<]+)</td>', table)


async def test_keyword_search_pages_and_count(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    for n in range(23):
        title = "永吉县乡村公路养护工程" if n % 2 else "吉林市第一中学教学设备采购"
        await published_tender(runtime, client, world, f"T-{n:03}", title=f"{title}{n}")
    first = (await client.get("/tenders")).text
    assert "共 23 个项目" in first and len(codes(first)) == 20
    assert "第 1 / 2 页" in first and 'rel="next"' in first and 'rel="prev"' not in first
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert nxt is not None
    second = (await client.get(nxt.group(1).replace("&amp;", "&"))).text
    assert len(codes(second)) == 3 and "第 2 / 2 页" in second and not set(codes(first)) & set(codes(second))
    # a keyword matches titles (or codes); the count says how many, the pages keep the keyword
    found = (await client.get("/tenders", params={"q": "公路"})).text
    assert "共 11 个项目" in found and "关键词“公路”" in found and len(codes(found)) == 11
    assert 'value="公路"' in found and "第 1 / 2 页" not in found
    assert codes((await client.get("/tenders", params={"q": "T-007"})).text) == ["T-007"]
    assert "共 0 个项目" in (await client.get("/tenders", params={"q": "没有这个项目"})).text
    english = (await client.get("/tenders", params={"q": "公路", "lang": "en"})).text
    assert "11 tenders" in english


async def test_home_shows_open_tenders_and_latest_notices(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world, "T-SOON", title="截止较早的项目")
    late = (runtime.clock.now() + timedelta(days=30)).isoformat()
    await published_tender(runtime, client, world, "T-LATE", title="截止较晚的项目", bid_deadline=late)
    home = (await client.get("/")).text
    open_part = home.split('id="open-tenders"')[1].split("</section>")[0]
    assert open_part.index("截止较早的项目") < open_part.index("截止较晚的项目")  # closest deadline first
    notices = home.split('id="latest-notices"')[1].split("</section>")[0]
    assert "招标公告" in notices and 'href="/notices/' in notices
    clock.advance(days=22)  # the first deadline has passed: no longer open for bidding
    later = (await client.get("/")).text.split('id="open-tenders"')[1].split("</section>")[0]
    assert "截止较早的项目" not in later and "截止较晚的项目" in later
