"""The report: its facts and their digest, rendered to HTML and PDF on first use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from evaluation.report.facts import (
    REPORT_TYPE,
    BidderFacts,
    MemberFacts,
    ReportError,
    TenderFacts,
    report_digest,
    report_facts,
)
from evaluation.report.html import render_html
from evaluation.report.pdf import render_pdf
from evaluation.scoring import ScoringResult
from evaluation.steps import Room


@dataclass(frozen=True)
class Report:
    """The report: ``facts`` and their ``digest``; ``html`` and ``pdf`` are rendered from the facts on
    first use (a report rebuilt from stored facts with :meth:`from_facts` renders only what is asked)."""

    facts: dict[str, Any]
    digest: str
    font: str | Path | None = field(default=None, compare=False)

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any], *, font: str | Path | None = None) -> Report:
        """The report of stored facts (e.g. read back from JSON): same facts, same digest."""
        if not isinstance(facts, Mapping) or facts.get("type") != REPORT_TYPE:
            raise ReportError(f"not the facts of an evaluation report ({REPORT_TYPE})")
        data = dict(facts)
        return cls(data, report_digest(data), font)

    @cached_property
    def html(self) -> str:
        return render_html(self.facts)

    @cached_property
    def pdf(self) -> bytes:
        return render_pdf(self.facts, font=self.font)

    @property
    def candidates(self) -> list[dict[str, Any]]:
        return list(self.facts["candidates"])


def build_report(
    room: Room,
    evaluation: ScoringResult,
    tender: TenderFacts,
    members: Mapping[str, MemberFacts],
    bidders: Mapping[str, BidderFacts],
    *,
    font: str | Path | None = None,
) -> Report:
    """The report of a room whose ranking is published (phase ``report`` or ``signed``)."""
    facts = report_facts(room, evaluation, tender, members, bidders)
    return Report(facts, report_digest(facts), font)
