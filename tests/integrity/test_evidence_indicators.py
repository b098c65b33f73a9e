"""Worked examples of the evidence indicators at their thresholds (integrity/evidence.py): text
similarity (Art. 40(4)) just below and at 0.80, mixed-up documents (Art. 40(5)) at zero and one
mention, and the shared-evidence rules over captured evidence through ``review_bids``."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from bidding.service import BidEvidence, OpenedBid
from integrity.evidence import (
    MIXED_UP,
    SHINGLE,
    TEXT_SIMILARITY,
    jaccard,
    mixed_up,
    public_address,
    shared_counts,
    shingles,
    similar_texts,
)
from integrity.service import review_bids

# 100 distinct characters: a text of n of them has exactly n - SHINGLE + 1 distinct shingles.
ALPHABET = [chr(0x4E00 + i) for i in range(400)]


def text(start: int, length: int) -> str:
    return "".join(ALPHABET[start : start + length])


def test_shingles_ignore_whitespace_and_case() -> None:
    assert np.array_equal(shingles("Ab Cd\nEfGh"), shingles("abcdefgh"))
    assert shingles("abcdefgh").size == 1 and shingles("abcdefg").size == 0


def test_text_similarity_threshold_worked_example() -> None:
    # a: characters 0..107 → 101 shingles. b shares the first m+7 characters, then goes its own way.
    # Shared shingles s, each text 101: Jaccard = s / (202 - s). 0.80 needs s ≥ 89.78 → s = 90 flags
    # (90/112 = 0.8036); s = 89 does not (89/113 = 0.7876).
    a = text(0, 108)
    assert shingles(a).size == 101
    for shared, flagged in ((89, False), (90, True)):
        b = text(0, shared + SHINGLE - 1) + text(200, 108 - (shared + SHINGLE - 1))
        sa, sb = shingles(a), shingles(b)
        assert np.intersect1d(sa, sb).size == shared and sb.size == 101
        assert jaccard(sa, sb) == shared / (202 - shared)
        pairs = similar_texts([a, b, text(300, 50)])
        assert bool(pairs) is flagged, (shared, jaccard(sa, sb))
        if flagged:
            assert (pairs[0].first, pairs[0].second) == (0, 1)
            assert pairs[0].measure >= TEXT_SIMILARITY.threshold
    assert TEXT_SIMILARITY.basis.endswith("第四十条第（四）项") and TEXT_SIMILARITY.threshold == 0.80


def test_empty_texts_never_pair() -> None:
    assert similar_texts(["", "", "短"]) == []


def test_mixed_up_documents_worked_example() -> None:
    names = ["吉林宏达建设有限公司", "吉林顺通建筑工程有限公司"]
    codes = ["91220281MA0000001X", "91220281MA0000002X"]
    clean = "吉林宏达建设有限公司投标文件：施工组织设计"
    assert mixed_up([clean, "顺通的文件"], names, codes) == []  # 0 mentions of another bidder: none
    by_name = clean + "。联系人：吉林顺通建筑工程有限公司 张三"
    [pair] = mixed_up([by_name, ""], names, codes)
    assert (pair.first, pair.second, pair.measure) == (0, 1, 1.0)  # 1 mention (the threshold): flag
    by_code = clean + " 信用代码 91220281MA0000002X"
    assert [(p.first, p.second) for p in mixed_up([by_code, ""], names, codes)] == [(0, 1)]
    assert MIXED_UP.threshold == 1 and MIXED_UP.basis.endswith("第四十条第（五）项")


def test_a_bidder_naming_itself_or_its_own_branch_is_not_mixed_up() -> None:
    names = ["宏达建设有限公司", "吉林宏达建设有限公司"]  # the first is inside the second's name
    codes = ["91220281MA0000001X", "91220281MA0000002X"]
    assert mixed_up(["", "本公司吉林宏达建设有限公司承诺"], names, codes) == []
    # the shorter name on its own, beside the bidder's own name, is the other bidder again
    [pair] = mixed_up(["", "本公司吉林宏达建设有限公司承诺，分包给宏达建设有限公司"], names, codes)
    assert (pair.first, pair.second, pair.measure) == (1, 0, 1.0)


def test_only_public_addresses_count() -> None:
    assert public_address("8.8.8.8") == "8.8.8.8"
    for local in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "testclient", None, "::1"):
        assert public_address(local) is None


def bid(n: int, manager: str = "") -> OpenedBid:
    return OpenedBid(
        f"CODE{n}", f"公司{n}", f"sub-{n}", Decimal(1000 + 137 * n * n), 365, "合格", manager, None, None
    )


def evidence(n: int, **over: object) -> BidEvidence:
    base: dict[str, object] = {
        "submission_id": f"sub-{n}",
        "uploader": f"user{n}",
        "client_ip": f"8.8.8.{n}",
        "user_agent": "Mozilla/5.0",
        "device": f"{n:064x}",
        "files": (),
        "text": "",
        "manager_id": None,
        "manager_id_tail": None,
    }
    base.update(over)
    return BidEvidence(**base)  # type: ignore[arg-type]


def test_distinct_evidence_raises_nothing() -> None:
    bids = [bid(1, "甲"), bid(2, "乙"), bid(3, "丙")]
    found = {b.submission_id: evidence(i + 1) for i, b in enumerate(bids)}
    assert review_bids(bids, Decimal(100000), None, found) == []


def test_shared_evidence_flags_name_the_bidders_and_the_evidence() -> None:
    bids = [bid(1, "李四"), bid(2, "李四"), bid(3, "王五")]
    doc = {"name": "attachments/tech.docx", "sha256": "ab" * 32, "size": 10, "author": "张工"}
    found = {
        "sub-1": evidence(
            1, device="d" * 64, client_ip="8.8.8.8", files=(doc,), manager_id="m1", manager_id_tail="123X"
        ),
        "sub-2": evidence(
            2, device="d" * 64, client_ip="8.8.8.8", files=(doc,), manager_id="m2", manager_id_tail="456X"
        ),
        "sub-3": evidence(
            3, uploader="user1", files=({**doc, "sha256": "cd" * 32, "author": "Administrator"},)
        ),
    }
    flags = {f.rule.code: f for f in review_bids(bids, Decimal(100000), None, found)}
    # E3 by ID number: 李四 in bids 1 and 2 are two people (different ID numbers), so no flag
    assert set(flags) == {"E1", "E2", "E4", "E5", "E6"}
    assert flags["E1"].bidders == ("公司1", "公司2") and flags["E1"].figures == (
        "设备指纹 (device fingerprint) dddddddddddd…",
    )
    assert flags["E2"].bidders == ("公司1", "公司3") and flags["E2"].figures == (
        "上传账号 (uploading account) user1",
    )
    assert flags["E4"].figures == (
        "SHA-256 abababababab…",
        "公司1: attachments/tech.docx",
        "公司2: attachments/tech.docx",
    )
    assert flags["E5"].figures == ("上传地址 (address) 8.8.8.8",)
    assert flags["E6"].bidders == ("公司1", "公司2")  # "Administrator" is an office default: not evidence
    assert flags["E1"].codes == ("CODE1", "CODE2")


def test_the_same_manager_id_flags_even_under_different_names() -> None:
    bids = [bid(1, "李四"), bid(2, "李 四"), bid(3, "王五")]
    found = {
        "sub-1": evidence(1, manager_id="same", manager_id_tail="123X"),
        "sub-2": evidence(2, manager_id="same", manager_id_tail="123X"),
        "sub-3": evidence(3, manager_id="other", manager_id_tail="999X"),
    }
    [flag] = review_bids(bids, Decimal(100000), None, found)
    assert flag.rule.code == "E3" and flag.bidders == ("公司1", "公司2")
    assert flag.figures == ("李四（身份证号末四位 / ID number ending 123X）",)


def test_shared_counts_in_one_pass_equal_the_pairwise_intersections() -> None:
    rng = np.random.default_rng(3)
    sets = [np.unique(rng.integers(0, 500, size=300).astype(np.uint64)) for _ in range(6)]
    sets.append(np.empty(0, dtype=np.uint64))
    counts = shared_counts(sets)
    for i in range(len(sets)):
        for j in range(len(sets)):
            if i != j:
                assert counts[i, j] == np.intersect1d(sets[i], sets[j]).size


def test_deposits_from_one_account_flag_e7_and_show_only_its_last_four() -> None:
    bids = [bid(1, "甲"), bid(2, "乙"), bid(3, "丙")]
    same = {"CODE1": ["6222-0200-1111-9876"], "CODE2": ["6222 0200 1111 9876"], "CODE3": ["6222020055554321"]}
    [flag] = review_bids(bids, Decimal(100000), None, None, same)
    assert flag.rule.code == "E7" and flag.codes == ("CODE1", "CODE2")
    assert flag.figures == ("付款账号 (payer account) ****9876",)
    distinct = {"CODE1": ["6222020011119876"], "CODE2": ["6222020011119877"], "CODE3": []}
    assert review_bids(bids, Decimal(100000), None, None, distinct) == []
