"""One way to render a page: the template plus language, translator and current user."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from core.access import current_principal, may_open
from core.i18n import language_of, register_messages, translator
from core.roles import Role, role_name
from core.types import AnyRequest

register_messages({f"role.{r.value}": (role_name(r, "zh"), role_name(r, "en")) for r in Role})


def _training_site(request: AnyRequest) -> bool:
    runtime = getattr(request.app.state, "runtime", None)
    return bool(runtime is not None and runtime.settings.training)


def page(request: AnyRequest, template_name: str, *, status_code: int = 200, **context: Any) -> Template:
    lang = language_of(request)
    user = current_principal(request)
    roles = sorted(user.roles) if user else []
    context.update(
        lang=lang,
        t=translator(lang),
        user=user,
        may_open=lambda path: may_open(request, path),
        role_names=[role_name(r, lang) for r in roles],
        # SUNBID_TRAINING=true: every page says it is a training instance (培训环境)
        training_site=_training_site(request),
    )
    response = Template(template_name=template_name, context=context, status_code=status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
