"""Every operation's summary is a whole first paragraph of its handler's docstring, never a first line
cut mid-sentence (#17 point 4)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from core.access import route_handlers

# Words a sentence cannot end with: a summary ending in one was cut at a line break.
DANGLING = re.compile(r"(?:^|\s)(?:a|an|the|and|or|of|for|to|with|by|in|on|at|its|their|as|from|that)$", re.I)


def first_paragraph(doc: str) -> str:
    lines: list[str] = []
    for line in doc.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


async def test_summaries_are_whole_first_paragraphs(app: Litestar, client) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for path, handler in route_handlers(app):
        doc = inspect.getdoc(getattr(handler, "fn", None))
        if doc and isinstance(handler, HTTPRouteHandler) and handler.summary != first_paragraph(doc):
            problems.append(f"{path}: {handler.summary!r}")
    assert not problems, "\n".join(problems)

    schema: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    summaries = [
        (f"{method} {path}", op["summary"])
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "summary" in op
    ]
    assert len(summaries) > 200
    for where, summary in summaries:
        assert summary == summary.strip() and "\n" not in summary, where
        assert not DANGLING.search(summary) and not re.search(r"[,;:(\[（，、-]$", summary), (where, summary)
        assert summary.count("(") == summary.count(")") and summary.count("（") == summary.count("）"), where
