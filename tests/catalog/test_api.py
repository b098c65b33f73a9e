"""The catalog API over HTTP: roles, items and versions, search, bundles, cases, statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select

from catalog.cases import set_holiday
from catalog.views import ItemSnapshot
from catalog.workdays import official_2026
from core.clock import ManualClock
from core.models import AuditEntry
from core.runtime import Runtime
from tests.catalog.conftest import HOUSING, MARKET, Hall, item_body


async def add_item(client: Any, hall: Hall, who: str = "supervisor", **body: Any) -> dict[str, Any]:
    response = await client.post("/api/catalog/items", json=item_body(**body), headers=hall.headers[who])
    assert response.status_code == 201, response.text
    return response.json()


async def test_public_reads_staff_edit_their_own_department_supervisors_everything(
    client: Any, hall: Hall
) -> None:
    body = item_body()
    assert (await client.post("/api/catalog/items", json=body)).status_code == 401
    bidder = await client.post("/api/catalog/items", json=body, headers=hall.headers["bidder"])
    assert bidder.status_code == 403 and bidder.json()["error"] == "forbidden"
    other = await client.post("/api/catalog/items", json=body, headers=hall.headers["staff_housing"])
    assert other.status_code == 403 and "own department" in other.json()["detail"]
    unlinked = await client.post("/api/catalog/items", json=body, headers=hall.headers["staff_unlinked"])
    assert unlinked.status_code == 403
    own = await add_item(client, hall, "staff_market")
    assert own["department"] == MARKET and own["version"] == 1
    housing = await add_item(
        client, hall, "supervisor", code="XK00102001000", department=HOUSING, name="建筑工程施工许可证核发"
    )
    # The public reads without logging in.
    assert (await client.get(f"/api/catalog/items/{own['id']}")).json()["name"] == "食品经营许可（新办）"
    assert (await client.get("/api/catalog/items")).json()["total"] == 2
    assert (await client.get("/api/catalog/departments")).status_code == 200
    # Staff may not edit another department's item, nor move their own item to another department.
    edit = item_body(code="XK00102001000", department=HOUSING, promised_days=3)
    denied = await client.put(
        f"/api/catalog/items/{housing['id']}", json=edit, headers=hall.headers["staff_market"]
    )
    assert denied.status_code == 403
    moved = await client.put(
        f"/api/catalog/items/{own['id']}",
        json=item_body(department=HOUSING),
        headers=hall.headers["staff_market"],
    )
    assert moved.status_code == 403
    assert (await client.get(f"/api/catalog/items/{own['id']}/versions")).status_code == 401
    # Admins manage staff links; supervisors may not.
    link = {"department_id": hall.housing}
    path = f"/api/catalog/staff/{hall.users['staff_unlinked']}"
    assert (await client.put(path, json=link, headers=hall.headers["supervisor"])).status_code == 403
    assert (await client.put(path, json=link, headers=hall.headers["admin"])).status_code == 200
    not_staff = await client.put(
        f"/api/catalog/staff/{hall.users['bidder']}", json=link, headers=hall.headers["admin"]
    )
    assert not_staff.status_code == 422 and not_staff.json()["error"] == "not_hall_staff"
    staff = (await client.get("/api/catalog/staff", headers=hall.headers["admin"])).json()
    assert {s["username"] for s in staff} == {"staff-a", "staff-b", "staff-c"}


async def test_item_changes_make_versions_and_are_logged(client: Any, hall: Hall, runtime: Runtime) -> None:
    item = await add_item(client, hall, "staff_market")
    path = f"/api/catalog/items/{item['id']}"
    headers = hall.headers["staff_market"]
    same = await client.put(path, json=item_body(), headers=headers)
    assert same.json()["version"] == 1  # nothing changed, no new version
    changed = await client.put(path, json=item_body(promised_days=3, online=False), headers=headers)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert (await client.get(path)).json()["promised_days"] == 3  # the public sees the current one
    versions = (await client.get(path + "/versions", headers=headers)).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert sorted(versions[0]["changed_fields"]) == ["online", "promised_days"]
    assert versions[1]["snapshot"]["promised_days"] == 5
    # a snapshot is the item as it then was, typed: its versioned fields and department
    first = msgspec.convert(versions[1]["snapshot"], ItemSnapshot)
    assert (first.department_id, first.service_objects, first.online) == (
        item["department_id"], "company,person", True
    )  # fmt: skip
    assert [m.name for m in first.materials] == [m["name"] for m in item["materials"]]
    async with runtime.sessions() as session:
        kinds = list(
            await session.scalars(
                select(AuditEntry.kind)
                .where(AuditEntry.kind.like("catalog.item%"))
                .order_by(AuditEntry.position)
            )
        )
    assert kinds == ["catalog.item_created", "catalog.item_changed"]
    bad = await client.put(path, json=item_body(promised_days=30), headers=headers)
    assert bad.status_code == 422 and "promised_days" in bad.json()["detail"]
    # The typed body refuses what its schema states (400, naming the field) before any rule runs.
    for days in ("9" * 5000, 10**30, "NaN", 366, -1):
        bad = await client.put(path, json=item_body(statutory_days=days), headers=headers)
        assert bad.status_code == 400 and "statutory_days" in bad.json()["detail"], bad.text
    for field, value in (
        ("kind", "行政许可"),
        ("handling_type", "办件"),
        ("level", "province"),
        ("code", "XX001"),
    ):
        bad = await client.put(path, json=item_body(**{field: value}), headers=headers)
        assert bad.status_code == 400 and field in bad.json()["detail"], bad.text
    mismatch = await client.put(path, json=item_body(code="CF00101001000"), headers=headers)
    assert mismatch.status_code == 422 and mismatch.json()["error"] == "code_kind_mismatch"
    clash = await client.post("/api/catalog/items", json=item_body(), headers=headers)
    assert clash.status_code == 409 and clash.json()["error"] == "item_exists"
    missing = await client.put("/api/catalog/items/9999", json=item_body(), headers=headers)
    assert missing.status_code == 404


async def test_search_in_chinese_pinyin_and_filters(client: Any, hall: Hall) -> None:
    await add_item(client, hall)
    await add_item(
        client,
        hall,
        code="XK00102001000",
        department=HOUSING,
        name="建设工程规划许可证核发",
        service_objects=["company"],
    )
    await add_item(
        client, hall, code="QR00101000000", kind="行政确认", name="特种设备使用登记", level="county",
        region_code="220221", statutory_days=15, promised_days=3, service_objects=["company"],
    )  # fmt: skip
    await add_item(
        client,
        hall,
        code="QR00102000000",
        kind="行政确认",
        name="结婚登记",
        statutory_days=0,
        promised_days=0,
        handling_type="即办件",
        service_objects=["person"],
    )

    async def names(**params: Any) -> list[str]:
        response = await client.get("/api/catalog/items", params=params)
        assert response.status_code == 200, response.text
        return [i["name"] for i in response.json()["items"]]

    assert await names(q="经营") == ["食品经营许可（新办）"]
    assert await names(q="规划 许可") == ["建设工程规划许可证核发"]  # every word must match
    assert await names(q="住房和城乡") == ["建设工程规划许可证核发"]  # department names match too
    assert await names(q="JSGC") == ["建设工程规划许可证核发"]  # pinyin initials, any case
    assert await names(q="ｓｐｊｙ") == ["食品经营许可（新办）"]  # full-width letters are normalised
    assert await names(q="qr00101") == ["特种设备使用登记"]
    assert await names(q="%") == [] and await names(q="_") == []  # LIKE wildcards are literal
    assert await names(kind="行政确认", level="county") == ["特种设备使用登记"]
    assert await names(object="person") == ["结婚登记", "食品经营许可（新办）"]
    assert await names(department_id=hall.housing) == ["建设工程规划许可证核发"]
    assert await names(online="true", limit=1, offset=1) == ["结婚登记"]
    # The schema states the filters' vocabularies and bounds, so the decoder refuses what breaks them (400).
    for params, status in (
        ({"kind": "行政许可"}, 400),
        ({"level": "x"}, 400),
        ({"object": "alien"}, 400),
        ({"online": "maybe"}, 400),
        ({"q": "长" * 101}, 400),
        ({"limit": 0}, 422),
    ):
        bad = await client.get("/api/catalog/items", params=params)
        assert bad.status_code == status, params
        assert set(bad.json()) >= {"error", "detail"}


async def test_bundle_merges_materials(client: Any, hall: Hall) -> None:
    await add_item(client, hall)
    await add_item(
        client, hall, code="XK00103001000", name="公共场所卫生许可（新办）", promised_days=8,
        materials=[{"name": "营业执照", "copies": 2}, {"name": "卫生检测报告", "deferrable": True}],
    )  # fmt: skip
    body = {
        "code": "YJS-CY-001",
        "name": "我要开餐馆",
        "description": "开办餐馆一次办",
        "service_object": "company",
        "items": ["XK00101001000", "XK00103001000"],
    }
    assert (
        await client.post("/api/catalog/bundles", json=body, headers=hall.headers["staff_market"])
    ).status_code == 403
    created = await client.post("/api/catalog/bundles", json=body, headers=hall.headers["supervisor"])
    assert created.status_code == 201, created.text
    bundle = (await client.get("/api/catalog/bundles/YJS-CY-001")).json()
    assert [m["name"] for m in bundle["materials"]] == ["营业执照", "经营场所使用证明", "卫生检测报告"]
    assert bundle["materials"][0]["copies"] == 2 and len(bundle["materials"][0]["for_items"]) == 2
    assert bundle["limits"]["parallel_promised"] == 8 and bundle["limits"]["serial_promised"] == 13
    assert (await client.get(f"/api/catalog/bundles/{bundle['id']}")).json()["code"] == "YJS-CY-001"
    assert (await client.get("/api/catalog/bundles/nope")).status_code == 404
    for unknown in ("¹", "9" * 30):  # a digit to str.isdigit but no id, an id past any integer: not a 500
        assert (await client.get(f"/api/catalog/bundles/{unknown}")).status_code == 404
    one = await client.post(
        "/api/catalog/bundles", json={**body, "items": ["XK00101001000"]}, headers=hall.headers["supervisor"]
    )
    assert one.status_code == 400 and "items" in one.json()["detail"]  # the schema's minItems
    unknown = await client.post(
        "/api/catalog/bundles",
        json={**body, "items": ["XK00101001000", "XK09999001000"]},
        headers=hall.headers["supervisor"],
    )
    assert unknown.status_code == 422 and "XK09999001000" in unknown.json()["detail"]


async def test_case_deadline_warnings_board_and_rating(
    client: Any, hall: Hall, runtime: Runtime, clock: ManualClock
) -> None:
    async with runtime.transaction() as session:
        for day, kind, name in official_2026():
            await set_holiday(session, runtime, day, kind, name, "test")
    item = await add_item(client, hall, promised_days=3)
    clock.set(datetime(2026, 2, 12, 2, tzinfo=UTC))  # Thursday 10:00 in the hall, before Spring Festival
    market = hall.headers["staff_market"]
    accepted = await client.post(
        "/api/catalog/cases", json={"item_id": item["id"], "applicant": "王小明"}, headers=market
    )
    assert accepted.status_code == 201, accepted.text
    case = accepted.json()
    # 13 Feb, 14 Feb (make-up Saturday), holiday until 23 Feb, then 24 Feb: due at its end.
    assert case["deadline_at"] == "2026-02-24T16:00:00Z" and case["warning"] == "green"
    assert case["applicant"] == "王**" and case["number"].startswith("22020020260212")
    other = await client.post(
        "/api/catalog/cases",
        json={"item_id": item["id"], "applicant": "x"},
        headers=hall.headers["staff_housing"],
    )
    assert other.status_code == 403
    board_path = "/api/catalog/board"
    assert (await client.get(board_path, headers=hall.headers["bidder"])).status_code == 403
    housing_board = await client.get(board_path, headers=hall.headers["staff_housing"])
    assert housing_board.status_code == 200 and housing_board.json()["departments"] == []
    peek = await client.get(
        board_path, params={"department_id": hall.market}, headers=hall.headers["staff_housing"]
    )
    assert peek.status_code == 403
    clock.set(datetime(2026, 2, 23, 2, tzinfo=UTC))  # most of the time used → yellow
    board = (await client.get(board_path, headers=hall.headers["supervisor"])).json()
    assert board["departments"][0]["counts"] == {"red": 0, "yellow": 1, "green": 0}
    settings = await client.put(
        "/api/catalog/settings", json={"yellow_share": 0.99}, headers=hall.headers["supervisor"]
    )
    assert settings.json() == {"yellow_share": 0.99}
    assert (await client.get(board_path, headers=market)).json()["departments"][0]["counts"]["green"] == 1
    bad_share = await client.put(
        "/api/catalog/settings", json={"yellow_share": 2}, headers=hall.headers["supervisor"]
    )
    assert bad_share.status_code == 400 and "yellow_share" in bad_share.json()["detail"]  # schema bounds
    clock.set(datetime(2026, 2, 24, 16, 0, 1, tzinfo=UTC))  # one second past the deadline → red
    board = (await client.get(board_path, headers=market)).json()
    assert board["departments"][0]["cases"][0]["warning"] == "red"
    number = case["number"]
    skip = await client.post(f"/api/catalog/cases/{number}/state", json={"state": "done"}, headers=market)
    assert skip.status_code == 409 and skip.json()["error"] == "bad_transition"
    await client.post(f"/api/catalog/cases/{number}/state", json={"state": "processing"}, headers=market)
    early = await client.post(f"/api/catalog/cases/{number}/rating", json={"rating": "good", "token": "x"})
    assert early.status_code == 409 and early.json()["error"] == "not_finished"
    done = await client.post(f"/api/catalog/cases/{number}/state", json={"state": "done"}, headers=market)
    token = done.json()["rating_token"]
    assert done.json()["rating_link"].endswith(token)
    wrong = await client.post(
        f"/api/catalog/cases/{number}/rating", json={"rating": "good", "token": "guess"}
    )
    assert wrong.status_code == 403 and wrong.json()["error"] == "bad_rating_token"
    no_reason = await client.post(
        f"/api/catalog/cases/{number}/rating", json={"rating": "bad", "token": token}
    )
    assert no_reason.status_code == 422
    rated = await client.post(
        f"/api/catalog/cases/{number}/rating", json={"rating": "bad", "reason": "超期一天", "token": token}
    )
    assert rated.status_code == 200 and rated.json()["rating"] == "bad"
    again = await client.post(f"/api/catalog/cases/{number}/rating", json={"rating": "good", "token": token})
    assert again.status_code == 409
    stats = (await client.get("/api/catalog/stats")).json()
    assert stats["cases_by_department"] == [
        {
            "department": MARKET,
            "finished": 1,
            "on_time": 0,
            "on_time_rate": 0.0,
            "ratings": 1,
            "good": 0,
            "good_rate": 0.0,
        }
    ]


async def test_returned_case_needs_a_reason_and_holidays_are_validated(
    client: Any, hall: Hall, clock: ManualClock
) -> None:
    item = await add_item(client, hall)
    market = hall.headers["staff_market"]
    case = (
        await client.post(
            "/api/catalog/cases",
            json={"item_id": item["id"], "applicant": "吉林市宏达建筑工程有限公司"},
            headers=market,
        )
    ).json()
    assert case["applicant"] == "吉林市宏达建筑工程有限公司"  # companies are not masked
    ghost = {"item_id": item["id"], "applicant": "张三", "applicant_user_id": 9999}
    assert (await client.post("/api/catalog/cases", json=ghost, headers=market)).status_code == 422
    no_item = await client.post(
        "/api/catalog/cases", json={"item_id": 9999, "applicant": "张三"}, headers=market
    )
    assert no_item.status_code == 404
    path = f"/api/catalog/cases/{case['number']}/state"
    assert (await client.post(path, json={"state": "returned"}, headers=market)).status_code == 422
    returned = await client.post(path, json={"state": "returned", "note": "材料不全"}, headers=market)
    assert returned.status_code == 200 and "rating_token" in returned.json()
    sup = hall.headers["supervisor"]
    assert (
        await client.put("/api/catalog/holidays/2026-13-01", json={"kind": "holiday"}, headers=sup)
    ).status_code == 422
    weekday_makeup = await client.put(
        "/api/catalog/holidays/2026-03-04", json={"kind": "workday"}, headers=sup
    )
    assert weekday_makeup.status_code == 422
    assert (
        await client.put(
            "/api/catalog/holidays/2026-03-07", json={"kind": "workday", "name": "调休"}, headers=sup
        )
    ).status_code == 200
    assert (
        await client.put("/api/catalog/holidays/2026-03-07", json={"kind": "workday"}, headers=market)
    ).status_code == 403
    assert [h["day"] for h in (await client.get("/api/catalog/holidays", params={"year": 2026})).json()] == [
        "2026-03-07"
    ]
    assert (await client.delete("/api/catalog/holidays/2026-03-07", headers=sup)).status_code == 204
    assert (await client.delete("/api/catalog/holidays/2026-03-07", headers=sup)).status_code == 404
    assert (await client.get("/api/catalog/cases/nope", headers=sup)).status_code == 404


async def test_statistics_endpoint_matches_a_hand_computed_catalog(client: Any, hall: Hall) -> None:
    await add_item(client, hall, statutory_days=20, promised_days=5, online=True)
    await add_item(
        client,
        hall,
        code="XK00102001000",
        department=HOUSING,
        statutory_days=10,
        promised_days=2,
        online=False,
        level="county",
        region_code="220221",
    )
    await add_item(
        client,
        hall,
        code="QR00101000000",
        kind="行政确认",
        statutory_days=0,
        promised_days=0,
        handling_type="即办件",
    )
    stats = (await client.get("/api/catalog/stats")).json()
    assert stats["items"] == 3
    assert stats["time_limits"] == {
        "items_counted": 2,
        "avg_statutory_days": 15.0,
        "avg_promised_days": 3.5,
        "compression_rate": 0.7667,
    }
    assert stats["online"] == {"items": 2, "share": 0.6667}
    assert {r["level"]: r["count"] for r in stats["by_level"]} == {"city": 2, "county": 1, "town": 0}
    assert stats["by_department"][0] == {"department": MARKET, "count": 2}
