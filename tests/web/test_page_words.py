"""Pages speak the user's language (#15): the demo city is walked in Chinese and in English, as a
visitor and as each demo role, and every page is read the way a person reads it. No page shows a raw
code (a status enum, an event kind, a region code where a name belongs), a \\u escape, an ISO or UTC
time; with English chosen, no Chinese is left in the interface chrome (navigation, headings,
labels, buttons). Data may stay Chinese: templates mark names, titles, addresses and catalog text
with ``translate="no"`` (HTML's own "this is a name, do not translate"), and the English check skips
those elements. The raw JSON of an audit entry sits in a ``<details>``: one click away, not shown."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import text

from core.runtime import Runtime
from demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tests.support.crawl import crawl
from tests.support.factories import bearer

MAX_PAGES = int(os.environ.get("SUNBID_WORDS_MAX_PAGES", "100"))  # per visitor and language

# Codes a person must never read: the values of the status enums, shown whole in a cell or a label
# (in English the words "open" or "closed" are fine inside a sentence, never alone as the raw value).
RAW_VALUES = {
    # bidding.lifecycle.State, bidding.models.SubmissionStatus / OpeningPhase / BidOutcome
    "draft", "published", "bidding", "opening", "evaluating", "publicity", "awarded", "closed",
    "cancelled", "failed", "active", "superseded", "withdrawn", "awaiting_host", "decrypting",
    "custody", "confirming", "opened", "not_opened", "rejected",
    # bidding.notices.NoticeKind
    "tender", "amendment", "termination", "candidates", "award", "results", "failure",
    "opening_record",
    # evaluation states and phases
    "sign_in", "chair_election", "preliminary", "qualification", "scoring", "price_score", "report",
    "signed",
    # roles, organisation kinds, credit outcomes, expert statuses
    "admin", "agent", "bidder", "tenderer", "expert", "supervisor", "custodian", "hall_staff",
    "upheld", "revoked", "suspended", "retired", "available",
    # bond forms, methods and categories as stored
    "cash", "bank_guarantee", "insurance", "guarantee", "open_tender", "invited", "construction",
    "goods", "services", "lowest_price", "comprehensive",
}  # fmt: skip
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
# An event kind like tender.published or experts.draw.drawn; file names (x.json) are not codes.
DOTTED = re.compile(r"\b[a-z]+(?:_[a-z]+)*(?:\.[a-z_]+)+\b")
FILE_EXTENSIONS = {"json", "age", "css", "js", "html", "xml", "pdf", "csv", "zip", "txt", "toml", "py", "sig"}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b|\bUTC\b")
ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Text that is not read as part of the page: scripts' data, hidden raw JSON, code samples.
SKIPPED = {"title", "script", "style", "details", "pre", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes a person reads.
READ_ATTRS = {"title", "placeholder", "aria-label", "alt"}


class Reading(HTMLParser):
    """The text a person reads on a page, and separately the part of it that is chrome (not data)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, data)
        self.read: list[str] = []
        self.chrome: list[str] = []
        self.links: list[str] = []

    def _state(self) -> tuple[bool, bool]:
        return (any(s for _, s, _ in self.stack), any(d for _, _, d in self.stack))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        skipped, data = self._state()
        is_data = data or values.get("translate") == "no"
        if not skipped:
            for name, value in attrs:
                shown = name in READ_ATTRS or (name == "value" and values.get("type") in ("submit", "button"))
                if shown and value:
                    self._text(value, is_data)
        if tag not in VOID:
            self.stack.append((tag, tag in SKIPPED, is_data))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        skipped, is_data = self._state()
        if not skipped and data.strip():
            self._text(data.strip(), is_data)

    def _text(self, value: str, is_data: bool) -> None:
        self.read.append(value)
        if not is_data:
            self.chrome.append(value)


def problems_of(reading: Reading, lang: str, region_codes: set[str]) -> list[str]:
    # A whole value equal to a code is a raw code in the chrome; in data (translate="no") it is a name
    # that happens to be spelt like one, e.g. the demo's login names "admin" or "bidder".
    found: list[str] = [f"raw value {value!r}" for value in reading.chrome if value in RAW_VALUES]
    for value in reading.read:
        found += [f"raw code {m!r} in {value[:60]!r}" for m in SNAKE.findall(value)]
        found += [
            f"event kind {m!r} in {value[:60]!r}"
            for m in DOTTED.findall(value)
            if m.rsplit(".", 1)[-1] not in FILE_EXTENSIONS
        ]
        found += [f"ISO/UTC time in {value[:60]!r}" for _ in ISO_TIME.findall(value)[:1]]
        found += [f"\\u escape in {value[:60]!r}" for _ in ESCAPE.findall(value)[:1]]
        found += [
            f"region code {m!r}"
            for m in re.findall(r"(?<![\w*-])\d{6}(?![\w*-])", value)
            if m in region_codes
        ]
    if lang == "en":
        found += [f"Chinese in English chrome: {v[:60]!r}" for v in reading.chrome if CJK.search(v)]
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_page_reads_as_words_in_both_languages(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(runtime)
    async with runtime.sessions() as session:
        region_codes = {row[0] for row in await session.execute(text("SELECT code FROM regions"))}
    visitors = {"anonymous": {}} | {
        user.username: await bearer(client, user.username, DEMO_PASSWORD) for user in DEMO_USERS
    }
    problems: dict[str, set[str]] = {}
    pages = 0
    for lang in ("zh", "en"):
        for who, headers in visitors.items():

            def links_of(html: str) -> list[str]:
                reading = Reading()
                reading.feed(html)
                return reading.links

            async for path, response in crawl(
                client, headers, links_of=links_of, max_pages=MAX_PAGES, query=f"lang={lang}"
            ):
                pages += 1
                reading = Reading()
                reading.feed(response.text)  # type: ignore[attr-defined]
                for problem in problems_of(reading, lang, region_codes):
                    problems.setdefault(problem, set()).add(f"{lang} {who} {path}")
    report = [f"{p}  ({len(where)} pages, e.g. {sorted(where)[0]})" for p, where in sorted(problems.items())]
    if os.environ.get("SUNBID_WORDS_REPORT"):  # the whole list, for whoever fixes the pages
        Path(os.environ["SUNBID_WORDS_REPORT"]).write_text("\n".join(report), encoding="utf-8")  # noqa: ASYNC240
    assert not report, f"{len(report)} problems over {pages} pages:\n" + "\n".join(report)
