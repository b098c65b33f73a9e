"""A name can never become markup (stored XSS): the demo city with every organisation, tender, lot,
notice, document, expert, catalog item, region, credit subject and evaluation name made hostile, then
every page a visitor and each demo role reach by following links is parsed (the credit subject pages
with their charts, the statistics charts, tenders, notices, catalog items, expert and evaluation
pages). The hostile text shows up as text; no element or attribute appears from it."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import text

from core.runtime import Runtime
from demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tests.support.factories import bearer

EVIL = "\"'><svg onload=alert(1)>&"
# (table, column, length) of every stored name a page shows.
NAMES = [
    ("organisations", "name", 200), ("credit_subjects", "name", 200), ("users", "display_name", 100),
    ("regions", "name", 64), ("regions", "name_en", 64), ("catalog_items", "name", 200),
    ("catalog_departments", "name", 100), ("catalog_bundles", "name", 200), ("bidding_tenders", "title", 200),
    ("bidding_lots", "title", 200), ("bidding_notices", "title", 240), ("bidding_documents", "name", 120),
    ("experts", "name", 32), ("experts", "employer_name", 200), ("evaluations", "tender_title", 200),
    ("evaluations", "lot_name", 200), ("evaluation_members", "name", 32),
    ("credit_deductions", "reason", 1000),
]  # fmt: skip
MAX_PAGES = 100  # per visitor


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.problems += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        self.texts += [value for _, value in attrs if value]

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


async def test_hostile_names_render_as_text_on_every_page(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(runtime)
    async with runtime.transaction() as session:
        for table, column, length in NAMES:
            await session.execute(
                text(f"UPDATE {table} SET {column} = substr(:evil || {column}, 1, {length})"),
                {"evil": EVIL},
            )
    visitors = {"anonymous": {}} | {
        user.username: await bearer(client, user.username, DEMO_PASSWORD) for user in DEMO_USERS
    }
    problems: list[str] = []
    shown_on: set[str] = set()
    for who, headers in visitors.items():
        queue = ["/", "/evaluations", "/experts/me", "/experts/draws", "/bidder", "/credit/admin"]
        seen: set[str] = set()
        while queue and len(seen) < MAX_PAGES:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = await client.get(path, headers=headers, follow_redirects=False)
            assert response.status_code < 500, f"{who} {path}: {response.status_code}"
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            page = Page()
            page.feed(response.text)
            problems += [f"{who} {path}: {p}" for p in page.problems]
            if any(EVIL in t for t in page.texts):
                shown_on.add(urlsplit(path).path)
            for href in page.links:
                target = urlsplit(urljoin(f"http://testserver{path}", href))
                internal = target.path.startswith(("/api/", "/schema", "/static"))
                if target.netloc == "testserver" and not internal:
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert not problems, "\n".join(problems)
    kinds = {p.split("/")[1] + ("/" + p.split("/")[2] if p.count("/") > 1 else "") for p in shown_on}
    for expected in ["tenders/", "notices/", "credit/subjects", "catalog/items", "statistics", "awards"]:
        assert any(k.startswith(expected.rstrip("/")) for k in kinds), (expected, sorted(shown_on))
