"""Release packages, records with compiled releases, and exact JSON output (pure).

Compiling follows the OCDS 1.1 merge rules: releases in date order; objects merge field by field;
arrays of objects that all have an ``id`` merge by id; any other array or value is replaced; a null
removes the field.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from publication.config import OcdsConfig
from publication.ocds import EXTENSIONS

VERSION = "1.1"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def _merge_value(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        return _merge_object(old if isinstance(old, dict) else {}, new)
    if (
        isinstance(new, list)
        and new
        and all(isinstance(item, dict) and "id" in item for item in new)
        and isinstance(old, list)
        and all(isinstance(item, dict) and "id" in item for item in old)
    ):
        merged = {item["id"]: item for item in old}
        for item in new:
            merged[item["id"]] = _merge_object(merged.get(item["id"], {}), item)
        return list(merged.values())
    return copy.deepcopy(new)


def _merge_object(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_value(out.get(key), value)
    return out


def compile_releases(releases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release: the latest state of every field, tagged ``compiled``."""
    if not releases:
        raise ValueError("nothing to compile")
    ordered = sorted(releases, key=lambda r: (r["date"], r["id"]))
    compiled: dict[str, Any] = {}
    for release in ordered:
        compiled = _merge_object(compiled, {k: v for k, v in release.items() if k not in ("id", "tag")})
    latest = ordered[-1]
    compiled["id"] = f"{latest['ocid']}-compiled-{latest['id'].rsplit('-', 1)[-1]}"
    compiled["tag"] = ["compiled"]
    compiled["date"] = latest["date"]
    return compiled


def _publisher(config: OcdsConfig) -> dict[str, Any]:
    return {"name": config.publisher, "uri": config.base_url}


def release_package(
    config: OcdsConfig, releases: Sequence[dict[str, Any]], uri: str, **extra: Any
) -> dict[str, Any]:
    """A release package; ``publishedDate`` is the newest release's date (stable for the same data)."""
    if not releases:
        raise ValueError("a release package holds at least one release")
    package: dict[str, Any] = {
        "uri": uri,
        "version": VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": max(r["date"] for r in releases),
        "publisher": _publisher(config),
        "license": LICENSE,
        "releases": list(releases),
    }
    package.update(extra)
    return package


def record(ocid: str, releases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(releases, key=lambda r: (r["date"], r["id"]))
    return {"ocid": ocid, "releases": ordered, "compiledRelease": compile_releases(ordered)}


def record_package(config: OcdsConfig, records: Sequence[dict[str, Any]], uri: str) -> dict[str, Any]:
    if not records:
        raise ValueError("a record package holds at least one record")
    return {
        "uri": uri,
        "version": VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": max(r["compiledRelease"]["date"] for r in records),
        "publisher": _publisher(config),
        "license": LICENSE,
        "records": list(records),
    }


def _exact(value: Any) -> Any:
    """Decimal money as a JSON number with exactly its digits (refuse anything a float would change)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        number = float(value)
        if Decimal(repr(number)) != value:
            raise ValueError(f"{value} cannot be written exactly as a JSON number")
        return number
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any, *, indent: int | None = None) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_exact, indent=indent, sort_keys=False).encode()
