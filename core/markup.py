"""Markup rendered outside a page (SVG charts served on their own and embedded in pages), from the
contexts' Jinja templates with autoescape always on: every text and attribute value is escaped,
quotes included, so a name can never become markup."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from core.contexts import folders

_ENVIRONMENT = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(d)) for d in folders("templates")]),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template_name: str, **context: Any) -> Markup:
    # The template escaped every value it wrote (autoescape above), so the result is safe to embed.
    return Markup(_ENVIRONMENT.get_template(template_name).render(**context))  # noqa: S704
