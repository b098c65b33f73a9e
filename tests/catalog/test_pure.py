"""Pure catalog logic: codes and field validation, pinyin, working days, warnings, bundles."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from catalog.bundles import BundlePart, limits, merge_materials
from catalog.codes import check_code_matches_kind, parse_code
from catalog.items import parse_item
from catalog.pinyin import initials, search_text
from catalog.supervision import GREEN, RED, YELLOW, on_time, warning_level
from catalog.workdays import Calendar, add_working_days, deadline, official_2026, working_days_between
from core.errors import InvalidInput

GOOD: dict[str, Any] = {
    "code": "XK00101001000",
    "name": "食品经营许可（新办）",
    "kind": "行政审批",
    "department": "吉林市市场监督管理局",
    "legal_basis": "《中华人民共和国食品安全法》第三十五条",
    "service_objects": ["company"],
    "materials": [{"name": "营业执照"}, {"name": "经营场所使用证明", "deferrable": True}],
    "statutory_days": 20,
    "promised_days": 5,
    "handling_type": "承诺件",
}


def test_codes_parse_and_must_match_the_kind() -> None:
    code = parse_code("xk00101002003")
    assert (code.kind_letters, code.main, code.sub, code.handling) == ("XK", "00101", "002", "003")
    assert code.basic == "XK00101002" and str(code) == "XK00101002003"
    assert check_code_matches_kind("CF00101000000", "行政处罚") == "CF00101000000"
    for bad in ("XK0010100100", "XK001010010001", "ZZ00101001000", "XK00000001000", "XK-00101-001"):
        with pytest.raises(InvalidInput) as caught:
            parse_code(bad)
        assert caught.value.code == "bad_item_code"
    with pytest.raises(InvalidInput) as mismatch:
        check_code_matches_kind("XK00101001000", "行政处罚")
    assert mismatch.value.code == "code_kind_mismatch"
    with pytest.raises(InvalidInput, match="kind"):
        check_code_matches_kind("XK00101001000", "行政许可")  # not one of the ten names


def test_a_good_item_parses_with_defaults() -> None:
    item = parse_item(GOOD)
    assert item.implementing_body == GOOD["department"] and item.level == "city"
    assert item.region_code == "220200" and item.fees == () and item.steps[0] == "申请"
    assert item.materials[1].deferrable and not item.materials[0].deferrable


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"promised_days": 25}, "promised_days"),  # beyond the statutory limit
        ({"handling_type": "即办件"}, "promised_days"),  # on the spot but promised 5 days
        ({"promised_days": 0}, "promised_days"),  # promised item with no time at all
        ({"statutory_days": -1}, "statutory_days"),
        ({"statutory_days": "twenty"}, "statutory_days"),
        ({"handling_type": "快办件"}, "handling_type"),
        ({"service_objects": ["alien"]}, "service_objects"),
        ({"service_objects": []}, "service_objects"),
        ({"materials": [{"name": "营业执照"}, {"name": "营业执照"}]}, "materials"),
        ({"materials": [{"name": ""}]}, "name"),
        ({"materials": [{"name": "x", "copies": 0}]}, "copies"),
        ({"fees": [{"name": "工本费", "basis": "", "standard": "10元"}]}, "basis"),
        ({"level": "province"}, "level"),
        ({"delegated": True}, "delegated"),  # a city item cannot be delegated down
        ({"region_code": "2202"}, "region"),
        ({"name": " "}, "name"),
        ({"legal_basis": None}, "legal_basis"),
        ({"online": "maybe"}, "online"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_item({**GOOD, **change})
    assert field in caught.value.detail


def test_pinyin_initials_and_search_text() -> None:
    assert initials("食品经营许可") == "spjyxk"
    assert initials("建设工程规划许可证核发") == "jsgcghxkzhf"
    assert initials("桦甸市") == "hds" and initials("银行") == "yh"
    assert initials("ABC-12") == "abc12"
    text = search_text("食品经营许可", "吉林市市场监督管理局", "XK00101001000")
    assert "食品经营" in text and "xk00101001000" in text and text.endswith("spjyxk")


CAL_2026 = Calendar.of((d, kind) for d, kind, _ in official_2026())


def test_working_days_skip_weekends() -> None:
    friday = date(2026, 3, 6)
    assert add_working_days(Calendar(), friday, 0) == friday
    assert add_working_days(Calendar(), friday, 1) == date(2026, 3, 9)  # Monday
    assert add_working_days(Calendar(), friday, 5) == date(2026, 3, 13)
    assert working_days_between(Calendar(), friday, date(2026, 3, 13)) == 5


def test_working_days_across_spring_festival_with_make_up_saturdays() -> None:
    # Thu 12 Feb + 3: Fri 13, Sat 14 (make-up workday), then the holiday 15-23 Feb, then Tue 24.
    assert add_working_days(CAL_2026, date(2026, 2, 12), 3) == date(2026, 2, 24)
    # Fri 27 Feb + 1 is Sat 28 Feb, a make-up workday; without the calendar it would be Mon 2 Mar.
    assert add_working_days(CAL_2026, date(2026, 2, 27), 1) == date(2026, 2, 28)
    assert add_working_days(Calendar(), date(2026, 2, 27), 1) == date(2026, 3, 2)


def test_working_days_across_national_day() -> None:
    # Fri 18 Sep +1 → Sun 20 Sep (make-up); +5 → 21,22,23,24 → Thu 24; +6 → 28 (25-27 holiday).
    assert add_working_days(CAL_2026, date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert add_working_days(CAL_2026, date(2026, 9, 18), 6) == date(2026, 9, 28)
    # Wed 30 Sep + 3: 1-7 Oct holiday, Thu 8, Fri 9, Sat 10 (make-up).
    assert add_working_days(CAL_2026, date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert working_days_between(CAL_2026, date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_deadline_is_the_end_of_the_due_day_in_shanghai() -> None:
    # Accepted 2026-01-05 23:30 Shanghai (15:30 UTC) on a Monday: 2 working days → Wed 7 Jan 24:00.
    accepted = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
    assert deadline(Calendar(), accepted, 2) == datetime(2026, 1, 7, 16, 0, tzinfo=UTC)
    # Accepted 2026-01-05 16:30 UTC is already Tuesday in Shanghai.
    assert deadline(Calendar(), accepted + timedelta(hours=1), 0) == datetime(2026, 1, 6, 16, 0, tzinfo=UTC)


def test_official_2026_lists_make_up_days_on_weekends_only() -> None:
    days = official_2026()
    workdays = [d for d, kind, _ in days if kind == "workday"]
    assert all(d.weekday() >= 5 for d in workdays) and len(workdays) == 6
    assert sum(1 for _, kind, _ in days if kind == "holiday") == 33


def test_warning_levels() -> None:
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    due = start + timedelta(days=10)
    assert warning_level("processing", start, due, start + timedelta(days=5), 0.8) == GREEN
    assert warning_level("processing", start, due, start + timedelta(days=8), 0.8) == YELLOW
    assert warning_level("accepted", start, due, start + timedelta(days=7), 0.7) == YELLOW
    assert warning_level("processing", start, due, due, 0.8) == YELLOW  # due, not yet over
    assert warning_level("processing", start, due, due + timedelta(seconds=1), 0.8) == RED
    assert warning_level("done", start, due, due + timedelta(days=3), 0.8) is None
    assert on_time("done", due, due) is True and on_time("done", due + timedelta(minutes=1), due) is False
    assert on_time("processing", None, due) is None


def test_bundle_merges_materials_and_combines_limits() -> None:
    parts = [
        BundlePart(
            "食品经营许可",
            5,
            20,
            [{"name": "营业执照", "copies": 1}, {"name": "场所证明", "deferrable": True}],
        ),
        BundlePart(
            "消防安全检查", 7, 10, [{"name": "营业执照", "copies": 2, "original": True}, {"name": "平面图"}]
        ),
        BundlePart("卫生许可", 3, 20, [{"name": "营业执照 "}, {"name": "场所证明", "deferrable": True}]),
    ]
    merged = {m.name.strip(): m for m in merge_materials(parts)}
    assert list(merged) == ["营业执照", "场所证明", "平面图"]
    licence = merged["营业执照"]
    assert licence.copies == 2 and licence.original and not licence.deferrable
    assert licence.for_items == ("食品经营许可", "消防安全检查", "卫生许可")
    assert merged["场所证明"].deferrable  # every item asking for it allows 容缺
    combined = limits(parts)
    assert (combined.parallel_promised, combined.serial_promised, combined.parallel_statutory) == (7, 15, 20)
    assert (combined.materials_before, combined.materials_after) == (6, 3)
