"""Indicators over the evidence bidding captured at the source (pure; numpy where it pays).

The shared-evidence rules E1–E7 group a lot's bidders by one piece of evidence each (the sealing
device, the uploading account, the project manager, an attachment's SHA-256, the client's public
address, a document's author, the account a cash deposit was paid from), through
``indicators.shared_evidence``. Two rules read the documents'
text (bidding/evidence.py extracts it from DOCX/XLSX/PDF at the opening):

- T1 技术文件异常一致 — Art. 40(4): the technical documents of two bidders are "abnormally identical" when
  the Jaccard similarity of their sets of character shingles reaches ``TEXT_SIMILARITY.threshold``.
  The sets are compared exactly, all pairs in one sort (``shared_counts``: no MinHash estimate, so a
  flag never depends on a random permutation); a shingle is ``SHINGLE`` consecutive characters of
  the text with whitespace removed and letters case-folded, hashed to 64 bits by a rolling polynomial.
- M1 投标文件相互混装 — Art. 40(5): bidder A's package names bidder B of the same lot (its company name
  or its unified social credit code) at least ``MIXED_UP.threshold`` times.

See docs/integrity-evidence.md for what is captured and hashed, and how each rule reads it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from integrity.indicators import (
    ART_40_1,
    ART_40_2,
    ART_40_4,
    SHARED,
    SHARED_ZH,
    Rule,
    SharedGroup,
    shared_evidence,
)

ART_40_5 = "《招标投标法实施条例》第四十条第（五）项"
ART_40_6 = "《招标投标法实施条例》第四十条第（六）项"

SAME_IP = Rule("E5", "同一网络地址上传", "uploaded from the same address", ART_40_2, 2, 2, SHARED, SHARED_ZH)
SAME_ACCOUNT = Rule(
    "E7", "保证金从同一账户转出", "deposits paid from the same account", ART_40_6, 2, 2, SHARED, SHARED_ZH
)
SAME_AUTHOR = Rule("E6", "文件作者相同", "documents by the same author", ART_40_1, 2, 2, SHARED, SHARED_ZH)
TEXT_SIMILARITY = Rule(
    "T1",
    "技术文件异常一致",
    "technical documents abnormally alike",
    ART_40_4,
    threshold=0.80,
    min_bids=2,
    why="two bidders' document texts share at least 80% of their 8-character shingles (Jaccard similarity)",
    why_zh="两家投标人文件文本的8字片段集合相似度（Jaccard）不低于80%",
)
MIXED_UP = Rule(
    "M1",
    "投标文件相互混装",
    "documents mixed up between bidders",
    ART_40_5,
    threshold=1,
    min_bids=2,
    why="a bidder's package names another bidder of the lot (company name or credit code) at least once",
    why_zh="投标文件中出现本标段另一投标人的单位名称或统一社会信用代码至少1次",
)
SHINGLE = 8
NAME_MIN = 4  # a company name shorter than this is not searched for (too likely by chance)
# Authors that office software writes by default: they tell nothing about who wrote a document.
GENERIC_AUTHORS = frozenset(
    {
        "",
        "administrator",
        "admin",
        "user",
        "owner",
        "微软用户",
        "microsoft office user",
        "作者",
        "author",
        "unknown",
    }
)

Ints = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
_BASE = np.uint64(1_000_003)


def normalise(text: str) -> str:
    return "".join(text.split()).casefold()


def shingles(text: str, k: int = SHINGLE) -> U64:
    """The distinct 64-bit hashes of ``text``'s k-character shingles (normalised first), sorted."""
    codes = np.frombuffer(normalise(text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if codes.size < k:
        return np.empty(0, dtype=np.uint64)
    n = codes.size - k + 1
    hashes = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        for j in range(k):
            hashes = hashes * _BASE + codes[j : j + n]
    hashes.sort()
    return hashes[np.r_[True, hashes[1:] != hashes[:-1]]]


def jaccard(a: U64, b: U64) -> float:
    if not a.size or not b.size:
        return 0.0
    both = np.intersect1d(a, b, assume_unique=True).size
    return both / (a.size + b.size - both)


@dataclass(frozen=True)
class Pair:
    first: int
    second: int
    measure: float


def shared_counts(sets: Sequence[U64]) -> Ints:
    """``out[i, j]``: how many shingles sets ``i`` and ``j`` share, for every pair at once.

    One sort of all the sets together: each distinct shingle gets the bitmask of the sets holding it,
    and each distinct bitmask adds its count to the pairs it covers (a lot's bids fit in 64 bits; a
    larger lot is compared pair by pair)."""
    n = len(sets)
    out = np.zeros((n, n), dtype=np.int64)
    if n > 64:
        for i in range(n):
            for j in range(i + 1, n):
                out[i, j] = out[j, i] = np.intersect1d(sets[i], sets[j], assume_unique=True).size
        return out
    sizes = np.array([x.size for x in sets], dtype=np.int64)
    if not sizes.sum():
        return out
    hashes = np.concatenate(sets)
    owner = np.repeat(np.arange(n, dtype=np.uint64), sizes)
    order = np.argsort(hashes, kind="stable")
    hashes, owner = hashes[order], owner[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    masks = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), owner), starts)
    masks = masks[(masks & (masks - np.uint64(1))) != 0]  # held by two or more sets
    for mask, count in zip(*np.unique(masks, return_counts=True), strict=True):
        members = [i for i in range(n) if int(mask) >> i & 1]
        for a, i in enumerate(members):
            for j in members[a + 1 :]:
                out[i, j] += count
                out[j, i] += count
    return out


