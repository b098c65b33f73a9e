"""A tender lot's bid form (bid.json) as a JSON Schema, and the one check derived from it (pure).

One definition, three users: the server's check at the opening (``opening.decryption.check_package``),
``sunbid bid seal`` on the bidder's machine (before encrypting) and the browser's bid form all read
the schema ``schema_for`` builds from the tender's form fields (``criteria.validate_form_fields``),
its lot's ceiling price and its bond forms. ``problems`` lists every way a bid.json misses it at once
(path + a message in Chinese and English), reading only the schema: labels are its ``title``s, the
decimal bounds its ``x-decimal-minimum`` / ``x-decimal-maximum`` (JSON Schema cannot compare decimal
strings, and money is never a JSON float), units ``x-unit``.

A bid form's decimals are strings written plainly ("11000000.00": no exponent, no sign, no spaces),
its whole numbers JSON integers (30, never 30.0 or "30"). Keys the form does not name are kept and
ignored, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import msgspec
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from bidding.criteria import FORM_DECIMAL, CriteriaError
from core.numbers import INT_DIGITS, MONEY, Bounds

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MEDIA_TYPE = "application/schema+json"
BOND_FORM = "bond_form"  # the bid names how it secures its bid (one of the tender's bond forms)
BOND_FORM_LABELS = {
    "deposit": ("保证金", "Cash deposit"),
    "guarantee_letter": ("银行保函", "Bank guarantee letter"),
    "guarantee_insurance": ("保证保险", "Guarantee insurance"),
}
ATTACHMENT_NAME = r"^[^/\\\x00-\x1f]{1,200}$"
TEXT_LIMIT = 2000


class BidFormSchema(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """The JSON Schema (draft 2020-12) of one lot's bid.json as GET …/bid-form.schema.json answers it:
    ``properties`` holds one JSON Schema per form field (``x-kind`` names its kind), ``examples`` one
    bid.json that passes, ``x-tender``/``x-lot``/``x-ceiling-price`` the lot it is for."""

    dialect: Literal["https://json-schema.org/draft/2020-12/schema"] = msgspec.field(name="$schema")
    id: str | None = msgspec.field(default=None, name="$id")
    title: str
    description: str
    type: Literal["object"]
    properties: dict[str, dict[str, Any]]
    required: list[str]
    tender: str | None = msgspec.field(default=None, name="x-tender")
    lot: str | None = msgspec.field(default=None, name="x-lot")
    ceiling_price: (
        Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,16}\.[0-9]{2}$", description="yuan, 2 places")] | None
    ) = msgspec.field(default=None, name="x-ceiling-price")
    examples: list[dict[str, Any]]


def schema_path(code: str, lot: str) -> str:
    return f"/api/tenders/{code}/lots/{lot}/bid-form.schema.json"


def decimal_pattern(bounds: Bounds) -> str:
    """Plain non-negative decimal text within ``bounds``' integer digits and places."""
    fraction = rf"(\.[0-9]{{1,{bounds.places}}})?" if bounds.places else ""
    return rf"^(0|[1-9][0-9]{{0,{bounds.integer_digits - 1}}}){fraction}$"


def _example_decimal(low: Decimal, high: Decimal | None, places: int) -> str:
    value = high if high is not None else max(low, Decimal(1000))
    return f"{value:.{places}f}"


def _field_schema(field: dict[str, Any], ceiling: Decimal | None) -> dict[str, Any]:
    name, kind, label = field["name"], field["type"], field["label"]
    out: dict[str, Any] = {"title": label, "x-kind": kind}
    if field.get("unit"):
        out["x-unit"] = field["unit"]
    if kind == "decimal":
        bounds = MONEY if name == "price" else FORM_DECIMAL
        low = Decimal(field.get("minimum", "0"))
        high = Decimal(field["maximum"]) if field.get("maximum") is not None else None
        if name == "price" and ceiling is not None:
            high = ceiling if high is None else min(high, ceiling)
            out.setdefault("x-unit", "元")
        out |= {"type": "string", "pattern": decimal_pattern(bounds), "x-decimal-minimum": str(low)}
        if high is not None:
            out["x-decimal-maximum"] = str(high)
        out["examples"] = [_example_decimal(low, high, bounds.places)]
    elif kind == "integer":
        low_int = int(field.get("minimum", 0))
        high_int = int(field.get("maximum", 10**INT_DIGITS - 1))
        out |= {"type": "integer", "minimum": low_int, "maximum": high_int}
        out["examples"] = [max(low_int, min(high_int, 365 if name == "duration_days" else 1))]
    elif kind == "bill_of_quantities":
        row = {
            "type": "object",
            "properties": {
                "item": {
                    "title": "项目名称",
                    "x-kind": "text",
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                },
                "unit": {
                    "title": "计量单位",
                    "x-kind": "text",
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 20,
                },
                "quantity": {
                    "title": "工程量",
                    "x-kind": "decimal",
                    "type": "string",
                    "pattern": decimal_pattern(FORM_DECIMAL),
                    "x-decimal-minimum": "0",
                },
                "unit_price": {
                    "title": "综合单价",
                    "x-kind": "decimal",
                    "x-unit": "元",
                    "type": "string",
                    "pattern": decimal_pattern(MONEY),
                    "x-decimal-minimum": "0",
                },
            },
            "required": ["item", "unit", "quantity", "unit_price"],
        }
        out |= {"type": "array", "items": row, "minItems": 1, "maxItems": 10_000}
        out["examples"] = [[{"item": "土方开挖", "unit": "m³", "quantity": "1200.5", "unit_price": "35.80"}]]
    elif kind == "attachment":
        out |= {"type": "string", "pattern": ATTACHMENT_NAME, "x-attachment": True}
        out["examples"] = [f"{name}.pdf"]
    else:
        out |= {"type": "string", "minLength": 1, "maxLength": int(field.get("max_length", TEXT_LIMIT))}
        if field.get("options"):
            out["enum"] = list(field["options"])
            out["examples"] = [field["options"][0]]
        else:
            out["examples"] = [label]
    if not field["required"]:  # an optional field may be left out, null or ""
        out = {"anyOf": [out, {"type": "null"}, {"const": ""}], "title": label, "x-kind": kind}
    return out


