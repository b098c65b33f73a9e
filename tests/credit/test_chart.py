"""The server-rendered SVG history chart."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

from credit.chart import svg
from credit.snapshots import Point

NS = "{http://www.w3.org/2000/svg}"


def test_chart_is_well_formed_escapes_text_and_marks_barred_days() -> None:
    start = date(2026, 1, 1)
    points = [
        Point(start + timedelta(days=i), Decimal("80.00") if i >= 5 else Decimal("100.00"), "A", i >= 5)
        for i in range(10)
    ]
    root = ElementTree.fromstring(svg(points, title="<script>公司</script>"))
    assert root.find(f"{NS}title").text == "<script>公司</script>"  # escaped in the markup, intact as text
    line = root.find(f"{NS}polyline").get("points").split()
    assert len(line) == 10 and line[0].split(",")[1] != line[-1].split(",")[1]
    assert len(root.findall(f"{NS}circle")) == 5


def test_empty_history_still_draws_the_grade_bands() -> None:
    root = ElementTree.fromstring(svg([], title="x"))
    assert len(root.findall(f"{NS}rect")) == 4 and root.find(f"{NS}polyline") is None


def test_a_hostile_name_stays_text_in_every_attribute_and_title() -> None:
    name = "\"'><svg onload=alert(1)>&"
    points = [Point(date(2026, 1, 1), Decimal("90.00"), "A", False)]
    root = ElementTree.fromstring(svg(points, title=name))  # well-formed: the quote did not end the attribute
    assert [e.tag for e in root.iter()].count(f"{NS}svg") == 1
    assert not [a for e in root.iter() for a in e.attrib if a.startswith("on")]
    assert root.get("aria-label") == name and root.find(f"{NS}title").text == name
