"""The specialty tree (modelled on 公共资源交易评标专家专业分类标准), shipped as data/specialties.csv.

Codes: one letter per category (A 工程类 …), two digits per class (A01), two per leaf (A0101).
Experts hold leaf codes only, so a draw asks for exactly the specialty it needs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.errors import InvalidInput

DATA = Path(__file__).parent / "data" / "specialties.csv"


@dataclass(frozen=True)
class Specialty:
    code: str
    parent: str | None
    name: str
    level: str  # category | class | leaf


@cache
def tree() -> dict[str, Specialty]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        return {
            row["code"]: Specialty(row["code"], row["parent"] or None, row["name"], row["level"])
            for row in csv.DictReader(fh)
        }


def leaves() -> list[Specialty]:
    return [s for s in tree().values() if s.level == "leaf"]


def categories() -> list[Specialty]:
    return [s for s in tree().values() if s.level == "category"]


def path_name(code: str) -> str:
    """ "工程类 / 房屋建筑工程 / 房屋建筑勘察" for a leaf code."""
    names: list[str] = []
    node = tree().get(code)
    while node is not None:
        names.append(node.name)
        node = tree().get(node.parent) if node.parent else None
    return " / ".join(reversed(names))


def validate_leaf(code: str, *, field: str = "specialty") -> str:
    code = code.strip().upper()
    node = tree().get(code)
    if node is None or node.level != "leaf":
        raise InvalidInput(
            f"{field}: 专业代码 {code!r} 不是专业分类中的末级专业 (not a leaf of the specialty tree)",
            code="bad_specialty",
        )
    return code
