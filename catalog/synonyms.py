"""What citizens type, mapped to the words the catalog uses: kept as data in catalog/data/synonyms.csv.

People search for 开饭店 or 营业执照; the catalog says 食品经营许可 and 我要开餐馆. A query word that
contains a listed term (开饭店, 我想开饭店) is expanded to the term's catalog words; an item or bundle
matching the word itself or any of them is found. The file is read once; rows are added there, not here.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.csv"


@cache
def synonyms(path: Path = SYNONYMS_FILE) -> dict[str, tuple[str, ...]]:
    """term → the catalog's words (file order), from the CSV (``#`` lines are comments)."""
    lines = [
        line for line in path.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")
    ]
    out: dict[str, tuple[str, ...]] = {}
    for row in csv.DictReader(lines):
        term, means = row["term"].strip(), row["means"].strip()
        if term and means:
            out[term] = tuple(dict.fromkeys(m.strip() for m in means.split("|") if m.strip()))
    return out


def alternatives(word: str) -> tuple[str, ...]:
    """The word itself, then the catalog words of every listed term the word contains."""
    found: dict[str, None] = {word: None}
    for term, means in synonyms().items():
        if term in word:
            found.update(dict.fromkeys(means))
    return tuple(found)
