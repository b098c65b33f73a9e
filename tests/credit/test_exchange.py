"""Exchanging deductions as JSON lines: validated as a whole, idempotent, revocations travel."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput
from core.roles import Role
from core.runtime import Runtime
from credit import exchange, service
from credit.models import Deduction
from tests.credit.helpers import code, setup
from tests.support.factories import bearer, make_user

TODAY = date(2026, 1, 5)


def line(uid: str, key: str, **changes: object) -> str:
    record: dict[str, object] = {
        "schema": exchange.SCHEMA,
        "uid": uid,
        "origin": "ggzy.baishan.example",
        "subject_kind": "bidder",
        "subject_key": key,
        "subject_name": "白山市某建设有限公司",
        "rule_code": "B02",
        "rule_title": "弄虚作假",
        "points": "15.0",
        "bars": True,
        "start_day": (TODAY - timedelta(days=10)).isoformat(),
        "end_day": (TODAY + timedelta(days=720)).isoformat(),
        "reason": "提供虚假业绩材料",
        "source_region": "220600",
        "source_industry": "procurement",
        "source_ref": "BS-2025-118",
        "revoked_on": None,
        "revoked_reason": None,
    }
    record.update(changes)
    return json.dumps(record, ensure_ascii=False)


async def count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Deduction)) or 0


async def load(runtime: Runtime, text: str) -> exchange.ImportReport:
    async with runtime.transaction() as session:
        return await exchange.import_lines(session, runtime, text, actor="test")


async def test_import_counts_the_same_and_is_idempotent(runtime: Runtime) -> None:
    await setup(runtime)
    text = "\n".join([line("baishan-0001", code(1)), line("baishan-0002", code(2), points="2.5", bars=False)])
    first = await load(runtime, text)
    again = await load(runtime, text)
    assert (first.added, first.unchanged) == (2, 0) and (again.added, again.unchanged) == (0, 2)
    async with runtime.sessions() as session:
        s = await service.standing(session, "bidder", code(1), TODAY)
        subject = await service.describe(session, "bidder", code(1))
    assert s.index == Decimal("85.00") and s.barred  # 一处受罚、处处受制
    assert subject is not None and subject.region_code == "220600"
    revoked = line("baishan-0001", code(1), revoked_on=TODAY.isoformat(), revoked_reason="复议撤销")
    report = await load(runtime, revoked)
    assert (report.revoked, await count(runtime)) == (1, 2)
    async with runtime.sessions() as session:
        assert (await service.standing(session, "bidder", code(1), TODAY)).index == Decimal("100.00")
        assert (await service.standing(session, "bidder", code(1), TODAY - timedelta(days=1))).barred


async def test_one_bad_line_rejects_the_whole_file(runtime: Runtime) -> None:
    await setup(runtime)
    good = line("baishan-0001", code(1))
    cases = [
        "not json",
        line("baishan-0002", code(2)[:-1] + "0"),  # wrong check character
        line("baishan-0003", code(3), rule_code="E01"),  # an expert rule for a bidder
        line("baishan-0004", code(4), points="1.25"),
        line("baishan-0005", code(5), end_day=(TODAY - timedelta(days=20)).isoformat()),
        line("x", code(6)),
        good,  # repeated uid
        json.dumps({"schema": "other/1"}),
    ]
    with pytest.raises(InvalidInput) as raised:
        await load(runtime, "\n".join([good, *cases]))
    for n in range(2, 10):
        assert f"line {n}:" in raised.value.detail
    assert await count(runtime) == 0


async def test_round_trip_between_platforms_over_http(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await setup(runtime)
    await make_user(runtime, "sup", Role.SUPERVISOR)
    sup = await bearer(client, "sup")
    imported = await client.post(
        "/api/credit/import", content=line("baishan-0001", code(1)).encode(), headers=sup
    )
    assert imported.status_code == 200 and imported.json()["added"] == 1
    exported = await client.get("/api/credit/export", headers=sup)
    records = [json.loads(x) for x in exported.text.splitlines()]
    assert [r["uid"] for r in records] == ["baishan-0001"] and set(records[0]) == set(exchange.FIELDS)
    assert "evidence" not in exported.text
    replay = await client.post("/api/credit/import", content=exported.content, headers=sup)
    assert replay.json() == {"lines": 1, "added": 0, "revoked": 0, "unchanged": 1}
    bad = await client.post("/api/credit/import", content=b"\xff\xfe", headers=sup)
    assert bad.status_code == 422 and bad.json()["error"] == "bad_import"
