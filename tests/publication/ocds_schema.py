"""Validate OCDS packages against the official 1.1 schema and codelists in ../shared/ocds (offline).

The schema's ``$ref``s point at https://standard.open-contracting.org/schema/1__1__5/<file>; a
referencing registry maps each of those URLs to the local file, so nothing is fetched. Closed
codelists are checked against their CSV (the schema's enums cover most, the CSV is the authority);
``date-time`` and ``uri`` formats are checked too.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.services import missing

BASE = "https://standard.open-contracting.org/schema/1__1__5/"
FILES = (
    "release-schema.json",
    "release-package-schema.json",
    "record-package-schema.json",
    "versioned-release-validation-schema.json",
)
# The bid extension's closed codelist (bidStatus.csv of ocds_bid_extension v1.1.5); the extension's
# own schema is not in ../shared, so its fields are checked by these few rules only.
BID_STATUS = {"invited", "pending", "valid", "disqualified", "withdrawn"}


def ocds_dir() -> Path:
    env = os.environ.get("SUNBID_SHARED_DIR")
    shared = Path(env) if env else Path(__file__).resolve().parents[3] / "shared"
    folder = shared / "ocds"
    if not (folder / "release-schema.json").is_file():
        missing(f"the OCDS schema is not at {folder} (set SUNBID_SHARED_DIR)")
    return folder


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ocds_dir() / name).read_text("utf-8"))
    return data


@cache
def _registry() -> Registry:
    return Registry().with_resources(
        (BASE + name, Resource.from_contents(_load(name), default_specification=DRAFT4)) for name in FILES
    )


def _formats() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        moment = datetime.fromisoformat(value)
        return moment.tzinfo is not None and "T" in value

    @checker.checks("uri")
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) and " " not in value

    return checker


@cache
def _codes(codelist: str) -> frozenset[str]:
    with (ocds_dir() / "codelists" / codelist).open(encoding="utf-8") as fh:
        return frozenset(row["Code"] for row in csv.DictReader(fh))


def _codelist_errors(instance: Any, schema: dict[str, Any], path: str, out: list[str]) -> None:
    codelist = schema.get("codelist")
    if codelist and not schema.get("openCodelist", False) and instance is not None:
        for value in instance if isinstance(instance, list) else [instance]:
            if value not in _codes(codelist):
                out.append(f"{path}: {value!r} is not in the closed codelist {codelist}")
    if isinstance(instance, dict):
        for key, value in instance.items():
            sub = schema.get("properties", {}).get(key)
            if isinstance(sub, dict):
                _codelist_errors(value, sub, f"{path}/{key}", out)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(instance):
            _codelist_errors(item, schema["items"], f"{path}[{i}]", out)


def _release_rules(release: dict[str, Any], path: str, out: list[str]) -> None:
    _codelist_errors(release, _load("dereferenced-release-schema.json"), path, out)
    for i, detail in enumerate(release.get("bids", {}).get("details", [])):
        if detail.get("status") not in BID_STATUS:
            out.append(f"{path}/bids/details[{i}]: status {detail.get('status')!r}")
        if not detail.get("id") or not detail.get("tenderers"):
            out.append(f"{path}/bids/details[{i}]: id and tenderers are required")


def errors(package: Any) -> list[str]:
    """Every problem with a release or record package (empty when it is valid)."""
    kind = "record-package-schema.json" if "records" in package else "release-package-schema.json"
    validator = Draft4Validator(_load(kind), registry=_registry(), format_checker=_formats())
    out = [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)
    ]
    for i, release in enumerate(package.get("releases", [])):
        _release_rules(release, f"releases[{i}]", out)
    for i, record in enumerate(package.get("records", [])):
        for j, release in enumerate(record.get("releases", [])):
            _release_rules(release, f"records[{i}]/releases[{j}]", out)
        _release_rules(record["compiledRelease"], f"records[{i}]/compiledRelease", out)
    return out


def assert_valid(package: Any) -> None:
    problems = errors(package)
    assert problems == [], "\n".join(problems[:20])
