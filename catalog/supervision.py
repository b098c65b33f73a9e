"""Warning levels of open cases (pure): green, yellow as the deadline nears, red when overdue."""

from __future__ import annotations

from datetime import datetime

GREEN, YELLOW, RED = "green", "yellow", "red"
OPEN_STATES = ("accepted", "processing")
FINISHED_STATES = ("done", "returned")
TRANSITIONS = {
    "accepted": ("processing", "returned"),
    "processing": ("done", "returned"),
    "done": (),
    "returned": (),
}
DEFAULT_YELLOW_SHARE = 0.8


def used_share(accepted_at: datetime, deadline_at: datetime, now: datetime) -> float:
    """How much of the time between acceptance and deadline has passed (wall clock, may exceed 1)."""
    total = (deadline_at - accepted_at).total_seconds()
    if total <= 0:
        return 1.0 if now >= deadline_at else 0.0
    return max(0.0, (now - accepted_at).total_seconds() / total)


def warning_level(
    state: str, accepted_at: datetime, deadline_at: datetime, now: datetime, yellow_share: float
) -> str | None:
    """None for finished cases; red when past the deadline; yellow once ``yellow_share`` is used."""
    if state not in OPEN_STATES:
        return None
    if now > deadline_at:
        return RED
    if used_share(accepted_at, deadline_at, now) >= yellow_share:
        return YELLOW
    return GREEN


def on_time(state: str, finished_at: datetime | None, deadline_at: datetime) -> bool | None:
    """Whether a finished case met its promise; None while it is still open."""
    if state not in FINISHED_STATES or finished_at is None:
        return None
    return finished_at <= deadline_at
