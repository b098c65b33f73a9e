"""A lot's bid form as a JSON Schema: one definition the endpoint serves, `bid seal` and the opening
check; every problem of a bid.json listed at once, in Chinese and English."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from bidding.bid_form import BidFormInvalid, check_bid_form, example, problems, schema_for
from bidding.criteria import DEFAULT_FORM_FIELDS, CriteriaError, validate_form_fields
from bidding.models import Lot, Tender
from bidding.opening.decryption import check_package
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender, tender_body

CEILING = Decimal("11500000.00")
FIELDS = validate_form_fields(
    [
        *DEFAULT_FORM_FIELDS,
        {"name": "warranty_months", "label": "保修期", "type": "integer", "unit": "月", "minimum": 24},
        {"name": "rate", "label": "下浮率", "type": "decimal", "required": False, "maximum": "15"},
        {"name": "licence", "label": "营业执照", "type": "attachment"},
    ]
)


def lot_schema(**over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "code": "JLZB-2026-001",
        "lot": "1",
        "ceiling_price": CEILING,
        "bond_forms": ["deposit", "guarantee_letter"],
    }
    return schema_for(FIELDS, **(args | over))


def test_the_schema_is_valid_draft_2020_12_and_its_example_passes_it() -> None:
    schema = lot_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "/api/tenders/JLZB-2026-001/lots/1/bid-form.schema.json"
    assert schema["required"] == [
        "price",
        "duration_days",
        "quality",
        "project_manager",
        "warranty_months",
        "licence",
    ]
    price = schema["properties"]["price"]
    assert price["type"] == "string" and price["x-decimal-maximum"] == "11500000.00"
    assert price["x-unit"] == "元" and schema["properties"]["warranty_months"]["minimum"] == 24
    assert schema["properties"]["bond_form"]["enum"] == ["deposit", "guarantee_letter"]
    bid = example(schema)
    assert problems(bid, schema) == [] and schema["examples"] == [bid]
    assert bid["price"] == "11500000.00" and bid["duration_days"] == 365


def test_every_problem_is_listed_at_once_with_its_path_in_chinese_and_english() -> None:
    schema = lot_schema()
    bad = {
        "price": "1e7",
        "duration_days": 30.0,
        "quality": "",
        "warranty_months": 12,
        "rate": "20",
        "bond_form": "cash",
    }
    found = problems(bad, schema)
    by_path = {p.path: p for p in found}
    assert list(by_path) == [
        "price",
        "duration_days",
        "quality",
        "project_manager",
        "warranty_months",
        "rate",
        "licence",
        "bond_form",
    ]
    assert "1234.50" in by_path["price"].en and "小数" in by_path["price"].zh
    assert by_path["duration_days"].en.startswith("must be a whole number")
    assert by_path["quality"].zh == "不能为空"
    assert by_path["project_manager"].zh == "缺少必填项「项目经理」（project_manager）"
    assert by_path["warranty_months"].en == "must be at least 24"
    assert by_path["rate"].en == "must be at most 15"
    assert "deposit" in by_path["bond_form"].en
    with pytest.raises(BidFormInvalid) as raised:
        check_bid_form(bad, schema)
    assert raised.value.problems == found and str(raised.value).count(";") == len(found) - 1
    assert isinstance(raised.value, CriteriaError)


def test_the_ceiling_is_the_last_cent_allowed() -> None:
    schema = lot_schema()
    bid = example(schema)
    assert problems({**bid, "price": "11500000.00"}, schema) == []
    [above] = problems({**bid, "price": "11500000.01"}, schema)
    assert above.path == "price" and above.keyword == "x-decimal-maximum"
    assert above.zh == "投标报价超过最高投标限价 11500000.00 元"


@pytest.mark.parametrize(
    "price", ["1e27", "NaN", "-1", "9" * 400, "Infinity", "12.345", "0x10", " 12", "12\n", 12, None]
)
def test_a_price_must_be_plain_decimal_text(price: Any) -> None:
    schema = lot_schema()
    found = problems({**example(schema), "price": price}, schema)
    assert [p.path for p in found] == ["price"]


def test_an_optional_field_may_be_absent_null_or_empty_but_not_wrong() -> None:
    schema = lot_schema()
    bid = example(schema)
    for value in (None, ""):
        assert problems({**bid, "rate": value}, schema) == []
    del bid["rate"]
    assert problems(bid, schema) == []
    [wrong] = problems({**bid, "rate": "abc"}, schema)
    assert wrong.path == "rate" and "decimal" in wrong.en


def test_not_an_object() -> None:
    [problem] = problems(["price"], lot_schema())
    assert problem.path == "" and problem.en == "bid.json must be a JSON object"


def test_form_field_limits_are_checked_when_the_tender_is_drafted() -> None:
    for bad in (
        [{"name": "price", "type": "decimal", "minimum": "abc"}],
        [{"name": "price", "type": "decimal"}, {"name": "n", "type": "integer", "minimum": 5, "maximum": 1}],
        [{"name": "price", "type": "decimal"}, {"name": "q", "type": "text", "minimum": 1}],
        [{"name": "price", "type": "decimal"}, {"name": "q", "type": "integer", "options": ["a"]}],
        [{"name": "price", "type": "decimal"}, {"name": "q", "type": "text", "options": ["a", "a"]}],
    ):
        with pytest.raises(CriteriaError):
            validate_form_fields(bad)


def _package(form: Any, files: dict[str, bytes] | None = None) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("bid.json", json.dumps(form))
        for name, data in (files or {}).items():
            package.writestr(f"attachments/{name}", data)
    out.seek(0)
    return out


def test_the_opening_check_uses_the_schema_and_keeps_its_ceiling_reason() -> None:
    tender = Tender(code="JLZB-2026-001", form_fields=FIELDS, bond_forms=["deposit"])
    lot = Lot(number="1", ceiling_price=CEILING)
    bid = example(lot_schema(bond_forms=["deposit"]))
    form, price, reason = check_package(_package(bid, {"licence.pdf": b"%PDF"}), tender, lot)
    assert reason is None and price == CEILING and form == bid
    form, price, reason = check_package(
        _package({**bid, "price": "11500000.50"}, {"licence.pdf": b"%PDF"}), tender, lot
    )
    assert form is not None and price == Decimal("11500000.50")
    assert reason == "投标报价 11500000.50 超过最高投标限价 11500000.00 (price above the ceiling price)"
    _form, _price, reason = check_package(_package(bid), tender, lot)
    assert reason is not None and "attachment licence.pdf is missing" in reason
    _form, _price, reason = check_package(_package({"price": "1"}, {"licence.pdf": b""}), tender, lot)
    assert reason is not None and reason.startswith("投标函不符合招标文件要求 (bid form invalid)")
    for field in ("duration_days", "quality", "project_manager", "warranty_months", "licence"):
        assert field in (reason or "")


async def test_the_endpoint_serves_the_schema_of_a_published_lot(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=1)
    over = {"form_fields": [*DEFAULT_FORM_FIELDS, {"name": "warranty_months", "type": "integer"}]}
    draft = await client.post("/api/tenders", json=tender_body(runtime, world, **over), headers=world.agent)
    assert draft.status_code == 201
    path = "/api/tenders/JLZB-2026-001/lots/1/bid-form.schema.json"
    assert (await client.get(path)).status_code == 404  # a draft's form is not public
    assert (await client.get(path, headers=world.bidders[0].headers)).status_code == 404
    assert (await client.get(path, headers=world.agent)).status_code == 200  # its owner sees it
    tender = await published_tender(runtime, client, world, "JLZB-2026-002", **over)
    response = await client.get("/api/tenders/JLZB-2026-002/lots/1/bid-form.schema.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    schema = response.json()
    assert schema["$id"] == "/api/tenders/JLZB-2026-002/lots/1/bid-form.schema.json"
    assert schema["properties"]["price"]["x-decimal-maximum"] == tender["lots"][0]["ceiling_price"]
    assert "warranty_months" in schema["required"]
    from bidding.client import lot_schema as client_schema

    assert client_schema(tender, "1") == schema  # `bid seal --tender-file` builds the same schema
    missing = await client.get("/api/tenders/JLZB-2026-002/lots/9/bid-form.schema.json")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_lot"


def _offline_tender(tmp_path: Path) -> Path:
    from crypto.age import X25519Identity

    tender = {
        "code": "JLZB-2026-001",
        "form_fields": validate_form_fields(DEFAULT_FORM_FIELDS),
        "bond": {"amount": "200000.00", "forms": ["deposit", "guarantee_letter"]},
        "lots": [{"number": "1", "ceiling_price": "11500000.00"}],
        "opening_recipient": X25519Identity.generate().recipient().to_str(),
    }
    path = tmp_path / "tender.json"
    path.write_text(json.dumps(tender, ensure_ascii=False), "utf-8")
    return path


def test_bid_seal_help_shows_a_bid_json_and_bid_form_prints_the_schema_and_an_example(tmp_path: Path) -> None:
    from web.cli import main

    runner = CliRunner()
    shown = runner.invoke(main, ["bid", "seal", "--help"])
    assert shown.exit_code == 0
    assert '"price": "10999999.50"' in shown.output and '"duration_days": 365' in shown.output
    assert "sunbid bid form CODE LOT" in shown.output
    tender = str(_offline_tender(tmp_path))
    printed = runner.invoke(main, ["bid", "form", "JLZB-2026-001", "1", "--tender-file", tender])
    assert printed.exit_code == 0, printed.output
    schema = json.loads(printed.output)
    assert schema["$id"] == "/api/tenders/JLZB-2026-001/lots/1/bid-form.schema.json"
    filled = runner.invoke(main, ["bid", "form", "JLZB-2026-001", "1", "--tender-file", tender, "--example"])
    assert json.loads(filled.output) == example(schema)


def test_bid_seal_lists_every_problem_before_encrypting(tmp_path: Path) -> None:
    from crypto.age import X25519Identity
    from web.cli import main

    tender = str(_offline_tender(tmp_path))
    identity = tmp_path / "bidder.key"
    identity.write_text(X25519Identity.generate().to_str() + "\n")
    form = tmp_path / "bid.json"
    form.write_text(json.dumps({"price": 10999999.5, "duration_days": "365", "bond_form": "cash"}), "utf-8")
    out = tmp_path / "bid.age"
    args = ["bid", "seal", "--tender", "JLZB-2026-001", "--form", str(form), "--identity", str(identity)]
    args += ["--tender-file", tender, "--bidder", "91220281MA0000001X", "-o", str(out)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and not out.exists()
    lines = [line.strip() for line in refused.output.splitlines() if line.strip().startswith("- ")]
    assert [line.split(":")[0] for line in lines] == [
        "- price",
        "- duration_days",
        "- quality",
        "- project_manager",
        "- bond_form",
    ]
    assert "5 problem(s) / 投标函有 5 处问题" in refused.output
    form.write_text(json.dumps({**example(schema_for(DEFAULT_FORM_FIELDS)), "price": "11500000.01"}), "utf-8")
    above = CliRunner().invoke(main, args)
    assert above.exit_code == 1 and "--above-ceiling" in above.output and not out.exists()
    sealed = CliRunner().invoke(main, [*args, "--above-ceiling"])
    assert sealed.exit_code == 0, sealed.output
    assert out.exists()
    form.write_text(json.dumps(example(schema_for(DEFAULT_FORM_FIELDS))), "utf-8")
    assert CliRunner().invoke(main, [*args[:-1], str(tmp_path / "ok.age")]).exit_code == 0


def test_a_bill_of_quantities_is_rows_each_checked_at_its_own_path() -> None:
    fields = validate_form_fields(
        [*DEFAULT_FORM_FIELDS, {"name": "boq", "label": "工程量清单", "type": "bill_of_quantities"}]
    )
    schema = schema_for(fields, code="JLZB-2026-001", lot="1", ceiling_price=CEILING)
    Draft202012Validator.check_schema(schema)
    bid = example(schema)
    assert problems(bid, schema) == [] and bid["boq"][0]["unit_price"] == "35.80"
    rows = [
        {"item": "土方开挖", "unit": "m³", "quantity": "1200.5", "unit_price": "35.80"},
        {"item": "", "unit": "m", "quantity": 3, "unit_price": "1.234"},
        {"item": "钢筋", "quantity": "2"},
    ]
    found = {p.path: p for p in problems({**bid, "boq": rows}, schema)}
    assert set(found) == {
        "boq/1/item",
        "boq/1/quantity",
        "boq/1/unit_price",
        "boq/2/unit",
        "boq/2/unit_price",
    }
    assert found["boq/2/unit"].zh == "缺少必填项「计量单位」（unit）"
    assert found["boq/1/unit_price"].en.startswith(
        "must be a plain non-negative decimal string with at most 2"
    )
    [empty] = problems({**bid, "boq": []}, schema)
    assert (empty.path, empty.en) == ("boq", "needs at least one row")
    [wrong] = problems({**bid, "boq": "see attachment"}, schema)
    assert wrong.en == "must be a list of rows"
