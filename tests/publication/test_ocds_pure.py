"""Every kind of release validates against the official OCDS 1.1 schema and closed codelists."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from publication import ocds, packages
from publication.config import OcdsConfig
from publication.ocds import NoticeFacts
from tests.publication.builders import (
    AGENT,
    BIDDERS,
    OPENING,
    T0,
    TENDERER,
    every_kind,
    notice,
    tender_facts,
)
from tests.publication.ocds_schema import assert_valid, errors

CONFIG = OcdsConfig(prefix="ocds-test01", base_url="https://sunbid.example.cn/")
OCID = CONFIG.ocid("JLGGZY-2026-101")


def roundtrip(data: object) -> dict:
    return json.loads(packages.dumps(data))


def releases(**over: object) -> list[dict]:
    facts = tender_facts(**over)
    return [ocds.build_release(OCID, facts, n, CONFIG.base_url) for n in every_kind()]


@pytest.mark.parametrize("kind_index", range(7))
def test_each_kind_of_release_validates_alone(kind_index: int) -> None:
    release = releases()[kind_index]
    assert_valid(roundtrip(packages.release_package(CONFIG, [release], "https://sunbid.example.cn/x")))


def test_tags_statuses_and_ids_per_kind() -> None:
    got = [(r["tag"], r["tender"]["status"], r["tender"]["statusDetails"]) for r in releases()]
    assert got == [
        (["tender"], "active", "招标中"),
        (["tenderAmendment"], "active", "招标中（已变更）"),
        (["tenderUpdate"], "active", "已开标，评标中"),
        (["award"], "active", "中标候选人公示中"),
        (["award"], "complete", "已定标"),
        (["tenderUpdate"], "unsuccessful", "流标"),
        (["tenderCancellation"], "cancelled", "已终止"),
    ]
    ids = [r["id"] for r in releases()]
    assert ids == [f"{OCID}-notice-{n}" for n in range(1, 8)]
    assert releases() == releases()  # stable: the same facts give the same releases


def test_record_package_with_compiled_release_validates_and_compiles_the_outcome() -> None:
    record = packages.record(OCID, releases())
    package = roundtrip(
        packages.record_package(CONFIG, [record], f"{CONFIG.base_url}/api/ocds/records/{OCID}")
    )
    assert_valid(package)
    compiled = package["records"][0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    awards = {a["suppliers"][0]["name"]: a["status"] for a in compiled["awards"]}
    assert awards == {BIDDERS[0].name: "active", BIDDERS[1].name: "unsuccessful"}
    assert [a["id"] for a in compiled["tender"]["amendments"]] == ["notice-2"]
    # every notice's document accumulates, merged by id
    assert {d["id"] for d in compiled["tender"]["documents"]} >= {f"notice-{n}" for n in range(1, 8)}
    roles = {p["name"]: p["roles"] for p in compiled["parties"]}
    assert roles[TENDERER.name] == ["buyer"]
    assert roles[AGENT.name] == ["procuringEntity"]
    assert roles[BIDDERS[0].name] == ["tenderer", "supplier"]


def test_parties_use_the_credit_code_under_cn_saic() -> None:
    release = releases()[0]
    assert release["buyer"] == {"id": f"CN-SAIC-{TENDERER.credit_code}", "name": TENDERER.name}
    buyer = next(p for p in release["parties"] if p["id"] == release["buyer"]["id"])
    assert buyer["identifier"] == {
        "scheme": "CN-SAIC",
        "id": TENDERER.credit_code,
        "legalName": TENDERER.name,
    }
    assert release["tender"]["procuringEntity"]["id"] == f"CN-SAIC-{AGENT.credit_code}"


def test_a_tenderer_without_agent_is_buyer_and_procuring_entity() -> None:
    release = releases(agent=None)[0]
    assert [p["roles"] for p in release["parties"]] == [["buyer", "procuringEntity"]]
    assert_valid(roundtrip(packages.release_package(CONFIG, [release], "https://sunbid.example.cn/x")))


def test_tender_section_maps_method_category_value_and_periods() -> None:
    first, amendment = releases()[:2]
    tender = first["tender"]
    assert tender["procurementMethod"] == "open" and tender["procurementMethodDetails"] == "公开招标"
    assert tender["mainProcurementCategory"] == "works"
    assert tender["awardCriteria"] == "ratedCriteria"
    assert tender["value"] == {"amount": Decimal("21500000.00"), "currency": "CNY"}
    # the deadline as it stood at each notice: before and after the amendment moved it
    assert first["tender"]["tenderPeriod"]["endDate"] == "2026-03-27T01:00:00+00:00"
    assert amendment["tender"]["tenderPeriod"]["endDate"] == "2026-04-01T01:00:00+00:00"
    assert [d["id"] for d in tender["documents"]] == ["doc-7", "notice-1"]
    assert '"amount": 12000000.55' in packages.dumps(first).decode()


def test_land_and_invited_tenders_use_closed_codes_only() -> None:
    land = releases(category="land", method="listing")[0]["tender"]
    assert "mainProcurementCategory" not in land and land["procurementMethod"] == "open"
    invited = releases(method="invited", criteria_method="lowest_price")[0]["tender"]
    assert invited["procurementMethod"] == "selective" and invited["awardCriteria"] == "lowestCost"
    for rel in (releases(category="land", method="listing"), releases(method="inquiry")):
        assert_valid(roundtrip(packages.release_package(CONFIG, rel, "https://sunbid.example.cn/x")))


def test_opened_bids_publish_prices_only_for_bids_that_opened() -> None:
    bids = releases()[2]["bids"]["details"]
    assert [(b["status"], "value" in b) for b in bids] == [
        ("pending", True),
        ("pending", True),
        ("withdrawn", False),  # revoked: its price was never read out
        ("disqualified", False),
    ]
    assert "9999999.99" not in packages.dumps(releases()[2]).decode()
    assert releases()[2]["tender"]["numberOfTenderers"] == 4


def test_notices_without_structured_content_still_make_valid_releases() -> None:
    facts = tender_facts()
    plain = [notice(n, kind, n) for n, kind in enumerate(ocds.KINDS, start=1)]
    rels = [ocds.build_release(OCID, facts, n, CONFIG.base_url) for n in plain]
    assert rels[3]["tag"] == ["tenderUpdate"]  # candidates without a list: not an award release
    assert all("bids" not in r and "awards" not in r for r in rels)
    assert_valid(
        roundtrip(packages.record_package(CONFIG, [packages.record(OCID, rels)], "https://a.example/r"))
    )


def test_bad_payloads_are_refused() -> None:
    facts = tender_facts()
    bad = {"bids": [{**OPENING["bids"][0], "status": "sealed"}]}
    with pytest.raises(ocds.PayloadError):
        ocds.build_release(OCID, facts, notice(3, "opening_record", 30, bad), CONFIG.base_url)
    with pytest.raises(ocds.PayloadError):
        ocds.build_release(OCID, facts, notice(3, "opening_record", 30, {"bids": [{"status": "opened"}]}), "")
    with pytest.raises(ocds.PayloadError):
        ocds.build_release(OCID, facts, notice(9, "rumour", 1), "")


def test_the_validator_catches_what_is_wrong() -> None:
    release = releases()[0]
    broken = roundtrip(packages.release_package(CONFIG, [release], "https://sunbid.example.cn/x"))
    broken["releases"][0]["tender"]["status"] = "招标中"
    broken["releases"][0]["tag"] = ["notice"]
    del broken["publisher"]
    problems = errors(broken)
    assert any("publisher" in p for p in problems)
    assert any("tenderStatus.csv" in p for p in problems) and any("releaseTag.csv" in p for p in problems)


def test_config_checks_the_prefix_and_parses_ocids() -> None:
    assert CONFIG.tender_code(OCID) == "JLGGZY-2026-101"
    assert CONFIG.tender_code("ocds-other1-JLGGZY-2026-101") is None
    assert CONFIG.base_url == "https://sunbid.example.cn"
    with pytest.raises(ValueError):
        OcdsConfig(prefix="sunbid")


def test_money_is_written_exactly() -> None:
    assert packages.dumps({"a": Decimal("0.10"), "b": Decimal("12000000.00")}) == b'{"a": 0.1, "b": 12000000}'
    with pytest.raises(ValueError):
        packages.dumps({"a": Decimal("12345678901234567.89")})


def test_t0_is_utc() -> None:
    assert T0.utcoffset() is not None


def test_structured_notice_content_lights_up_once_bidding_stores_it() -> None:
    from bidding.models import Notice
    from publication.sources import notice_facts

    row = Notice(
        id=3, kind="opening_record", title="开标记录", body="详见附件", published_at=T0, audit_position=30
    )
    assert notice_facts(row).payload is None  # today: plain-text notices
    row.data = OPENING  # type: ignore[attr-defined]  # the column the opening is asked to add
    facts = notice_facts(row)
    assert facts.payload == OPENING
    release = ocds.build_release(OCID, tender_facts(), facts, CONFIG.base_url)
    assert len(release["bids"]["details"]) == 4


def signed_opening_record(rows: list[dict[str, Any]]) -> str:
    """A notice body as bidding's opening publishes it: the signed opening record."""
    statement = {
        "type": "sunbid.opening-record.v1",
        "tender": "JLGGZY-2026-101",
        "lot": "1",
        "closed_at": "2026-04-01T03:00:00+00:00",
        "coefficient_secret": "00" * 32,
        "bids": rows,
        "result": "opened",
    }
    return json.dumps({"statement": statement, "signature": "c2ln", "key_id": "k"}, ensure_ascii=False)


