"""Links only to pages the viewer may open: in the demo city, anonymous and each demo role follow
every link from the home page (breadth first, bounded), and no link they are shown answers 401 or
403. The navigation is computed from the routes' declared roles (core.access.may_open)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from core.runtime import Runtime
from demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tests.support.factories import bearer

MAX_PAGES = 120  # per visitor


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


async def test_no_link_a_viewer_is_shown_answers_401_or_403(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(runtime)
    visitors = {"anonymous": {}} | {
        user.username: await bearer(client, user.username, DEMO_PASSWORD) for user in DEMO_USERS
    }
    forbidden: list[str] = []
    for who, headers in visitors.items():
        queue: list[tuple[str, str]] = [("/", "(start)")]
        seen: set[str] = set()
        pages = 0
        while queue and pages < MAX_PAGES:
            path, found_on = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = await client.get(path, headers=headers, follow_redirects=False)
            if response.status_code in (401, 403):
                forbidden.append(f"{who}: {path} ({response.status_code}), linked from {found_on}")
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            pages += 1
            parser = Links()
            parser.feed(response.text)
            for href in parser.links:
                target = urlsplit(urljoin(f"http://testserver{path}", href))
                if target.netloc != "testserver" or target.path.startswith(("/static", "/schema")):
                    continue
                query = "&".join(p for p in target.query.split("&") if p and not p.startswith("lang="))
                queue.append((target.path + (f"?{query}" if query else ""), path))
    assert not forbidden, "\n".join(forbidden)
