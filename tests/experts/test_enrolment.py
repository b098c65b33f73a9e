"""How an expert gets a login: linking a record to an account (API, page form, CLI) and self-registration
that a supervisor approves or rejects. Each ends with the expert logging in and seeing their desk."""

from __future__ import annotations

import json
import random
import re
import subprocess
from datetime import date
from typing import Any

from sqlalchemy import select

from core.models import AuditEntry
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from experts.idcard import synthetic_id_number
from tests.experts.conftest import add_experts
from tests.experts.helpers import company
from tests.support.factories import PASSWORD, bearer, make_user, seed_regions
from tests.support.live import SUNBID, run_cli, settings_env

Client = Any


async def log_in(client: Client, username: str, password: str = PASSWORD) -> None:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text


async def audit_entries(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.transaction() as session:
        return [json.loads(e.entry) for e in await session.scalars(select(AuditEntry))]


async def test_link_by_api_then_the_expert_logs_in_and_sees_the_desk(
    runtime: Runtime, client: Client
) -> None:
    await seed_regions(runtime)
    code, other = await add_experts(runtime, 2)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    await make_user(runtime, "wang.expert", Role.BIDDER)  # any account; it gains the expert role
    await make_user(runtime, "li.expert", Role.EXPERT)
    sup = await bearer(client, "sup")
    linked = await client.post(f"/api/experts/{code}/link", json={"username": "Wang.Expert"}, headers=sup)
    assert linked.status_code == 200, linked.text
    assert linked.json()["code"] == code and linked.json()["linked"] is True
    again = await client.post(f"/api/experts/{code}/link", json={"username": "li.expert"}, headers=sup)
    assert again.status_code == 409 and again.json()["error"] == "expert_linked"
    taken = await client.post(f"/api/experts/{other}/link", json={"username": "wang.expert"}, headers=sup)
    assert taken.status_code == 409 and taken.json()["error"] == "user_linked"
    nobody = await client.post(f"/api/experts/{other}/link", json={"username": "ghost"}, headers=sup)
    assert nobody.status_code == 404 and nobody.json()["error"] == "unknown_user"
    no_code = await client.post(
        "/api/experts/E220200-99999/link", json={"username": "li.expert"}, headers=sup
    )
    assert no_code.status_code == 404 and no_code.json()["error"] == "unknown_expert"

    await log_in(client, "wang.expert")
    me = await client.get("/api/experts/me")
    assert me.status_code == 200 and me.json()["code"] == code
    desk = await client.get("/experts/me")
    assert desk.status_code == 200 and 'id="expert-name"' in desk.text
    entries = await audit_entries(runtime)
    link = [e for e in entries if e["kind"] == "experts.user_linked"]
    assert len(link) == 1 and code not in json.dumps(link)  # the code stays sealed
    assert any(e["kind"] == "account.roles_changed" for e in entries)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SUNBID, *args], env=settings_env(settings), capture_output=True, text=True, timeout=120, check=False
    )


async def test_sunbid_experts_link_then_the_expert_logs_in(
    settings: Settings, runtime: Runtime, client: Client
) -> None:
    """The CLI works on the app's database; the expert then logs in to the app."""
    run_cli(settings, "experts", "generate", "--count", "3", "--seed", "5")
    run_cli(settings, "user", "create", "zhao", "--role", "bidder", "--password", "zhao-password-1")
    done = run_cli(settings, "experts", "link", "E220200-00002", "zhao")
    assert done.stdout.strip() == "linked expert E220200-00002 to user zhao"
    again = _cli(settings, "experts", "link", "E220200-00002", "zhao")
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert "already linked" in again.stderr
    unknown_code = _cli(settings, "experts", "link", "E220200-00099", "zhao")
    assert unknown_code.returncode == 1 and "E220200-00099" in unknown_code.stderr
    unknown_user = _cli(settings, "experts", "link", "E220200-00001", "nobody")
    assert unknown_user.returncode == 1 and "nobody" in unknown_user.stderr
    assert len(unknown_user.stderr.strip().splitlines()) == 1
    login = await client.post("/api/auth/login", json={"username": "zhao", "password": "zhao-password-1"})
    assert login.status_code == 200 and "expert" in login.json()["roles"]
    assert (await client.get("/api/experts/me")).json()["code"] == "E220200-00002"
    assert 'id="expert-name"' in (await client.get("/experts/me")).text


def application(n: int = 1, **changes: Any) -> dict[str, Any]:
    county = "220221"
    body = {
        "username": f"applicant{n}",
        "password": "applicant-pass",
        "name": "孙立新",
        "id_number": synthetic_id_number(random.Random(n), county, date(1975, 3, 9)),
        "phone": f"1380000{n:04d}",
        "county": county,
        "employer_code": company(700 + n, county),
        "employer_name": "永吉县建筑设计院",
        "title": "高级工程师",
        "specialties": ["A0101"],
    }
    return body | changes


