"""The pool: CSV import (all or nothing, errors by line), generator, profile, leave, status."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.errors import Conflict, InvalidInput
from experts import registry, specialties, views
from experts.idcard import synthetic_id_number, validate_id_number
from experts.models import Expert
from experts.registry import ProfileChanges
from tests.experts.conftest import World, add_experts
from tests.experts.helpers import company

HEADER = "name,id_number,phone,county,employer_code,employer_name,title,specialties,avoid\n"


def csv_row(n: int, **kw: str) -> str:
    rng = random.Random(n)
    values = {
        "name": f"导入专家{n}", "id_number": synthetic_id_number(rng, "220221", date(1975, 3, n % 28 + 1)),
        "phone": f"1380000{n:04d}", "county": "220221", "employer_code": company(300 + n, "220221"),
        "employer_name": "永吉县测试设计院", "title": "高级工程师", "specialties": "A0101;A0203", "avoid": "",
    }  # fmt: skip
    values.update(kw)
    return ",".join(values[c] for c in HEADER.strip().split(",")) + "\n"


async def pool_size(world: World) -> int:
    async with world.runtime.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Expert)) or 0


async def test_import_all_rows(world: World) -> None:
    text = HEADER + "".join(csv_row(n) for n in range(1, 6))
    async with world.runtime.transaction() as session:
        assert await registry.import_csv(session, world.runtime, text, actor="test") == 5
    assert await pool_size(world) == 5


async def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(world: World) -> None:
    text = (
        HEADER
        + csv_row(1)
        + csv_row(2, id_number="220221197503031230")
        + csv_row(3)
        + csv_row(4, specialties="Z9999")
    )
    async with world.runtime.transaction() as session:
        with pytest.raises(InvalidInput) as caught:
            await registry.import_csv(session, world.runtime, text, actor="test")
    detail = caught.value.detail
    assert "line 3" in detail and "id_number" not in detail.split("line 3")[0]
    assert "line 5" in detail and "specialties" in detail and "nothing imported" in detail
    assert await pool_size(world) == 0


async def test_duplicates_within_the_file_and_against_the_pool(world: World) -> None:
    row = csv_row(1)
    async with world.runtime.transaction() as session:
        with pytest.raises(InvalidInput, match=r"line 3.*duplicate"):
            await registry.import_csv(session, world.runtime, HEADER + row + row, actor="test")
    async with world.runtime.transaction() as session:
        await registry.import_csv(session, world.runtime, HEADER + row, actor="test")
    async with world.runtime.transaction() as session:
        with pytest.raises(Conflict, match="already registered"):
            await registry.import_csv(session, world.runtime, HEADER + row, actor="test")


async def test_missing_columns_are_named(world: World) -> None:
    async with world.runtime.transaction() as session:
        with pytest.raises(InvalidInput, match="specialties"):
            await registry.import_csv(session, world.runtime, "name,id_number\nx,y\n", actor="test")


async def test_generated_pool_is_realistic_and_valid(world: World) -> None:
    async with world.runtime.transaction() as session:
        made = await registry.generate_pool(session, world.runtime, 300, 7, actor="test")
    assert len({e.id_number for e in made}) == 300
    assert all(validate_id_number(e.id_number) == e.id_number for e in made)
    assert len({e.county for e in made}) == 9 and len({s for e in made for s in e.specialties}) > 150
    assert {e.code for e in made} == {f"E220200-{n:05d}" for n in range(1, 301)}
    async with world.runtime.transaction() as session:
        more = await registry.generate_pool(session, world.runtime, 10, 7, actor="test")
    assert more[0].code == "E220200-00301"


def test_specialty_tree_has_five_categories_and_hundreds_of_leaves() -> None:
    assert len(specialties.categories()) >= 5 and len(specialties.leaves()) >= 300
    assert specialties.path_name("A0101").startswith("工程类 / 房屋建筑工程")


async def test_profile_change_of_specialties_needs_approval(world: World, clock: ManualClock) -> None:
    (code,) = await add_experts(world.runtime, 1)
    rt = world.runtime
    async with rt.transaction() as session:
        expert = await registry.get_expert(session, code)
        await registry.update_profile(session, rt, expert, ProfileChanges(phone="13900000000"), actor="t")
        assert expert.status == "active"
        await registry.update_profile(
            session, rt, expert, ProfileChanges(specialties=["A0101", "B0101"]), actor="t"
        )
        assert expert.status == "pending" and expert.specialty_codes == ["A0101", "B0101"]
        with pytest.raises(InvalidInput, match="phone"):
            await registry.update_profile(session, rt, expert, ProfileChanges(phone="123"), actor="t")
        await registry.set_status(session, rt, code, "active", reason="", actor="sup")
        with pytest.raises(InvalidInput, match="reason"):
            await registry.set_status(session, rt, code, "suspended", reason=" ", actor="sup")
        await registry.set_status(session, rt, code, "retired", reason="年满70周岁", actor="sup")
        with pytest.raises(Conflict):
            await registry.set_status(session, rt, code, "active", reason="", actor="sup")


async def test_leave_is_validated(world: World, clock: ManualClock) -> None:
    (code,) = await add_experts(world.runtime, 1)
    rt = world.runtime
    today = clock.now().date()
    async with rt.transaction() as session:
        expert = await registry.get_expert(session, code)
        with pytest.raises(InvalidInput, match="end before start"):
            await registry.add_leave(session, rt, expert, today + timedelta(days=3), today, "", actor="t")
        with pytest.raises(InvalidInput, match="past"):
            await registry.add_leave(
                session, rt, expert, today - timedelta(days=9), today - timedelta(days=3), "", actor="t"
            )
        leave = await registry.add_leave(
            session, rt, expert, today, today + timedelta(days=2), "出差", actor="t"
        )
        assert views.expert_out(expert, supervisor=False).leave[0].reason == "出差"
        await registry.remove_leave(session, rt, expert, leave.id, actor="t")
        assert expert.leaves == []


async def test_id_numbers_are_masked_except_to_supervisors(world: World) -> None:
    (code,) = await add_experts(world.runtime, 1)
    async with world.runtime.transaction() as session:
        expert = await registry.get_expert(session, code)
        masked = views.expert_out(expert, supervisor=False, own=True)
        full = views.expert_out(expert, supervisor=True)
    assert "********" in masked.id_number and masked.phone == expert.phone
    assert full.id_number == expert.id_number
