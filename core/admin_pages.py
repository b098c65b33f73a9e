"""The admin's pages on users and organisations (the dashboard at /admin lives in web/admin.py).

Plain HTML forms that post back here (with the CSRF field) and redirect to the page they came from
with a ``done`` word to show; a refused action re-renders the page with the message and what was
typed. A generated password is shown once, on the page answering the post, and never again.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from core import admin, organisations
from core.access import Caller, allow
from core.admin_api import AdminNewUser, create_user_as_admin
from core.clock import format_local
from core.errors import DomainError, InvalidInput
from core.i18n import language_of, register_messages
from core.models import Organisation, User
from core.organisations import ORG_KIND_ZH, NewOrganisation, OrgKind
from core.paging import paging_of
from core.regions import list_regions
from core.rendering import page
from core.roles import ROLE_NAMES_ZH, Role, parse_roles
from core.runtime import Db, Rt
from core.types import AnyRequest, Form
from core.views import NewUserOut

ADMIN = allow(Role.ADMIN)
PAGE_SIZE = 20

ROLE_NAMES_EN = {
    Role.ADMIN: "Administrator",
    Role.SUPERVISOR: "Supervisor / centre",
    Role.AGENT: "Tendering agent",
    Role.TENDERER: "Tenderer",
    Role.BIDDER: "Bidder",
    Role.EXPERT: "Evaluation expert",
    Role.CUSTODIAN: "Opening-key custodian",
    Role.HALL_STAFF: "Service-hall staff",
    Role.GUARANTOR: "Guarantor",
}
ORG_KIND_EN = {
    OrgKind.BIDDER: "Bidder",
    OrgKind.AGENT: "Tendering agent",
    OrgKind.TENDERER: "Tenderer",
    OrgKind.GUARANTOR: "Guarantor (bank / guarantee company / insurer)",
}

register_messages(
    {
        "admin.nav": ("系统管理", "Administration"),
        "admin.dashboard": ("管理工作台", "Admin dashboard"),
        "admin.users": ("用户", "Users"),
        "admin.user": ("用户", "User"),
        "admin.organisations": ("单位", "Organisations"),
        "admin.organisation": ("单位", "Organisation"),
        "admin.search": ("搜索", "Search"),
        "admin.search.users": ("用户名或姓名", "Username or name"),
        "admin.search.orgs": ("单位名称或信用代码", "Name or credit code"),
        "admin.any": ("全部", "All"),
        "admin.username": ("用户名", "Username"),
        "admin.display_name": ("姓名", "Name"),
        "admin.roles": ("角色", "Roles"),
        "admin.organisation.none": ("未关联单位", "No organisation"),
        "admin.state": ("状态", "State"),
        "admin.active": ("正常", "Active"),
        "admin.disabled": ("已停用", "Disabled"),
        "admin.created": ("创建时间（北京时间）", "Created (Beijing time)"),
        "admin.none": ("暂无", "None"),
        "admin.prev": ("上一页", "Previous"),
        "admin.next": ("下一页", "Next"),
        "admin.page": ("第 {start}–{end} 条，共 {total} 条", "{start}–{end} of {total}"),
        "admin.user.new": ("新建用户", "New user"),
        "admin.password": ("密码", "Password"),
        "admin.password.optional": (
            "初始密码（留空则自动生成，仅显示一次）",
            "Initial password (leave empty to generate one, shown once)",
        ),
        "admin.org.credit_code_of_user": (
            "所属单位统一社会信用代码（可空）",
            "Organisation's credit code (optional)",
        ),
        "admin.create": ("创建", "Create"),
        "admin.save": ("保存", "Save"),
        "admin.user.roles.save": ("保存角色", "Save roles"),
        "admin.user.disable": ("停用账号", "Disable account"),
        "admin.user.enable": ("启用账号", "Enable account"),
        "admin.user.reset": ("重置密码", "Reset password"),
        "admin.user.reset.help": (
            "填写临时密码，或留空自动生成；该用户的所有登录会话和API令牌将立即失效。",
            "Type a temporary password or leave empty to generate one; all the user's sessions and API "
            "tokens end at once.",
        ),
        "admin.user.revoke": ("注销全部会话和令牌", "Revoke all sessions and tokens"),
        "admin.user.unlock": ("解除登录限制", "Clear failed logins"),
        "admin.user.live_tokens": ("有效会话/令牌", "Live sessions and tokens"),
        "admin.user.new_password": (
            "新密码（仅此一次显示，请转交用户并提醒其尽快修改）：",
            "New password (shown only this once; hand it to the user):",
        ),
        "admin.done.created": ("用户已创建", "User created"),
        "admin.done.roles": ("角色已更新", "Roles saved"),
        "admin.done.disabled": (
            "账号已停用，会话和令牌已失效",
            "Account disabled; sessions and tokens ended",
        ),
        "admin.done.enabled": ("账号已启用", "Account enabled"),
        "admin.done.revoked": ("已注销 {count} 个会话/令牌", "{count} sessions and tokens revoked"),
        "admin.done.unlocked": ("已清除失败登录记录", "Failed logins cleared"),
        "admin.done.org_created": ("单位已登记", "Organisation registered"),
        "admin.done.staff_added": ("已加入单位", "Added to the staff"),
        "admin.done.staff_removed": ("已移出单位", "Removed from the staff"),
        "admin.org.new": ("登记单位", "Register an organisation"),
        "admin.org.credit_code": ("统一社会信用代码", "Unified social credit code"),
        "admin.org.name": ("单位名称", "Name"),
        "admin.org.kind": ("类型", "Kind"),
        "admin.org.legal_rep": ("法定代表人", "Legal representative"),
        "admin.org.region": ("所在地区", "Region"),
        "admin.org.signing_key": ("签名公钥", "Signing key"),
        "admin.org.signing_key.yes": ("已登记", "Registered"),
        "admin.org.signing_key.no": ("未登记", "Not registered"),
        "admin.org.staff": ("单位人员", "Staff"),
        "admin.org.staff.add": ("按用户名加入人员", "Add a user by username"),
        "admin.org.staff.remove": ("移出", "Remove"),
        "admin.applications": ("专家注册申请", "Expert applications"),
        "admin.todo.applications": ("待审核的专家注册申请", "Expert applications to review"),
        "admin.todo.lockouts": ("因多次登录失败被限制的账号", "Accounts held back by failed logins"),
        "admin.todo.lockouts.help": (
            "过去一天内多次输错密码的用户名；如确认是本人，可在用户页面解除登录限制或重置密码。",
            "Usernames with repeated wrong passwords in the last day; if it is the user, clear their "
            "failed logins or reset the password on their page.",
        ),
        "admin.todo.failures": ("失败次数", "Failures"),
        "admin.todo.last_failure": ("最近一次（北京时间）", "Last (Beijing time)"),
        "admin.todo.no_such_user": ("（无此用户）", "(no such user)"),
        "admin.todo.custody": (
            "{days}天内截标但密钥分片未指定保管人的项目",
            "Tenders closing within {days} days with custody shares not assigned to custodians",
        ),
        "admin.todo.custody.help": (
            "为每个分片指定一名保管人账号；开标时只有被指定的账号可以提交其分片。投标截止后不能再变更。",
            "Assign a custodian account to each share; at the opening only the assigned account may "
            "reveal its share. Assignments cannot change after the bid deadline.",
        ),
        "admin.todo.tender": ("项目", "Tender"),
        "admin.todo.deadline": ("投标截止（北京时间）", "Bid deadline (Beijing time)"),
        "admin.todo.disabled": ("已停用的账号", "Disabled accounts"),
    }
)


DONE = frozenset(
    {
        "created",
        "roles",
        "disabled",
        "enabled",
        "revoked",
        "unlocked",
        "org_created",
        "staff_added",
        "staff_removed",
    }
)


def done_word(done: str | None) -> str | None:
    """Only the known outcomes are shown (the query string is the user's to edit)."""
    return done if done in DONE else None


def role_word(role: str, lang: str) -> str:
    if role not in Role._value2member_map_:
        return role
    return ROLE_NAMES_ZH[Role(role)] if lang == "zh" else ROLE_NAMES_EN[Role(role)]


def kind_word(kind: str, lang: str) -> str:
    if kind not in OrgKind._value2member_map_:
        return kind
    return ORG_KIND_ZH[OrgKind(kind)] if lang == "zh" else ORG_KIND_EN[OrgKind(kind)]


def role_choices(lang: str) -> list[tuple[str, str]]:
    return [(r.value, role_word(r.value, lang)) for r in Role]


async def _org_names(db: Db, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await db.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return {int(i): str(n) for i, n in rows.all()}


def user_row(user: User, lang: str, orgs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": [role_word(r, lang) for r in sorted(user.role_names)],
        "role_values": sorted(user.role_names),
        "organisation_id": user.organisation_id,
        "organisation": orgs.get(user.organisation_id) if user.organisation_id else None,
        "active": user.is_active,
        "created": format_local(user.created_at),
    }


def _flag(raw: str | None) -> bool | None:
    return {"1": True, "0": False}.get(raw or "")


async def _users_page(
    request: AnyRequest,
    db: Db,
    *,
    q: str | None,
    role: str | None,
    active: str | None,
    offset: int,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    done: str | None = None,
    created: NewUserOut | None = None,
) -> Template:
    lang = language_of(request)
    paging = paging_of(PAGE_SIZE, max(offset, 0))
    role = role if role in Role._value2member_map_ else None
    found = await admin.list_users(
        db,
        admin.UserFilter(query=q, role=role, active=_flag(active)),
        limit=paging.limit,
        offset=paging.offset,
    )
    orgs = await _org_names(db, {u.organisation_id for u in found.rows if u.organisation_id})
    return page(
        request,
        "core/admin/users.html",
        status_code=status_code,
        users=[user_row(u, lang, orgs) for u in found.rows],
        found=found,
        q=q or "",
        role=role or "",
        active=active or "",
        roles=role_choices(lang),
        error=error,
        form=form or {"roles": []},
        done=done_word(done),
        created=created,
    )


def roles_of(values: list[str]) -> list[Role]:
    """The roles a form names, or a 422 naming the unknown ones (the API's body is typed instead)."""
    try:
        return sorted(parse_roles(values))
    except ValueError as exc:
        raise InvalidInput(str(exc), code="bad_roles") from exc


@get("/admin/users", opt=ADMIN, include_in_schema=False)
async def users_page(
    request: AnyRequest,
    db: Db,
    q: FromQuery[str | None] = None,
    role: FromQuery[str | None] = None,
    active: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
    done: FromQuery[str | None] = None,
) -> Template:
    return await _users_page(request, db, q=q, role=role, active=active, offset=offset, done=done)


@post("/admin/users", opt=ADMIN, include_in_schema=False, status_code=200)
async def create_user_submit(request: AnyRequest, runtime: Rt, principal: Caller, db: Db) -> Template:
    form = await request.form()
    roles = [str(r) for r in form.getall("roles")] if "roles" in form else []
    typed: dict[str, str] = {k: str(form.get(k, "")) for k in ("username", "display_name", "credit_code")}
    try:
        org_id = None
        if typed["credit_code"].strip():
            code = organisations.checked_credit_code(typed["credit_code"], "credit_code")
            org = await organisations.find_by_credit_code(db, code)
            if org is None:
                raise InvalidInput(
                    f"credit_code: 单位 {code} 未登记 (no such organisation)", code="unknown_org"
                )
            org_id = org.id
        made = await create_user_as_admin(
            runtime,
            db,
            principal,
            AdminNewUser(
                username=typed["username"],
                display_name=typed["display_name"],
                roles=roles_of(roles),
                password=str(form.get("password", "")),
                organisation_id=org_id,
            ),
        )
    except DomainError as exc:
        return await _users_page(
            request, db, q=None, role=None, active=None, offset=0,
            status_code=exc.status_code, error=exc.detail, form={**typed, "roles": roles},
        )  # fmt: skip
    return await _users_page(
        request, db, q=None, role=None, active=None, offset=0, done="created", created=made
    )


async def _user_page(
    request: AnyRequest,
    runtime: Rt,
    db: Db,
    user_id: int,
    *,
    done: str | None = None,
    count: int | None = None,
    password: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    lang = language_of(request)
    user = await admin.get_user(db, user_id)
    orgs = await _org_names(db, {user.organisation_id} if user.organisation_id else set())
    tokens = await admin.live_tokens(db, runtime.clock, user_id)
    return page(
        request,
        "core/admin/user.html",
        status_code=status_code,
        u=user_row(user, lang, orgs),
        roles=role_choices(lang),
        live_tokens=len(tokens),
        done=done_word(done),
        count=count,
        password=password,
        error=error,
    )


@get("/admin/users/{user_id:int}", opt=ADMIN, include_in_schema=False)
async def user_page(
    request: AnyRequest,
    runtime: Rt,
    db: Db,
    user_id: FromPath[int],
    done: FromQuery[str | None] = None,
    count: FromQuery[int | None] = None,
) -> Template:
    return await _user_page(request, runtime, db, user_id, done=done, count=count)


USER_ACTIONS = ("roles", "disable", "enable", "password", "revoke", "unlock")


@post("/admin/users/{user_id:int}/{action:str}", opt=ADMIN, include_in_schema=False, status_code=303)
async def user_action(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, user_id: FromPath[int], action: FromPath[str]
) -> Redirect | Template:
    """One form per action on the user page; each is audit-logged by core.admin."""
    form = await request.form()
    actor = principal.actor
    count: int | None = None
    try:
        if action == "roles":
            values = [str(r) for r in form.getall("roles")] if "roles" in form else []
            await admin.set_roles(db, runtime.audit, user_id, frozenset(roles_of(values)), actor=actor)
        elif action in ("disable", "enable"):
            await admin.set_active(db, runtime.clock, runtime.audit, user_id, action == "enable", actor=actor)
            action = "disabled" if action == "disable" else "enabled"
        elif action == "password":
            typed = str(form.get("password", "")).strip() or None
            password = await admin.reset_password(
                db, runtime.clock, runtime.audit, user_id, typed, actor=actor
            )
            return await _user_page(request, runtime, db, user_id, password=password)
        elif action == "revoke":
            count = await admin.revoke_sessions(db, runtime.clock, runtime.audit, user_id, actor=actor)
            action = "revoked"
        elif action == "unlock":
            await admin.unlock_login(db, runtime.audit, user_id, actor=actor)
            action = "unlocked"
        else:
            raise InvalidInput(f"unknown action {action!r}", code="unknown_action")
    except DomainError as exc:
        return await _user_page(request, runtime, db, user_id, error=exc.detail, status_code=exc.status_code)
    suffix = f"&count={count}" if count is not None else ""
    return Redirect(f"/admin/users/{user_id}?done={action}{suffix}", status_code=303)


async def _orgs_page(
    request: AnyRequest,
    db: Db,
    *,
    q: str | None,
    kind: str | None,
    offset: int,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    lang = language_of(request)
    kind = kind if kind in OrgKind._value2member_map_ else None
    paging = paging_of(PAGE_SIZE, max(offset, 0))
    found = await admin.list_organisations(db, query=q, kind=kind, limit=paging.limit, offset=paging.offset)
    regions = await list_regions(db)
    names = {r.code: (r.name if lang == "zh" else (r.name_en or r.name)) for r in regions}
    return page(
        request,
        "core/admin/organisations.html",
        status_code=status_code,
        orgs=[
            {
                "id": o.id,
                "name": o.name,
                "credit_code": o.credit_code,
                "kind": kind_word(o.kind, lang),
                "region": names.get(o.region_code, o.region_code),
                "signing_key": bool(o.signing_key),
            }
            for o in found.rows
        ],
        found=found,
        q=q or "",
        kind=kind or "",
        kinds=[(k.value, kind_word(k.value, lang)) for k in OrgKind],
        regions=[(r.code, names[r.code]) for r in regions],
        error=error,
        form=form or {},
    )


@get("/admin/organisations", opt=ADMIN, include_in_schema=False)
async def organisations_page(
    request: AnyRequest,
    db: Db,
    q: FromQuery[str | None] = None,
    kind: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    return await _orgs_page(request, db, q=q, kind=kind, offset=offset)


@post("/admin/organisations", opt=ADMIN, include_in_schema=False, status_code=303)
async def create_organisation_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, data: Form
) -> Redirect | Template:
    fields = ("credit_code", "name", "kind", "legal_representative", "region_code")
    typed = {k: data.get(k, "") for k in fields}
    try:
        org = await organisations.register_organisation(
            db,
            runtime.clock,
            runtime.audit,
            NewOrganisation(
                credit_code=typed["credit_code"],
                name=typed["name"],
                kind=organisations.org_kind(typed["kind"]),
                legal_representative=typed["legal_representative"],
                region_code=typed["region_code"],
            ),
            actor=principal.actor,
        )
    except DomainError as exc:
        return await _orgs_page(
            request,
            db,
            q=None,
            kind=None,
            offset=0,
            error=exc.detail,
            form=typed,
            status_code=exc.status_code,
        )
    return Redirect(f"/admin/organisations/{org.id}?done=org_created", status_code=303)


async def _org_page(
    request: AnyRequest,
    db: Db,
    org_id: int,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    lang = language_of(request)
    org = await organisations.get_organisation(db, org_id)
    staff = await admin.staff_of(db, org_id)
    regions = {r.code: (r.name if lang == "zh" else (r.name_en or r.name)) for r in await list_regions(db)}
    return page(
        request,
        "core/admin/organisation.html",
        status_code=status_code,
        org={
            "id": org.id,
            "name": org.name,
            "credit_code": org.credit_code,
            "kind": kind_word(org.kind, lang),
            "legal_representative": org.legal_representative,
            "region": regions.get(org.region_code, org.region_code),
            "signing_key": bool(org.signing_key),
            "created": format_local(org.created_at),
        },
        staff=[user_row(u, lang, {}) for u in staff],
        done=done_word(done),
        error=error,
    )


@get("/admin/organisations/{org_id:int}", opt=ADMIN, include_in_schema=False)
async def organisation_page(
    request: AnyRequest, db: Db, org_id: FromPath[int], done: FromQuery[str | None] = None
) -> Template:
    return await _org_page(request, db, org_id, done=done)


@post("/admin/organisations/{org_id:int}/staff", opt=ADMIN, include_in_schema=False, status_code=303)
async def add_staff_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, org_id: FromPath[int], data: Form
) -> Redirect | Template:
    try:
        user = await admin.user_by_username(db, data.get("username", ""))
        await admin.add_staff(db, runtime.audit, org_id, user.id, actor=principal.actor)
    except DomainError as exc:
        return await _org_page(request, db, org_id, error=exc.detail, status_code=exc.status_code)
    return Redirect(f"/admin/organisations/{org_id}?done=staff_added", status_code=303)


@post(
    "/admin/organisations/{org_id:int}/staff/{user_id:int}/remove",
    opt=ADMIN,
    include_in_schema=False,
    status_code=303,
)
async def remove_staff_submit(
    request: AnyRequest, runtime: Rt, principal: Caller, db: Db, org_id: FromPath[int], user_id: FromPath[int]
) -> Redirect | Template:
    try:
        await admin.remove_staff(db, runtime.audit, org_id, user_id, actor=principal.actor)
    except DomainError as exc:
        return await _org_page(request, db, org_id, error=exc.detail, status_code=exc.status_code)
    return Redirect(f"/admin/organisations/{org_id}?done=staff_removed", status_code=303)


PAGES = [
    users_page,
    create_user_submit,
    user_page,
    user_action,
    organisations_page,
    create_organisation_submit,
    organisation_page,
    add_staff_submit,
    remove_staff_submit,
]
