"""The re-tender's link to the process it tenders again, as OCDS ``relatedProcesses`` (pure).

A re-tender (bidding/retender.py) is a new contracting process with its own ocid. Every release of a
notice of the re-tender names the earlier attempt once it is public: relationship
``unsuccessfulProcess`` when the earlier tender failed (流标, 《招标投标法实施条例》第四十四条), ``prior``
when it did not (a lot whose contract was refused or lapsed and was tendered again, 第五十五条, or a
complaint decision's remedy, 第六十一条: the new process replaces that part of the earlier one).
Releases are immutable, so the earlier process's releases never gain a forward link; its public history
page links forward (publication/pages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PreviousAttempt:
    ocid: str
    title: str
    failed: bool  # the earlier tender failed (流标) as a whole


def related_processes(previous: PreviousAttempt | None, base_url: str) -> list[dict[str, Any]]:
    if previous is None:
        return []
    return [
        {
            "id": "previous-attempt",
            "relationship": ["unsuccessfulProcess" if previous.failed else "prior"],
            "title": previous.title,
            "scheme": "ocid",
            "identifier": previous.ocid,
            "uri": f"{base_url}/api/ocds/records/{previous.ocid}",
        }
    ]
