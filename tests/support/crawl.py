"""Walk every page a visitor reaches by following links from a few entry points (the demo's pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

ENTRY_POINTS = ["/", "/evaluations", "/experts/me", "/experts/draws", "/bidder", "/credit/admin"]
# The API, its schema and static files are not pages; the language switch and logout are not places.
NOT_PAGES = ("/api/", "/schema", "/static", "/logout", "/ws/")


async def crawl(  # type: ignore[no-untyped-def]
    client, headers: dict[str, str], *, links_of, max_pages: int = 100, query: str = ""
) -> AsyncIterator[tuple[str, object]]:
    """Yield (path, response) for every HTML page reached; ``links_of(html)`` lists a page's hrefs.
    ``query`` (e.g. ``lang=en``) is added to every request."""
    queue = list(ENTRY_POINTS)
    seen: set[str] = set()
    while queue and len(seen) < max_pages:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        url = path if not query else path + ("&" if "?" in path else "?") + query
        response = await client.get(url, headers=headers, follow_redirects=False)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        yield path, response
        for href in links_of(response.text):
            target = urlsplit(urljoin(f"http://testserver{path}", href))
            if target.netloc != "testserver" or target.path.startswith(NOT_PAGES):
                continue
            params = "&".join(p for p in target.query.split("&") if p and not p.startswith("lang="))
            queue.append(target.path + (f"?{params}" if params else ""))