def test_the_signed_opening_record_body_becomes_bids() -> None:
    rows: list[dict[str, Any]] = [
        {
            "submission_id": "s-1",
            "bidder": BIDDERS[0].name,
            "bidder_code": BIDDERS[0].credit_code,
            "outcome": "opened",
            "price": "11000000.50",
            "package_sha256": "ab" * 32,
        },
        {
            "submission_id": "s-2",
            "bidder": BIDDERS[1].name,
            "bidder_code": BIDDERS[1].credit_code,
            "outcome": "revoked",
            "price": None,
        },
        {
            "submission_id": "s-3",
            "bidder": BIDDERS[2].name,
            "bidder_code": BIDDERS[2].credit_code,
            "outcome": "queued",
            "price": None,
        },  # not an outcome of a closed opening: left out
    ]
    payload = ocds.payload_from_body("opening_record", signed_opening_record(rows))
    assert payload is not None
    facts = NoticeFacts(3, "opening_record", "开标记录", signed_opening_record(rows), T0, 30, payload)
    release = ocds.build_release(OCID, tender_facts(), facts, CONFIG.base_url)
    assert [(b["status"], b.get("value", {}).get("amount")) for b in release["bids"]["details"]] == [
        ("pending", Decimal("11000000.50")),
        ("withdrawn", None),
    ]
    text = packages.dumps(release).decode()
    assert "s-1" not in text and "00" * 32 not in text  # the record is linked, not copied
    assert_valid(roundtrip(packages.release_package(CONFIG, [release], "https://sunbid.example.cn/x")))
    for body in ("开标记录：详见附件。", "{not json", '{"statement": {"type": "other"}}', "[]"):
        assert ocds.payload_from_body("opening_record", body) is None
    assert ocds.payload_from_body("tender", signed_opening_record(rows)) is None


def test_malformed_structured_content_degrades_to_a_text_release() -> None:
    from publication.service import _Process

    facts = tender_facts()
    bad = notice(3, "opening_record", 30, {"bids": [{"status": "opened", "bidder": {"name": "无代码"}}]})
    process = _Process(OCID, facts, {bad.audit_position: bad})
    release = process.release(bad, CONFIG)
    assert "bids" not in release and release["tag"] == ["tenderUpdate"]
    assert_valid(roundtrip(packages.release_package(CONFIG, [release], "https://sunbid.example.cn/x")))