async def test_self_registration_approved_then_login(runtime: Runtime, client: Client) -> None:
    await seed_regions(runtime)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    await make_user(runtime, "root", Role.ADMIN)
    bad = await client.post("/api/experts/applications", json=application(phone="12345"))
    assert bad.status_code == 400 and [f["key"] for f in bad.json()["fields"]] == ["phone"]  # the pattern
    bad = await client.post("/api/experts/applications", json=application(id_number="22020219800101990X"))
    assert bad.status_code == 422 and bad.json()["error"] == "bad_id_number"  # the check digit
    short = await client.post("/api/experts/applications", json=application(password="short"))
    assert short.status_code == 400 and [f["key"] for f in short.json()["fields"]] == ["password"]
    sent = await client.post("/api/experts/applications", json=application())
    assert sent.status_code == 201, sent.text
    number = sent.json()["id"]
    twice = await client.post("/api/experts/applications", json=application(username="someone.else"))
    assert twice.status_code == 409
    same_name = await client.post("/api/experts/applications", json=application(2, username="applicant1"))
    assert same_name.status_code == 409 and same_name.json()["error"] == "username_taken"
    assert (
        await client.post("/api/auth/login", json={"username": "applicant1", "password": "applicant-pass"})
    ).status_code == 401

    admin = await bearer(client, "root")
    listed = await client.get("/api/experts/applications", headers=admin)
    assert [a["id"] for a in listed.json()["items"]] == [number]
    assert (
        await client.post(f"/api/experts/applications/{number}/approve", headers=admin)
    ).status_code == 403
    sup = await bearer(client, "sup")
    approved = await client.post(f"/api/experts/applications/{number}/approve", headers=sup)
    assert approved.status_code == 200, approved.text
    code = approved.json()["code"]
    assert approved.json()["status"] == "active" and approved.json()["linked"] is True
    twice_decided = await client.post(f"/api/experts/applications/{number}/approve", headers=sup)
    assert twice_decided.status_code == 409 and twice_decided.json()["error"] == "already_decided"
    assert (await client.get("/api/experts/applications", headers=sup)).json()["total"] == 0

    await log_in(client, "applicant1", "applicant-pass")
    assert (await client.get("/api/experts/me")).json()["code"] == code
    assert 'id="expert-name"' in (await client.get("/experts/me")).text
    entries = await audit_entries(runtime)
    kinds = [e["kind"] for e in entries if e["subject"] == f"expert-application:{number}"]
    assert kinds == ["experts.application.submitted", "experts.application.approved"]
    text = json.dumps(entries, ensure_ascii=False)
    assert "孙立新" not in text and "applicant1" not in text and application()["id_number"] not in text


async def test_self_registration_rejected_with_a_reason(runtime: Runtime, client: Client) -> None:
    await seed_regions(runtime)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    number = (await client.post("/api/experts/applications", json=application(3))).json()["id"]
    sup = await bearer(client, "sup")
    no_reason = await client.post(
        f"/api/experts/applications/{number}/reject", json={"reason": " "}, headers=sup
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"] == "reason_required"
    rejected = await client.post(
        f"/api/experts/applications/{number}/reject", json={"reason": "职称证书与申报不符"}, headers=sup
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    login = await client.post(
        "/api/auth/login", json={"username": "applicant3", "password": "applicant-pass"}
    )
    assert login.status_code == 401
    unknown = await client.post("/api/experts/applications/999/reject", json={"reason": "x"}, headers=sup)
    assert unknown.status_code == 404
    # the same person may apply again once rejected
    again = await client.post("/api/experts/applications", json=application(3))
    assert again.status_code == 201


async def test_registration_and_review_pages(runtime: Runtime, client: Client) -> None:
    """The forms post with their CSRF field; a refused form keeps what was typed."""
    await seed_regions(runtime)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    form = await client.get("/experts/register")
    assert form.status_code == 200 and 'name="_csrf"' in form.text
    token = form.text.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    fields = application(4, phone="999")
    body = [(k, v) for k, v in fields.items() if k != "specialties"] + [
        ("specialties", "A0101"),
        ("_csrf", token),
    ]
    refused = await client.post("/experts/register", data=dict(body))
    assert refused.status_code == 422 and "phone" in refused.text and fields["employer_name"] in refused.text
    body = [(k, v) for k, v in application(4).items() if k != "specialties"]
    body += [("specialties", "A0101"), ("_csrf", token)]
    sent = await client.post("/experts/register", data=dict(body))
    assert sent.status_code == 200 and 'id="registered"' in sent.text

    await log_in(client, "sup")
    review = await client.get("/experts/applications")
    assert review.status_code == 200 and "孙立新" in review.text
    number = int(re.findall(r'id="application-(\d+)"', review.text)[0])
    token = review.text.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    approved = await client.post(
        f"/experts/applications/{number}/approve",
        data={"_csrf": token},
        follow_redirects=False,
    )
    assert (
        approved.status_code == 303 and approved.headers["location"] == "/experts/applications?done=approved"
    )
    after = await client.get("/experts/applications?done=approved")
    assert 'id="applications-done"' in after.text and "孙立新" not in after.text
