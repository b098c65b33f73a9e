"""Import and export: JSON and CSV round trips, line-numbered errors, nothing half-imported, the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from catalog.items import parse_item
from catalog.service import SystemActor
from catalog.transfer import CatalogDocument, export_csv, export_json, import_catalog, read_csv, read_json
from catalog.views import ItemBody
from core.errors import InvalidInput
from core.migrate import upgrade
from core.runtime import Runtime
from core.settings import Settings
from demo.seeds.catalog import demo_document
from tests.catalog.conftest import HOUSING, Hall, item_body
from tests.support.factories import seed_regions
from web.cli import main


def document(*items: dict[str, Any], bundles: list[dict[str, Any]] | None = None) -> str:
    """A catalog file the way the export writes it: one item per line."""
    lines = ",\n".join(json.dumps(i, ensure_ascii=False) for i in items)
    departments = [{"name": "吉林市教育局", "region_code": "220200"}]
    return (
        f'{{"format": "sunbid-catalog/1",\n"departments": {json.dumps(departments, ensure_ascii=False)},\n'
        f'"items": [\n{lines}\n],\n"bundles": {json.dumps(bundles or [], ensure_ascii=False)}\n}}\n'
    )


ITEMS = [
    item_body(),
    item_body(
        code="XK00102001000", department=HOUSING, name="建筑工程施工许可证核发（新办）", promised_days=3
    ),
    item_body(
        code="XK00103001000", department="吉林市教育局", name="教师资格认定", service_objects=["person"]
    ),
]
BUNDLE = {
    "code": "YJS-T-1",
    "name": "测试一件事",
    "service_object": "company",
    "items": ["XK00101001000", "XK00102001000"],
}


async def count_items(client: Any) -> int:
    return int((await client.get("/api/catalog/items")).json()["total"])


async def test_json_import_reports_bad_rows_by_line_and_writes_nothing(client: Any, hall: Hall) -> None:
    sup = hall.headers["supervisor"]
    bad = document(
        ITEMS[0], item_body(code="XK00102001000", promised_days=99), item_body(code="CF00103001000"), ITEMS[2]
    )
    response = await client.post("/api/catalog/import", content=bad.encode(), headers=sup)
    assert response.status_code == 422 and response.json()["error"] == "import_failed"
    detail = response.json()["detail"]
    assert "line 5" in detail and "promised_days" in detail  # items start on line 4 of the file
    assert "line 6" in detail and "code_kind" not in detail and "CF" in detail
    assert await count_items(client) == 0  # the good rows were not imported either
    duplicate = document(ITEMS[0], ITEMS[0])
    dup = await client.post("/api/catalog/import", content=duplicate.encode(), headers=sup)
    assert dup.status_code == 422 and "第4行" in dup.json()["detail"]
    not_object = await client.post(
        "/api/catalog/import", content=document(ITEMS[0], "x").encode(), headers=sup
    )  # type: ignore[arg-type]
    assert not_object.status_code == 422 and "line 5" in not_object.json()["detail"]
    syntax = await client.post("/api/catalog/import", content=b'{"items": [\n{"code": }\n]}', headers=sup)
    assert syntax.status_code == 422 and "line 2" in syntax.json()["detail"]
    bundle_bad = document(*ITEMS, bundles=[{**BUNDLE, "items": ["XK00101001000", "XK00999001000"]}])
    rejected = await client.post("/api/catalog/import", content=bundle_bad.encode(), headers=sup)
    assert rejected.status_code == 422 and "XK00999001000" in rejected.json()["detail"]
    assert await count_items(client) == 0  # a bad bundle rolls the items back too
    staff = await client.post(
        "/api/catalog/import", content=document(*ITEMS).encode(), headers=hall.headers["staff_market"]
    )
    assert staff.status_code == 403


async def test_json_round_trip_and_repeatable_import(client: Any, hall: Hall, runtime: Runtime) -> None:
    sup = hall.headers["supervisor"]
    first = await client.post(
        "/api/catalog/import", content=document(*ITEMS, bundles=[BUNDLE]).encode(), headers=sup
    )
    assert first.status_code == 200, first.text
    assert {k: first.json()[k] for k in ("departments", "created", "updated", "unchanged", "bundles")} == {
        "departments": 1, "created": 3, "updated": 0, "unchanged": 0, "bundles": 1,
    }  # fmt: skip
    exported = (await client.get("/api/catalog/export")).text
    # the hand-written export is exactly the typed document: each item as POST /api/catalog/items takes it
    typed = msgspec.json.decode(exported, type=CatalogDocument)
    assert all(isinstance(i, ItemBody) for i in typed.items) and len(typed.items) == 3
    assert [msgspec.to_builtins(i) for i in typed.items] == [parse_item(i).as_json() for i in ITEMS]
    body = json.loads(exported)
    assert [i["code"] for i in body["items"]] == ["XK00101001000", "XK00102001000", "XK00103001000"]
    assert body["bundles"][0]["items"] == ["XK00101001000", "XK00102001000"]
    again = (await client.post("/api/catalog/import", content=exported.encode(), headers=sup)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    body["items"][0]["promised_days"] = 2
    changed = (
        await client.post("/api/catalog/import", content=json.dumps(body).encode(), headers=sup)
    ).json()
    assert (changed["created"], changed["updated"]) == (0, 1)
    item_id = (await client.get("/api/catalog/items", params={"q": "食品"})).json()["items"][0]["id"]
    assert (await client.get(f"/api/catalog/items/{item_id}")).json()["version"] == 2


async def test_csv_round_trip(hall: Hall, runtime: Runtime) -> None:
    actor = SystemActor("test")
    async with runtime.transaction() as session:
        await import_catalog(session, runtime, actor, read_json(document(*ITEMS, bundles=[BUNDLE])), b"x")
    async with runtime.sessions() as session:
        items_csv, bundles_csv = await export_csv(session)
        exported_json = await export_json(session)
    assert items_csv.splitlines()[0].startswith("code,name,kind,department")
    parsed = read_csv(items_csv, bundles_csv)
    assert len(parsed.items) == 3 and parsed.bundles[0].data["items"] == ["XK00101001000", "XK00102001000"]
    assert parsed.items[0].data["materials"][1] == {
        "name": "经营场所使用证明",
        "copies": 1,
        "original": False,
        "deferrable": True,
    }
    async with runtime.transaction() as session:
        report = await import_catalog(session, runtime, actor, parsed, items_csv.encode())
    assert (report.created, report.updated, report.unchanged, report.bundles) == (0, 0, 3, 1)
    async with runtime.sessions() as session:
        assert await export_json(session) == exported_json
    broken = items_csv.replace(",行政审批,吉林市教育局", ",行政奖励,吉林市教育局")
    with pytest.raises(InvalidInput, match="line 4"):
        async with runtime.transaction() as session:
            await import_catalog(session, runtime, actor, read_csv(broken), broken.encode())
    with pytest.raises(InvalidInput, match="materials"):
        read_csv(items_csv.replace('""name"": ""营业执照""', '""name"" ""营业执照""', 1))


def test_cli_import_and_export(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")

    async def prepare() -> None:
        runtime = Runtime.build(settings)
        try:
            await upgrade(runtime.engine)
            await seed_regions(runtime)
        finally:
            await runtime.close()

    asyncio.run(prepare())
    env = {"SUNBID_VAR_DIR": str(settings.var_dir), "SUNBID_DATABASE_URL": settings.database_url}
    runner = CliRunner()

    def sunbid(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    source = tmp_path / "demo.json"
    source.write_text(json.dumps(demo_document(7), ensure_ascii=False), encoding="utf-8")
    assert "+649 items" in sunbid("catalog", "import", str(source))
    sunbid("catalog", "export", "--format", "json", "-o", str(tmp_path / "all.json"))
    exported = msgspec.json.decode((tmp_path / "all.json").read_bytes(), type=CatalogDocument)
    # every demo item within ItemBody's bounds (msgspec checks them as it decodes)
    assert len(exported.items) == 649 and len(exported.bundles) == 6
    sunbid("catalog", "export", "--format", "csv", "-o", str(tmp_path / "all.csv"))
    assert (tmp_path / "all.bundles.csv").exists()
    again = sunbid("catalog", "import", str(tmp_path / "all.csv"))
    assert "+0 items, 0 updated, 649 unchanged, 6 bundles" in again
    bad = tmp_path / "bad.json"
    bad.write_text(document(item_body(code="XK1")), encoding="utf-8")
    failed = sunbid("catalog", "import", str(bad), code=1)
    assert "line 4" in failed and "Traceback" not in failed
