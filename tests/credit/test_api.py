"""credit over HTTP: public look-ups without evidence, supervisors' deductions, appeals, documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.roles import Role
from core.runtime import Runtime
from tests.credit.helpers import code, make_org, setup
from tests.support.factories import bearer, make_user


async def record(client, headers, key: str, rule: str = "B01", **extra: object):  # type: ignore[no-untyped-def]
    body = {"subject_kind": "bidder", "subject_key": key, "rule_code": rule, "reason": "串通投标（公开事由）",
            "evidence": "SECRET-EVIDENCE 证人笔录", **extra}  # fmt: skip
    response = await client.post("/api/credit/deductions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_public_lookup_shows_rule_and_reason_but_never_evidence(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await setup(runtime)
    await make_org(runtime, 1)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    sup = await bearer(client, "sup")
    made = await record(client, sup, code(1))
    assert made["evidence"].startswith("SECRET") and made["points"] == "20.0"
    public = await client.get(f"/api/credit/subjects/bidder/{code(1)}")
    assert public.status_code == 200, public.text
    body = public.json()
    assert (body["index"], body["grade"], body["barred"], body["name"]) == ("80.00", "B", True, "测试公司1")
    assert body["deductions"][0]["rule_code"] == "B01" and "串通投标" in body["deductions"][0]["reason"]
    assert "SECRET" not in public.text and "recorded_by" not in public.text
    unknown = (await client.get(f"/api/credit/subjects/bidder/{code(2)}")).json()
    assert (unknown["index"], unknown["grade"], unknown["barred"]) == ("100.00", "A", False)
    bad = await client.get("/api/credit/subjects/bidder/nonsense")
    assert bad.status_code == 422 and bad.json()["error"] == "bad_credit_code"
    page = await client.get(f"/credit/subjects/bidder/{code(1)}", headers={"accept": "text/html"})
    assert (
        page.status_code == 200 and "<svg" in page.text and "SECRET" not in page.text and "80.00" in page.text
    )
    rules = (await client.get("/api/credit/rules", params={"kind": "expert"})).json()
    assert {r["code"] for r in rules} >= {"E01", "E02", "E03", "E04"}


async def test_recompute_history_svg_and_rankings(runtime: Runtime, client, clock) -> None:  # type: ignore[no-untyped-def]
    await setup(runtime)
    await make_org(runtime, 1)
    await make_org(runtime, 2, region="220282")
    await make_user(runtime, "sup", Role.SUPERVISOR)
    sup = await bearer(client, "sup")
    assert (await client.get("/api/credit/rankings")).json()["day"] is None
    await record(client, sup, code(1), "B04")
    await record(client, sup, code(2, "220282"), "B09")
    for _ in range(3):
        assert (await client.post("/api/credit/recompute", headers=sup)).status_code == 200
        clock.advance(days=1)
    history = (await client.get(f"/api/credit/subjects/bidder/{code(1)}/history")).json()
    assert [p["index"] for p in history] == ["90.00"] * 3
    svg = await client.get(f"/api/credit/subjects/bidder/{code(1)}/history.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<polyline" in svg.text
    ranked = (await client.get("/api/credit/rankings", params={"kind": "bidder"})).json()
    assert [r["key"] for r in ranked["items"]] == [code(1), code(2, "220282")]
    by_region = (await client.get("/api/credit/rankings", params={"region": "220282"})).json()
    assert [r["index"] for r in by_region["items"]] == ["98.00"]
    html = await client.get("/credit?lang=en", headers={"accept": "text/html"})
    assert html.status_code == 200 and "Rankings" in html.text and "测试公司1" in html.text


async def test_appeal_and_evidence_documents_over_http(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await setup(runtime)
    org = await make_org(runtime, 1)
    other = await make_org(runtime, 2)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    await make_user(runtime, "owner", Role.BIDDER, organisation_id=org)
    await make_user(runtime, "other", Role.BIDDER, organisation_id=other)
    sup, owner, stranger = [await bearer(client, u) for u in ("sup", "owner", "other")]
    made = await record(client, sup, code(1))
    upload = await client.post(
        f"/api/credit/deductions/{made['id']}/documents",
        files={"data": ("笔录.pdf", b"%PDF-1.7 evidence", "application/pdf")},
        headers=sup,
    )
    assert upload.status_code == 201, upload.text
    doc = upload.json()["id"]
    url = f"/api/credit/deductions/{made['id']}/documents/{doc}"
    assert (await client.get(url, headers=owner)).content == b"%PDF-1.7 evidence"
    assert (await client.get(url, headers=stranger)).status_code == 403
    assert (await client.get(f"/api/credit/deductions/{made['id']}", headers=owner)).json()["documents"][0][
        "id"
    ] == doc
    denied = await client.post(
        "/api/credit/appeals", json={"deduction_id": made["id"], "reason": "x"}, headers=stranger
    )
    assert denied.status_code == 403
    filed = await client.post(
        "/api/credit/appeals", json={"deduction_id": made["id"], "reason": "认定有误"}, headers=owner
    )
    assert filed.status_code == 201, filed.text
    assert [a["id"] for a in (await client.get("/api/credit/appeals", headers=owner)).json()] == [
        filed.json()["id"]
    ]
    assert (await client.get("/api/credit/appeals", headers=stranger)).json() == []
    decided = await client.post(
        f"/api/credit/appeals/{filed.json()['id']}/decision",
        json={"outcome": "revoked", "reason": "证据不足"},
        headers=sup,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "revoked"
    after = (await client.get(f"/api/credit/subjects/bidder/{code(1)}")).json()
    assert after["index"] == "100.00" and after["deductions"] == []
    mine = await client.get("/credit/mine", headers={**owner, "accept": "text/html"})
    assert mine.status_code == 200 and "证据不足" in mine.text


async def test_supervisor_pages_record_and_decide(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await setup(runtime)
    await make_org(runtime, 1)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    sup = await bearer(client, "sup")
    admin = await client.get("/credit/admin", headers={**sup, "accept": "text/html"})
    assert admin.status_code == 200 and 'id="record"' in admin.text
    form = {
        "kind": "bidder",
        "key": code(1),
        "rule_code": "B07",
        "reason": "放弃中标",
        "source_industry": "procurement",
    }
    posted = await client.post("/credit/admin/deductions", data=form, headers=sup, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    rule = {"code": "X01", "subject_kind": "agent", "title": "新规则", "points": "1.5", "validity_days": "90",
            "legal_basis": "《办法》第一条"}  # fmt: skip
    assert (
        await client.post("/credit/admin/rules", data=rule, headers=sup, follow_redirects=False)
    ).status_code == 303
    bad = await client.post(
        "/credit/admin/rules", data={**rule, "code": "X02", "points": "1.55"}, headers=sup
    )
    assert bad.status_code == 422
    for points, days in (("Infinity", "90"), ("1e308", "90"), ("1.5", "9" * 5000)):
        bad = await client.post(
            "/credit/admin/rules",
            data={**rule, "code": "X03", "points": points, "validity_days": days},
            headers=sup,
        )
        assert bad.status_code == 422, (points, bad.text)
        assert ("points" if points != "1.5" else "validity") in bad.json()["detail"], bad.text
    listed = (await client.get("/api/credit/deductions", params={"kind": "bidder"}, headers=sup)).json()
    assert listed["total"] == 1 and listed["items"][0]["source_industry"] == "procurement"
    assert Decimal(listed["items"][0]["points"]) == Decimal("8.0")
    assert "X01" in (await client.get("/credit/rules", headers={"accept": "text/html"})).text
    edit = await client.get("/credit/admin/rules/B07", headers={**sup, "accept": "text/html"})
    assert edit.status_code == 200 and 'id="edit-rule"' in edit.text
    change = {"title": "放弃中标", "description": "无正当理由放弃中标", "points": "9", "validity_days": "365",
              "legal_basis": "《条例》第七十四条", "active": "on"}  # fmt: skip
    assert (
        await client.post("/credit/admin/rules/B07", data=change, headers=sup, follow_redirects=False)
    ).status_code == 303
    rule = next(r for r in (await client.get("/api/credit/rules")).json() if r["code"] == "B07")
    assert rule["points"] == "9.0" and rule["bars"] is False
    kept = (await client.get("/api/credit/deductions", params={"kind": "bidder"}, headers=sup)).json()
    assert kept["items"][0]["points"] == "8.0"  # the recorded deduction keeps its points


async def test_the_credit_page_finds_a_company_by_part_of_its_name(runtime: Runtime, client: Any) -> None:
    await setup(runtime)
    await make_org(runtime, 1)  # 测试公司1, a bidder at 100 (no deduction: credit has no row for it)
    await make_org(runtime, 2, kind="agent")  # 测试公司2
    await make_org(runtime, 31)  # 测试公司31
    page = (await client.get("/credit", params={"name": "公司3"})).text
    found = page.split('id="name-results"')[1].split("</table>")[0]
    assert f'href="/credit/subjects/bidder/{code(31)}"' in found and "测试公司1<" not in found
    assert "名称含“公司3”的企业：1 家" in page
    both = (await client.get("/credit", params={"name": "测试公司"})).text.split('id="name-results"')[1]
    assert both.count("<tr>") == 4  # header + three companies, by name
    assert f"/credit/subjects/agent/{code(2)}" in both
    agents = (await client.get("/credit", params={"name": "测试", "kind": "agent"})).text
    assert agents.split('id="name-results"')[1].count("<tr>") == 2
    none = (await client.get("/credit", params={"name": "没有这家", "lang": "en"})).text
    assert "No company is named like “没有这家”" in none
    assert (await client.get(f"/credit/subjects/bidder/{code(31)}")).status_code == 200