def similar_texts(texts: Sequence[str], rule: Rule = TEXT_SIMILARITY) -> list[Pair]:
    """Pairs of bids whose texts reach the rule's Jaccard threshold (bids without text never pair)."""
    sets = [shingles(t) for t in texts]
    both = shared_counts(sets)
    out = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            union = sets[i].size + sets[j].size - both[i, j]
            measure = float(both[i, j] / union) if union and both[i, j] else 0.0
            if measure >= rule.threshold:
                out.append(Pair(i, j, measure))
    return out


def account_key(value: str | None) -> str:
    """A payer account as compared: digits and letters only, case-folded (spaces and dashes vary)."""
    return "".join(ch for ch in (value or "") if ch.isalnum()).casefold()


def masked_account(value: str) -> str:
    """An account (as ``account_key`` compares it) as a flag shows it: its last four characters."""
    return f"****{value[-4:]}"


def mixed_up(
    texts: Sequence[str], names: Sequence[str], codes: Sequence[str], rule: Rule = MIXED_UP
) -> list[Pair]:
    """(A, B, mentions): bid A's text names bidder B (B ≠ A) at least ``threshold`` times."""
    haystacks = [normalise(t) for t in texts]
    needles = [
        [n for n in (normalise(name), normalise(code)) if len(n) >= NAME_MIN]
        for name, code in zip(names, codes, strict=True)
    ]
    own = [set(n) for n in needles]
    out = []
    for a, text in enumerate(haystacks):
        if not text:
            continue
        for b, names_of_b in enumerate(needles):
            if b == a:
                continue
            # B's name inside A's own name (吉林宏达 naming itself holds 宏达) is A naming itself, not B.
            count = sum(text.count(n) - sum(text.count(m) for m in own[a] if n in m) for n in names_of_b)
            if count >= rule.threshold:
                out.append(Pair(a, b, float(count)))
    return out


def public_address(address: str | None) -> str | None:
    """A client address that can tell bidders apart: global unicast only (a loopback, private or
    unparsable address is the platform's own proxy or a local test, and every bid would share it)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    return str(ip) if ip.is_global else None


def author_key(value: str | None) -> str | None:
    key = " ".join((value or "").split()).casefold()
    return None if key in GENERIC_AUTHORS else key


def groups_by(values: Sequence[Sequence[str]]) -> tuple[list[SharedGroup], list[str]]:
    """Bidders (by position) sharing a value; ``values[i]`` are bidder i's values. Returns the groups
    and the distinct values, which a group's ``key`` indexes."""
    rows = [(i, v) for i, vs in enumerate(values) for v in vs]
    if not rows:
        return [], []
    distinct, keys = np.unique([v for _, v in rows], return_inverse=True)
    bidders = np.array([i for i, _ in rows], dtype=np.int64)
    lots = np.zeros(len(rows), dtype=np.int64)
    return shared_evidence(lots, bidders, keys.astype(np.int64)), [str(v) for v in distinct]