def schema_for(
    form_fields: list[dict[str, Any]],
    *,
    code: str | None = None,
    lot: str | None = None,
    ceiling_price: Decimal | None = None,
    bond_forms: list[str] | None = None,
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a bid.json for one lot of a tender."""
    properties = {f["name"]: _field_schema(f, ceiling_price) for f in form_fields}
    if bond_forms and BOND_FORM not in properties:
        properties[BOND_FORM] = {
            "title": "投标保证金形式",
            "x-kind": "choice",
            "type": "string",
            "enum": list(bond_forms),
            "x-enum-labels": {f: list(BOND_FORM_LABELS.get(f, (f, f))) for f in bond_forms},
            "examples": [bond_forms[0]],
        }
    schema: dict[str, Any] = {"$schema": DIALECT}
    if code and lot:
        schema["$id"] = schema_path(code, lot)
    where = f"{code} 标段 {lot}" if code and lot else ""
    schema |= {
        "title": f"投标函 {where} (bid form)".replace("  ", " "),
        "description": (
            "bid.json：投标文件包（ZIP）中的投标函，与附件（attachments/ 目录）一同加密。"
            '金额为文本形式的数字，如 "1234.50"；整数不加引号。'
            " (bid.json, sealed in the bid package ZIP beside attachments/; amounts are decimal strings, "
            'like "1234.50"; whole numbers are plain JSON integers.)'
        ),
        "type": "object",
        "properties": properties,
        "required": [f["name"] for f in form_fields if f["required"]],
    }
    if code:
        schema["x-tender"] = code
    if lot:
        schema["x-lot"] = lot
    if ceiling_price is not None:
        schema["x-ceiling-price"] = f"{ceiling_price:.2f}"
    schema["examples"] = [example(schema)]
    return schema


def example(schema: dict[str, Any]) -> dict[str, Any]:
    """A bid.json that passes ``schema``, to fill in: every field with its first example."""
    out: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        prop = prop["anyOf"][0] if "anyOf" in prop else prop
        out[name] = prop["examples"][0]
    return out


def _as_decimal(instance: Any) -> Decimal | None:
    if not isinstance(instance, str) or instance != instance.strip():
        return None
    try:
        number = Decimal(instance)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _matches(pattern: str, instance: str) -> bool:
    """ECMA-262's ``$`` (what a browser reads): Python's also matches before a final newline."""
    return re.search(pattern, instance) is not None and not (
        pattern.endswith("$") and instance.endswith("\n")
    )


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    if isinstance(instance, str) and not _matches(pattern, instance):
        yield ValidationError(f"{instance[:40]!r} does not match {pattern!r}")


def _plain_decimal(instance: Any, schema: dict[str, Any]) -> Decimal | None:
    """The number a decimal field holds, if its text is plain (else its pattern is the problem)."""
    if not isinstance(instance, str) or not _matches(schema.get("pattern", ""), instance):
        return None
    return _as_decimal(instance)


def _decimal_minimum(validator: Any, low: str, instance: Any, schema: dict[str, Any]) -> Any:
    number = _plain_decimal(instance, schema)
    if number is not None and number < Decimal(low):
        yield ValidationError(f"{instance} < {low}")


def _decimal_maximum(validator: Any, high: str, instance: Any, schema: dict[str, Any]) -> Any:
    number = _plain_decimal(instance, schema)
    if number is not None and number > Decimal(high):
        yield ValidationError(f"{instance} > {high}")


def _strict_integer(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)  # 30.0 is not a day count


BidFormValidator = validators.extend(
    Draft202012Validator,
    validators={
        "pattern": _pattern,
        "x-decimal-minimum": _decimal_minimum,
        "x-decimal-maximum": _decimal_maximum,
    },
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


@dataclass(frozen=True)
class Problem:
    """One way a bid.json misses its schema: where (``price``, ``items/2``; "" the whole) and why."""

    path: str
    zh: str
    en: str
    keyword: str = ""

    def __str__(self) -> str:
        return f"{self.path or 'bid.json'}: {self.zh} ({self.en})"

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "zh": self.zh, "en": self.en, "message": str(self)}


def _field(error: ValidationError) -> dict[str, Any]:
    """The property schema an error is about (its ``title``/``x-kind``), past an optional anyOf."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    return schema


def _message(error: ValidationError, root: dict[str, Any]) -> tuple[str, str]:
    keyword, schema = error.validator, _field(error)
    kind = schema.get("x-kind")
    if keyword == "required":
        name = str(error.message).split("'")[1] if "'" in error.message else ""
        title = schema.get("properties", {}).get(name, {}).get("title", name)
        return f"缺少必填项「{title}」（{name}）", f"{name} ({title}) is required"
    if keyword == "type" and not error.absolute_path:
        return "bid.json 须为 JSON 对象", "bid.json must be a JSON object"
    if keyword in ("type", "pattern") and kind == "decimal":
        places = re.search(r"\{1,(\d+)\}\)\?\$$", schema.get("pattern", ""))
        digits = places.group(1) if places else "0"
        return (
            f'须为文本形式的非负数字，最多 {digits} 位小数，不用科学计数法，如 "1234.50"',
            f'must be a plain non-negative decimal string with at most {digits} places, like "1234.50"',
        )
    if keyword == "type" and kind == "integer":
        return "须为整数（不加引号，如 365）", "must be a whole number (a JSON integer, like 365)"
    if keyword == "type" and kind == "bill_of_quantities":
        return "须为清单行的列表", "must be a list of rows"
    if keyword == "type" and schema.get("type") == "object":
        return "须为一行清单（JSON 对象）", "must be a row (a JSON object)"
    if keyword == "type":
        return "须为文本", "must be text"
    if keyword == "minItems":
        return "至少须有一行", "needs at least one row"
    if keyword == "maxItems":
        return f"不得超过 {schema.get('maxItems')} 行", f"at most {schema.get('maxItems')} rows"
    if keyword == "pattern" and kind == "attachment":
        return "须为附件的文件名（不含目录）", "must be an attachment's file name (no folders)"
    if keyword in ("minimum", "x-decimal-minimum"):
        low = schema.get("minimum", schema.get("x-decimal-minimum"))
        return f"不得低于 {low}", f"must be at least {low}"
    if keyword in ("maximum", "x-decimal-maximum"):
        high = schema.get("maximum", schema.get("x-decimal-maximum"))
        if error.absolute_path and error.absolute_path[0] == "price":
            return (
                f"投标报价超过最高投标限价 {high} 元",
                f"price above the ceiling price of {high} yuan",
            )
        return f"不得高于 {high}", f"must be at most {high}"
    if keyword == "minLength":
        return "不能为空", "must not be empty"
    if keyword == "maxLength":
        return (
            f"不得超过 {schema.get('maxLength')} 个字符",
            f"must be at most {schema.get('maxLength')} characters",
        )
    if keyword == "enum":
        choices = ", ".join(str(c) for c in schema.get("enum", []))
        return f"须为以下之一：{choices}", f"must be one of: {choices}"
    return "不符合要求", error.message[:200]


def _flatten(error: ValidationError) -> list[ValidationError]:
    """An optional field's ``anyOf`` failure is its real field's failures (not "null or empty")."""
    if error.validator == "anyOf" and error.context:
        first = [e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == 0]
        return [leaf for e in first for leaf in _flatten(e)] or [error]
    return [error]


def problems(form: Any, schema: dict[str, Any]) -> list[Problem]:
    """Every way ``form`` misses ``schema``, in the schema's field order (empty: it is valid)."""
    order = {name: i for i, name in enumerate(schema.get("properties", {}))}
    found: list[Problem] = []
    errors = BidFormValidator(schema).iter_errors(form)
    for top in errors:
        for error in _flatten(top):
            zh, en = _message(error, schema)
            path = "/".join(str(p) for p in error.absolute_path)
            if error.validator == "required" and "'" in error.message:
                path = "/".join([*(str(p) for p in error.absolute_path), error.message.split("'")[1]])
            found.append(Problem(path, zh, en, str(error.validator)))
    found.sort(key=lambda p: (order.get(p.path.split("/")[0], len(order)), p.path))
    return found


class BidFormInvalid(CriteriaError):
    """A bid.json that misses its schema; ``problems`` lists every reason, the message all of them."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = found
        super().__init__("; ".join(str(p) for p in found))


def above_ceiling(problem: Problem) -> bool:
    """A price above the lot's ceiling: the opening's own rejection reason, not a malformed form."""
    return problem.path == "price" and problem.keyword == "x-decimal-maximum"


def check_bid_form(form: Any, schema: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    """``form`` if it passes ``schema`` (or the schema of these form fields), else BidFormInvalid."""
    if isinstance(schema, list):
        schema = schema_for(schema)
    found = problems(form, schema)
    if found:
        raise BidFormInvalid(found)
    return form


def attachment_names(form: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The attachment file names a (valid) bid.json names: each must be in the package's attachments/."""
    names = []
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-kind") == "attachment" and isinstance(form.get(name), str) and form[name]:
            names.append(form[name])
    return names
