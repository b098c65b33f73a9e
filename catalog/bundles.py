"""一件事 arithmetic (pure): the merged materials list and the combined time limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog.pinyin import normalise


@dataclass(frozen=True)
class BundlePart:
    """What merging needs of one item: its name, promised and statutory days, materials."""

    name: str
    promised_days: int
    statutory_days: int
    materials: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class MergedMaterial:
    name: str
    copies: int
    original: bool
    deferrable: bool
    for_items: tuple[str, ...]


def merge_materials(parts: Sequence[BundlePart]) -> list[MergedMaterial]:
    """One line per material, however many items ask for it (一次提交、多方复用).

    Materials are the same when their normalised names are. The applicant brings the most copies any
    item asks for, shows the original if any item needs it, and may defer it (容缺) only if every
    item asking for it allows that, since one strict item is enough to block acceptance.
    """
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for material in part.materials:
            key = normalise(str(material["name"]))
            entry = merged.setdefault(
                key,
                {"name": material["name"], "copies": 0, "original": False, "deferrable": True, "items": []},
            )
            entry["copies"] = max(entry["copies"], int(material.get("copies", 1)))
            entry["original"] = entry["original"] or bool(material.get("original"))
            entry["deferrable"] = entry["deferrable"] and bool(material.get("deferrable"))
            if part.name not in entry["items"]:
                entry["items"].append(part.name)
    return [
        MergedMaterial(e["name"], e["copies"], e["original"], e["deferrable"], tuple(e["items"]))
        for e in merged.values()
    ]


@dataclass(frozen=True)
class BundleLimits:
    parallel_promised: int  # 并联: every item at once, so the slowest one decides
    serial_promised: int  # one after the other, for comparison
    parallel_statutory: int
    materials_before: int  # material lines summed over the items
    materials_after: int  # after merging


def limits(parts: Sequence[BundlePart]) -> BundleLimits:
    return BundleLimits(
        parallel_promised=max((p.promised_days for p in parts), default=0),
        serial_promised=sum(p.promised_days for p in parts),
        parallel_statutory=max((p.statutory_days for p in parts), default=0),
        materials_before=sum(len(p.materials) for p in parts),
        materials_after=len(merge_materials(parts)),
    )
