"""The report as a standalone Chinese HTML document (template ``evaluation/report.html``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from evaluation.report.facts import METHOD_NAMES, report_digest
from evaluation.report.view import REVIEW_NAMES, View, signature_rows, yuan

TEMPLATES = Path(__file__).parent.parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(facts: Mapping[str, Any], *, signatures: Sequence[Mapping[str, Any]] = ()) -> str:
    """The report as a standalone Chinese HTML document (``signatures``: see :func:`signature_page`)."""
    view = View(facts, report_digest(facts))
    template = _environment().get_template("evaluation/report.html")
    return template.render(
        facts=facts,
        v=view,
        digest=view.digest,
        yuan=yuan,
        review_names=REVIEW_NAMES,
        method_names=METHOD_NAMES,
        signatures=signature_rows(view, signatures),
    )
