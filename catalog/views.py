"""What the catalog's JSON API answers for items (and the pages show): msgspec Structs, so
/schema/openapi.json states them as they are written."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from catalog.bundles import BundleLimits, MergedMaterial
from catalog.items import MAX_DAYS, Fee, Material
from catalog.models import Item

# The closed vocabularies of catalog/codes.py, as the schema states them (a test keeps them equal).
Kind = Literal[
    "行政审批",
    "行政处罚",
    "行政征收",
    "行政给付",
    "行政奖励",
    "行政强制",
    "行政确认",
    "行政裁决",
    "行政规划",
    "其他",
]
HandlingType = Literal["即办件", "承诺件", "上报件"]  # on the spot, promised, referred up
Level = Literal["city", "county", "town"]
ServiceObject = Literal["person", "company"]
CaseState = Literal["accepted", "processing", "done", "returned"]
Warning = Literal["green", "yellow", "red"]
Rating = Literal["good", "bad"]  # 好评, 差评

_NOT_BLANK = r"\S"  # the catalog strips text, so "at least one character" means a non-blank one


Text100 = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_NOT_BLANK)]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_NOT_BLANK)]
Text500 = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=_NOT_BLANK)]
Text4000 = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=_NOT_BLANK)]


Days = Annotated[int, msgspec.Meta(ge=0, le=MAX_DAYS, description="working days (工作日)")]
ITEM_CODE = r"^(XK|CF|ZS|JF|JL|QZ|QR|CJ|GH|QT)\d{11}$"


class ItemSummary(msgspec.Struct, kw_only=True):
    """An item (事项) as a search lists it."""

    id: int
    code: str
    name: str
    kind: str
    department: str
    level: str
    region_code: str
    handling_type: str
    statutory_days: int
    promised_days: int
    online: bool
    service_objects: list[str]


class ItemOut(ItemSummary, kw_only=True):
    """The current version of an item, with everything an applicant needs to bring and pay."""

    department_id: int
    implementing_body: str
    legal_basis: str
    materials: list[Material]
    fees: list[Fee]
    free: bool
    steps: list[str]
    delegated: bool
    version: int
    updated_at: datetime


def summary_out(item: Item, department: str) -> ItemSummary:
    return ItemSummary(**_summary_fields(item, department))


def _summary_fields(item: Item, department: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "kind": item.kind,
        "department": department,
        "level": item.level,
        "region_code": item.region_code,
        "handling_type": item.handling_type,
        "statutory_days": item.statutory_days,
        "promised_days": item.promised_days,
        "online": item.online,
        "service_objects": item.service_objects.split(","),
    }


def item_out(item: Item, department: str) -> ItemOut:
    # materials and fees are stored as the JSON of Material and Fee (ItemInput.as_json)
    return ItemOut(
        **_summary_fields(item, department),
        department_id=item.department_id,
        implementing_body=item.implementing_body,
        legal_basis=item.legal_basis,
        materials=[Material(**m) for m in item.materials],
        fees=[Fee(**f) for f in item.fees],
        free=not item.fees,
        steps=list(item.steps),
        delegated=item.delegated,
        version=item.version,
        updated_at=item.updated_at,
    )


# ---- request bodies: what parse_item / bundling._validate check, as the schema states it -------


class MaterialBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A material (申请材料) an applicant brings."""

    name: Text200
    copies: Annotated[int, msgspec.Meta(ge=1, le=20)] = 1
    original: bool = False
    deferrable: bool = False


class FeeBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A fee (收费项目) with its legal basis and standard."""

    name: Text200
    basis: Text500
    standard: Text200


class ItemBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An item (事项) as staff write it. The code's two letters must be the kind's (行政审批 XK,
    行政处罚 CF, 行政征收 ZS, 行政给付 JF, 行政奖励 JL, 行政强制 QZ, 行政确认 QR, 行政裁决 CJ, 行政规划 GH,
    其他 QT) and its main item is not 00000; promised_days is 0 for 即办件, at least 1 otherwise, and at
    most statutory_days when that is not 0; a city-level item is not delegated. (Those rules link
    fields, so they answer 422 rather than being stated per field.)"""

    code: Annotated[
        str,
        msgspec.Meta(
            pattern=ITEM_CODE,
            description="GB/T 39554.1: kind letters, 5-digit main, 3-digit sub and 3-digit handling item",
            examples=["XK00101001002"],
        ),
    ]
    name: Text200
    kind: Kind
    department: Text100
    implementing_body: Annotated[str, msgspec.Meta(max_length=100)] = ""
    legal_basis: Text4000
    service_objects: Annotated[list[ServiceObject], msgspec.Meta(min_length=1)]
    materials: list[MaterialBody] = []
    statutory_days: Days
    promised_days: Days
    handling_type: HandlingType
    fees: list[FeeBody] = []
    steps: list[str] = []
    online: bool = False
    level: Level = "city"
    region_code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="GB/T 2260 region code")] = (
        "220200"
    )
    delegated: bool = False


class BundleBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A 一件事 bundle: several items an applicant handles as one."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{2,32}$", examples=["YJS-CY-001"])]
    name: Text200
    description: str = ""
    service_object: ServiceObject = "company"
    items: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=40)]],
        msgspec.Meta(
            min_length=2,
            description="at least two distinct item codes: ``code`` (city level) or ``code@region``",
            examples=[["XK00101001000", "XK00103001000@220281"]],
        ),
    ]
    replace: bool = True


# ---- answers ----------------------------------------------------------------------------------


class ItemSnapshot(msgspec.Struct, kw_only=True):
    """An item's versioned fields as a version stored them (catalog/service.py ``snapshot``: the
    ``VERSIONED_FIELDS`` and ``department_id``, unchanged since the catalog's first version)."""

    code: str
    name: str
    kind: str
    department_id: int
    implementing_body: str
    legal_basis: str
    service_objects: Annotated[
        str, msgspec.Meta(description="as stored: person, company or person,company", examples=["person"])
    ]
    materials: list[Material]
    statutory_days: int
    promised_days: int
    handling_type: str
    fees: list[Fee]
    steps: list[str]
    online: bool
    level: str
    region_code: str
    delegated: bool


class ItemVersionOut(msgspec.Struct, kw_only=True):
    """One version of an item: who changed which fields, and the item as it then was."""

    version: int
    changed_at: datetime
    actor: str
    changed_fields: list[str]
    snapshot: ItemSnapshot


class BundleMember(msgspec.Struct, kw_only=True):
    id: int
    code: str
    ref: str  # code, or code@region for items below the city
    name: str
    department: str
    promised_days: int
    statutory_days: int
    materials: int  # how many materials the item asks for on its own


class BundleOut(msgspec.Struct, kw_only=True):
    """A 一件事 with its items, merged materials (一次提交) and combined time limits (并联)."""

    id: int
    code: str
    name: str
    description: str
    service_object: ServiceObject
    items: list[BundleMember]
    materials: list[MergedMaterial]
    limits: BundleLimits


class KindCount(msgspec.Struct, kw_only=True):
    kind: str
    count: int


class LevelCount(msgspec.Struct, kw_only=True):
    level: Level
    count: int


class DepartmentCount(msgspec.Struct, kw_only=True):
    department: str
    count: int


class TimeLimits(msgspec.Struct, kw_only=True):
    items_counted: int
    avg_statutory_days: float | None
    avg_promised_days: float | None
    compression_rate: float | None  # 1 - Σpromised / Σstatutory


class OnlineShare(msgspec.Struct, kw_only=True):
    items: int
    share: float | None


class DepartmentCases(msgspec.Struct, kw_only=True):
    department: str
    finished: int
    on_time: int
    on_time_rate: float | None
    ratings: int
    good: int
    good_rate: float | None


class CatalogStatistics(msgspec.Struct, kw_only=True):
    """What a hall publishes: items per kind/level/department, compression, online share, cases."""

    items: int
    by_kind: list[KindCount]
    by_level: list[LevelCount]
    delegated: int
    by_department: list[DepartmentCount]
    time_limits: TimeLimits
    online: OnlineShare
    cases_by_department: list[DepartmentCases]


class CaseOut(msgspec.Struct, kw_only=True):
    """A case (办件) with its deadline and warning (null once finished); the applicant is masked."""

    number: str
    item_id: int
    item: str | None
    item_code: str | None
    department_id: int
    applicant: str
    state: CaseState
    promised_days: int
    accepted_at: datetime
    deadline_at: datetime
    finished_at: datetime | None
    used_share: float
    warning: Warning | None
    rating: Rating | None
    rating_reason: str | None
    note: str


class MovedCase(CaseOut, kw_only=True):
    """A case after a move; finishing it (done, returned) also answers the one-time rating secret."""

    rating_token: str | None = None
    rating_link: str | None = None


class WarningCounts(msgspec.Struct, kw_only=True):
    red: int
    yellow: int
    green: int


class BoardDepartment(msgspec.Struct, kw_only=True):
    department: str
    department_id: int
    counts: WarningCounts
    cases: list[CaseOut]


class CaseBoard(msgspec.Struct, kw_only=True):
    """The supervision board: open cases per department, the most red first."""

    now: datetime
    yellow_share: float
    departments: list[BoardDepartment]
