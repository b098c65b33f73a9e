"""The evaluation context's use cases, for other contexts (and the demo): seat the committee, take
each member's actions, read the room, serve the report, answer clarifications, publish the candidates
and the award.

Each lives in the module that owns it (inside evaluation, modules import each other directly):

- room.py            the room's state (folded from its event log), who is admitted and what they see
- start.py           opening an evaluation and seating its committee
- actions.py         the room's actions (one tagged union) and how a client message is read
- acting.py          applying an action and the steps the platform takes by itself
- reporting.py       drafting, signing and serving the report (rendered by evaluation/report/)
- clarifications.py  a member's questions to a bidder and the bidder's answers
- award.py           the candidates' publicity and the award
"""

from __future__ import annotations

from evaluation.acting import act
from evaluation.award import award, award_next, publish_publicity
from evaluation.clarifications import answer_clarification, clarifications_for_bidder
from evaluation.report.signatures import sign_report
from evaluation.reporting import report_file
from evaluation.room import (
    Seat,
    admitted,
    evaluations_for,
    first_candidate,
    get_evaluation,
    member_audience,
    presence,
    room_name,
    room_state,
    view,
    viewer,
)
from evaluation.start import NewEvaluation, start

__all__ = [
    "NewEvaluation",
    "Seat",
    "act",
    "admitted",
    "answer_clarification",
    "award",
    "award_next",
    "clarifications_for_bidder",
    "evaluations_for",
    "first_candidate",
    "get_evaluation",
    "member_audience",
    "presence",
    "publish_publicity",
    "report_file",
    "room_name",
    "room_state",
    "sign_report",
    "start",
    "view",
    "viewer",
]
