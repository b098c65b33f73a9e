"""The admin's pages on users and organisations: forms post with their CSRF field, a refusal keeps what
was typed and says what is wrong, every action lands in the audit log, and English translates it all."""

from __future__ import annotations

import re
from typing import Any

from core.credit_code import make_credit_code
from core.roles import Role
from core.runtime import Runtime
from tests.support.factories import PASSWORD, make_user, seed_regions
from tests.web.test_admin import HTML, page_login


def token(html: str) -> str:
    return re.findall(r'name="_csrf" value="([^"]+)"', html)[0]


async def post_form(client: Any, path: str, data: dict[str, Any], page_html: str) -> Any:
    return await client.post(path, data={**data, "_csrf": token(page_html)}, follow_redirects=False)


async def test_organisation_pages_register_and_manage_staff(runtime: Runtime, client: Any) -> None:
    await seed_regions(runtime)
    await make_user(runtime, "root", Role.ADMIN)
    staffer = await make_user(runtime, "staffer", Role.AGENT)
    await page_login(client, "root")
    listing = await client.get("/admin/organisations", headers=HTML)
    assert listing.status_code == 200
    code = make_credit_code("9", "1", "220202", "66600001X")
    typed = {"credit_code": code[:-1] + ("0" if code[-1] != "0" else "1"), "name": "吉林页面测试代理公司",
             "kind": "agent", "legal_representative": "赵六", "region_code": "220202"}  # fmt: skip
    refused = await post_form(client, "/admin/organisations", typed, listing.text)
    assert refused.status_code == 422 and "校验位" in refused.text and "吉林页面测试代理公司" in refused.text
    made = await post_form(client, "/admin/organisations", {**typed, "credit_code": code}, listing.text)
    assert made.status_code == 303
    org_path = made.headers["location"].split("?")[0]
    detail = await client.get(org_path, headers=HTML)
    assert "吉林页面测试代理公司" in detail.text and "招标代理机构" in detail.text and "赵六" in detail.text
    added = await post_form(client, f"{org_path}/staff", {"username": "staffer"}, detail.text)
    assert added.status_code == 303 and added.headers["location"].endswith("done=staff_added")
    after = await client.get(added.headers["location"], headers=HTML)
    assert 'id="admin-done"' in after.text and f'href="/admin/users/{staffer}"' in after.text
    ghost = await post_form(client, f"{org_path}/staff", {"username": "ghost"}, detail.text)
    assert ghost.status_code == 404 and "ghost" in ghost.text
    removed = await post_form(client, f"{org_path}/staff/{staffer}/remove", {}, detail.text)
    assert removed.status_code == 303
    assert f'href="/admin/users/{staffer}"' not in (await client.get(org_path, headers=HTML)).text
    english = await client.get(f"{org_path}?lang=en", headers=HTML)
    assert "Tendering agent" in english.text and "Legal representative" in english.text


async def test_user_pages_search_create_roles_and_reset(runtime: Runtime, client: Any) -> None:
    await make_user(runtime, "root", Role.ADMIN)
    await page_login(client, "root")
    listing = await client.get("/admin/users?q=roo", headers=HTML)
    assert listing.status_code == 200 and ">root</a>" in listing.text and "系统管理员" in listing.text
    typed = {"username": "x", "display_name": "王小明", "roles": ["bidder"]}
    refused = await post_form(client, "/admin/users", typed, listing.text)
    assert refused.status_code == 422 and "用户名" in refused.text and "王小明" in refused.text
    made = await post_form(client, "/admin/users", {**typed, "username": "wang.xm"}, listing.text)
    assert made.status_code == 200 and 'id="created-password"' in made.text
    user_id = int(re.findall(r'href="/admin/users/(\d+)">wang.xm<', made.text)[0])
    user_page = await client.get(f"/admin/users/{user_id}", headers=HTML)
    assert "投标人" in user_page.text and 'id="created-password"' not in user_page.text
    roles = await post_form(
        client, f"/admin/users/{user_id}/roles", {"roles": ["agent", "custodian"]}, user_page.text
    )
    assert roles.status_code == 303
    changed = await client.get(roles.headers["location"], headers=HTML)
    assert "招标代理" in changed.text and "开标密钥保管人" in changed.text and "角色已更新" in changed.text
    reset = await post_form(client, f"/admin/users/{user_id}/password", {"password": ""}, user_page.text)
    assert reset.status_code == 200 and 'id="new-password"' in reset.text
    password = re.findall(r'id="new-password">[^<]*<code>([^<]+)</code>', reset.text)[0]
    login = await client.post("/api/auth/tokens", json={"username": "wang.xm", "password": password})
    assert login.status_code == 201
    own = await post_form(client, "/admin/users/1/disable", {}, user_page.text)
    assert own.status_code == 409 and 'id="admin-error"' in own.text
    odd = await client.get(f"/admin/users/{user_id}?done=<b>hi</b>", headers=HTML)
    assert 'id="admin-done"' not in odd.text  # only known outcomes are shown
    assert PASSWORD not in odd.text
