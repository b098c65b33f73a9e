"""Validation of a tender's evaluation method document and bid form fields (pure).

The criteria document, as evaluation/ reads it:

    {"method": "comprehensive" | "lowest_price",
     "qualification": [{"id": "Q1", "text": "具有市政公用工程施工总承包三级及以上资质"}],
     "preliminary": [{"id": "P1", "text": "投标函有法定代表人签字并加盖公章"}],   (optional: 初步评审)
     "scored": [{"id": "T1", "group": "technical" | "commercial" | "price", "name": "施工方案",
                 "max_points": "20", "step": "0.5"}],
     "price": {"benchmark": "mean" | "trimmed_mean", "coefficient_max": "0.05",
               "above_per_percent": "1", "below_per_percent": "0.5"},
     "anomaly_limit": "20",
     "tenderer_representative": false}   (optional: the tenderer seats one representative on the committee)

Numbers are decimal strings (JSON floats are refused elsewhere too); comprehensive scoring totals 100.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from core.errors import InvalidInput
from core.numbers import MONEY, POINTS, Bounds, decimal_input, int_input

METHODS = ("comprehensive", "lowest_price")
GROUPS = ("technical", "commercial", "price")
BENCHMARKS = ("mean", "trimmed_mean")
# attachment: a file in attachments/; bill_of_quantities: rows of item, unit, quantity, unit price
FIELD_TYPES = ("decimal", "integer", "text", "attachment", "bill_of_quantities")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FORM_DECIMAL = Bounds(places=6, integer_digits=16)  # a bid form's other decimal fields (rates, areas)

DEFAULT_FORM_FIELDS: list[dict[str, Any]] = [
    {"name": "price", "label": "投标报价（元）", "type": "decimal", "required": True},
    {"name": "duration_days", "label": "工期（日历天）", "type": "integer", "required": True},
    {"name": "quality", "label": "质量标准", "type": "text", "required": True},
    {"name": "project_manager", "label": "项目经理", "type": "text", "required": True},
]


class CriteriaError(ValueError):
    pass


# ---- the documents as a request states them ---------------------------------------------------
# The Structs below are the schema of ``criteria`` and ``form_fields`` in POST /api/tenders: every
# rule about one field (the enums, id and name shapes, lengths, unknown keys) is theirs. What links
# fields, and the decimals' bounds (0 < points ≤ 100 with at most 4 places, a comprehensive method
# totalling 100 with a price criterion, max_points a multiple of step, minimum ≤ maximum), is checked
# by validate_criteria / validate_form_fields below, answering 422 ``bad_criteria`` naming the field.

Method = Literal["comprehensive", "lowest_price"]
Group = Literal["technical", "commercial", "price"]
Benchmark = Literal["mean", "trimmed_mean"]
FieldType = Literal["decimal", "integer", "text", "attachment", "bill_of_quantities"]
CriterionId = Annotated[
    str, msgspec.Meta(pattern=_ID.pattern, description="unique in the document, e.g. Q1, T1", examples=["T1"])
]
NonBlank = Annotated[str, msgspec.Meta(pattern=r"\S")]
DecimalText = Annotated[
    str | int,
    msgspec.Meta(
        description="a decimal as text (or a whole number); JSON floats are refused", examples=["0.5"]
    ),
]
# What ``validated`` accepts for each kind of number, for the schema (the decoder leaves them to it, and
# it answers 422 with its message). Never looser than the parser; what depends on another field (a step
# dividing max_points, points totalling 100, a price field's 2 places) is left to it.
_FRACTION4 = r"(\.[0-9]{1,4})?"
_POINTS = rf"100(\.0{{1,4}})?|[0-9]{{1,2}}{_FRACTION4}"  # POINTS: 0..100, at most 4 places
_POSITIVE_POINTS = (  # the same, above zero
    rf"100(\.0{{1,4}})?|[1-9][0-9]?{_FRACTION4}|0?\.([1-9][0-9]{{0,3}}|0[1-9][0-9]{{0,2}}|00[1-9][0-9]?|000[1-9])"
)
PointsText = Annotated[
    DecimalText, msgspec.Meta(extra_json_schema={"pattern": f"^({_POINTS})$", "minimum": 0, "maximum": 100})
]
PositivePointsText = Annotated[
    DecimalText,
    msgspec.Meta(extra_json_schema={"pattern": f"^({_POSITIVE_POINTS})$", "minimum": 1, "maximum": 100}),
]
CoefficientText = Annotated[  # 0 <= coefficient < 1
    DecimalText, msgspec.Meta(extra_json_schema={"pattern": f"^0{_FRACTION4}$", "minimum": 0, "maximum": 0})
]
FormBoundText = Annotated[  # FORM_DECIMAL (an integer field's bounds are whole numbers ≥ 0 too)
    DecimalText, msgspec.Meta(extra_json_schema={"pattern": r"^[0-9]{1,16}(\.[0-9]{1,6})?$", "minimum": 0})
]


class ReviewItem(msgspec.Struct, forbid_unknown_fields=True):
    """A pass/fail item of the qualification (资格评审) or preliminary (初步评审) review."""

    id: CriterionId
    text: NonBlank


class ScoredCriterion(msgspec.Struct, forbid_unknown_fields=True):
    """A scored criterion (评分因素); experts score it in multiples of ``step``, up to ``max_points``."""

    id: CriterionId
    group: Group
    name: NonBlank
    max_points: PositivePointsText
    step: PositivePointsText = "0.5"


class PriceRule(msgspec.Struct, forbid_unknown_fields=True):
    """How the price score is computed: the benchmark (评标基准价), its random coefficient below 1,
    and the points lost per percent above or below it."""

    benchmark: Benchmark = "mean"
    coefficient_max: CoefficientText = "0"
    above_per_percent: PositivePointsText = "1"
    below_per_percent: PointsText = "0.5"


class Criteria(msgspec.Struct, forbid_unknown_fields=True):
    """The evaluation method document (评标办法) evaluation/ reads."""

    method: Method
    qualification: list[ReviewItem] = msgspec.field(default_factory=list)
    preliminary: list[ReviewItem] = msgspec.field(default_factory=list)
    scored: list[ScoredCriterion] = msgspec.field(default_factory=list)
    price: PriceRule = msgspec.field(default_factory=PriceRule)
    anomaly_limit: Annotated[PositivePointsText, msgspec.Meta(description="异常低价 threshold, percent")] = (
        "20"
    )
    tenderer_representative: bool = False


class FormField(msgspec.Struct, forbid_unknown_fields=True):
    """A field of the bid form (投标函) bidders fill in; the form needs a decimal ``price``."""

    name: Annotated[str, msgspec.Meta(pattern=_FIELD.pattern, examples=["duration_days"])]
    label: str | None = None  # absent or empty: the name
    type: FieldType = "text"
    required: bool = True
    unit: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    minimum: Annotated[FormBoundText, msgspec.Meta(description="numbers only")] | None = None
    maximum: Annotated[FormBoundText, msgspec.Meta(description="numbers only")] | None = None
    options: (
        Annotated[list[NonBlank], msgspec.Meta(min_length=1, description="text fields only, distinct")] | None
    ) = None
    max_length: Annotated[int, msgspec.Meta(ge=1, le=100_000, description="text fields only")] | None = None


class FormFieldOut(msgspec.Struct, omit_defaults=True):
    """A bid form field as the tender publishes it (validate_form_fields' output): the label filled
    in, and the optional unit, limits and options present only when set."""

    name: str
    label: str
    type: FieldType
    required: bool
    unit: str | None = None
    minimum: str | int | None = None
    maximum: str | int | None = None
    options: list[str] | None = None
    max_length: int | None = None


def _plain(doc: Any) -> Any:
    """A Struct (a decoded request) as the plain JSON the validators and the database hold."""
    if isinstance(doc, msgspec.Struct):
        return msgspec.to_builtins(doc)
    if isinstance(doc, list):
        return [_plain(d) for d in doc]
    return doc


def _decimal(where: str, value: Any, *, positive: bool = True, bounds: Bounds = POINTS) -> Decimal:
    """Points and percentages (0..100, 4 places); a bid form's price is money (``MONEY``)."""
    if isinstance(value, Decimal):  # the documents are JSON: decimal strings (or whole numbers)
        raise CriteriaError(f"{where} must be a decimal string")
    try:
        number = decimal_input(value, where, bounds)
    except InvalidInput as exc:
        raise CriteriaError(exc.detail) from None
    if positive and number == 0:
        raise CriteriaError(f"{where} must be positive")
    return number


def _items(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = doc.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CriteriaError(f"{key} must be a list of objects")
    return items


def validate_criteria(doc: Any) -> dict[str, Any]:
    """Return the document if valid (normalised numbers), else CriteriaError naming the problem."""
    doc = _plain(doc)
    if not isinstance(doc, dict):
        raise CriteriaError("criteria must be a JSON object")
    known = ("method", "qualification", "preliminary", "scored", "price", "anomaly_limit")
    unknown = set(doc) - {*known, "tenderer_representative"}
    if unknown:
        raise CriteriaError(f"unknown criteria keys: {', '.join(sorted(unknown))}")
    method = doc.get("method")
    if method not in METHODS:
        raise CriteriaError(f"method must be one of {', '.join(METHODS)}")
    seen: set[str] = set()
    reviews: dict[str, list[dict[str, str]]] = {"qualification": [], "preliminary": []}
    for key, items in reviews.items():  # pass/fail items: 资格评审, 初步评审
        for item in _items(doc, key):
            ident, text = item.get("id"), item.get("text")
            if not isinstance(ident, str) or not _ID.match(ident) or ident in seen:
                raise CriteriaError(f"{key} id {ident!r} is missing, malformed or repeated")
            if not isinstance(text, str) or not text.strip():
                raise CriteriaError(f"{key} {ident}: text is required")
            seen.add(ident)
            items.append({"id": ident, "text": text.strip()})
    scored = []
    total = Decimal(0)
    for item in _items(doc, "scored"):
        ident = item.get("id")
        if not isinstance(ident, str) or not _ID.match(ident) or ident in seen:
            raise CriteriaError(f"criterion id {ident!r} is missing, malformed or repeated")
        seen.add(ident)
        if item.get("group") not in GROUPS:
            raise CriteriaError(f"criterion {ident}: group must be one of {', '.join(GROUPS)}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CriteriaError(f"criterion {ident}: name is required")
        points = _decimal(f"criterion {ident} max_points", item.get("max_points"))
        step = _decimal(f"criterion {ident} step", item.get("step", "0.5"))
        if points % step != 0:
            raise CriteriaError(f"criterion {ident}: max_points {points} is not a multiple of step {step}")
        total += points
        scored.append(
            {
                "id": ident,
                "group": item["group"],
                "name": name.strip(),
                "max_points": str(points),
                "step": str(step),
            }
        )
    if method == "comprehensive" and total != 100:
        raise CriteriaError(f"comprehensive scoring must total 100 points, not {total}")
    price_doc = doc.get("price", {})
    if not isinstance(price_doc, dict):
        raise CriteriaError("price must be an object")
    benchmark = price_doc.get("benchmark", "mean")
    if benchmark not in BENCHMARKS:
        raise CriteriaError(f"price benchmark must be one of {', '.join(BENCHMARKS)}")
    coefficient = _decimal("price coefficient_max", price_doc.get("coefficient_max", "0"), positive=False)
    if coefficient >= 1:
        raise CriteriaError("price coefficient_max must be below 1")
    price = {
        "benchmark": benchmark,
        "coefficient_max": str(coefficient),
        "above_per_percent": str(
            _decimal("price above_per_percent", price_doc.get("above_per_percent", "1"))
        ),
        "below_per_percent": str(
            _decimal("price below_per_percent", price_doc.get("below_per_percent", "0.5"), positive=False)
        ),
    }
    if method == "comprehensive" and not any(c["group"] == "price" for c in scored):
        raise CriteriaError("comprehensive scoring needs a price criterion")
    anomaly = _decimal("anomaly_limit", doc.get("anomaly_limit", "20"))
    if anomaly > 100:
        raise CriteriaError("anomaly_limit is a percentage (at most 100)")
    representative = doc.get("tenderer_representative", False)
    if not isinstance(representative, bool):
        raise CriteriaError("tenderer_representative must be true or false")
    return {
        "method": method,
        "qualification": reviews["qualification"],
        "preliminary": reviews["preliminary"],
        "scored": scored,
        "price": price,
        "anomaly_limit": str(anomaly),
        "tenderer_representative": representative,
    }


def validate_form_fields(fields: Any) -> list[dict[str, Any]]:
    fields = _plain(fields)
    if not isinstance(fields, list) or not fields or not all(isinstance(f, dict) for f in fields):
        raise CriteriaError("form_fields must be a non-empty list of objects")
    out, names = [], set()
    for f in fields:
        name, kind = f.get("name"), f.get("type", "text")
        if not isinstance(name, str) or not _FIELD.match(name) or name in names:
            raise CriteriaError(f"form field name {name!r} is missing, malformed or repeated")
        if kind not in FIELD_TYPES:
            raise CriteriaError(f"form field {name}: type must be one of {', '.join(FIELD_TYPES)}")
        label = f.get("label") or name
        if not isinstance(label, str):
            raise CriteriaError(f"form field {name}: label must be text")
        names.add(name)
        field = {"name": name, "label": label, "type": kind, "required": bool(f.get("required", True))}
        out.append(field | _field_limits(name, kind, f))
    if "price" not in names or next(f for f in out if f["name"] == "price")["type"] != "decimal":
        raise CriteriaError("the bid form must have a decimal 'price' field")
    return out


def _field_limits(name: str, kind: str, f: dict[str, Any]) -> dict[str, Any]:
    """A form field's optional unit and limits (decimal strings for decimals, ints for integers)."""
    extra: dict[str, Any] = {}
    unit = f.get("unit")
    if unit is not None:
        if not isinstance(unit, str) or len(unit) > 20:
            raise CriteriaError(f"form field {name}: unit must be short text")
        extra["unit"] = unit
    for key in ("minimum", "maximum"):
        if f.get(key) is None:
            continue
        if kind == "decimal":
            bounds = MONEY if name == "price" else FORM_DECIMAL
            extra[key] = str(_decimal(f"form field {name} {key}", f[key], positive=False, bounds=bounds))
        elif kind == "integer":
            try:
                extra[key] = int_input(f[key], f"form field {name} {key}")
            except InvalidInput as exc:
                raise CriteriaError(exc.detail) from None
        else:
            raise CriteriaError(f"form field {name}: only numbers have a {key}")
    if "minimum" in extra and "maximum" in extra and Decimal(extra["minimum"]) > Decimal(extra["maximum"]):
        raise CriteriaError(f"form field {name}: minimum above maximum")
    options = f.get("options")
    if options is not None:
        if kind != "text" or not isinstance(options, list) or not options:
            raise CriteriaError(f"form field {name}: options are a non-empty list, for text fields")
        if not all(isinstance(o, str) and o.strip() for o in options) or len(set(options)) != len(options):
            raise CriteriaError(f"form field {name}: options must be distinct texts")
        extra["options"] = list(options)
    if f.get("max_length") is not None:
        if kind != "text" or not isinstance(f["max_length"], int) or not 1 <= f["max_length"] <= 100_000:
            raise CriteriaError(f"form field {name}: max_length is 1..100000, for text fields")
        extra["max_length"] = f["max_length"]
    return extra


def default_criteria() -> dict[str, Any]:
    return validate_criteria(
        {
            "method": "comprehensive",
            "qualification": [
                {"id": "Q1", "text": "具有独立法人资格，营业执照有效"},
                {"id": "Q2", "text": "具有相应施工总承包资质及安全生产许可证"},
            ],
            "preliminary": [
                {"id": "R1", "text": "投标文件格式、签字盖章符合招标文件要求"},
                {"id": "R2", "text": "投标有效期、工期和质量标准实质性响应招标文件"},
            ],
            "scored": [
                {"id": "T1", "group": "technical", "name": "施工组织设计", "max_points": "30", "step": "0.5"},
                {
                    "id": "C1",
                    "group": "commercial",
                    "name": "企业业绩与信誉",
                    "max_points": "10",
                    "step": "1",
                },
                {"id": "P1", "group": "price", "name": "投标报价", "max_points": "60", "step": "0.01"},
            ],
            "price": {"benchmark": "trimmed_mean", "coefficient_max": "0.05"},
            "anomaly_limit": "20",
        }
    )
