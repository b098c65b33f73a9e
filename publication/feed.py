"""The change feed's cursor and holdback (pure).

Every public event is a published notice, and every notice is written in the same transaction as its
``notice.published`` audit entry. Audit positions are handed out under the audit head's row lock,
which the writer holds until it commits (core/audit.py), so a position becomes visible only after
every smaller position has committed or rolled back (a rolled-back position is reused by the next
writer, never left behind a committed one). Reading in position order after the last position served
therefore never skips and never repeats, however many writers run at once.

On top of that the feed holds back the newest few seconds (``holdback``), as public procurement feeds
do, so that a reader on a lagging replica or a clock a little ahead never races a writer: of the
entries after the cursor, only the longest prefix that is older than ``now - holdback`` is served.

The cursor is opaque to clients: base64url of ``{"v": 1, "p": last position, "t": its time}``. The
time is checked against the entry, so a cursor from another server or a tampered one is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from core.clock import as_utc
from core.errors import DomainError

MAX_LIMIT = 100
T = TypeVar("T")


class BadCursor(DomainError):
    status_code = 400
    code = "bad_cursor"


@dataclass(frozen=True)
class Cursor:
    position: int
    time: datetime

    def encode(self) -> str:
        raw = json.dumps({"v": 1, "p": self.position, "t": self.time.isoformat()}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        problem = "游标无效 (invalid cursor: pass back the `next` value of a previous page unchanged)"
        if not text or len(text) > 200:
            raise BadCursor(problem)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            position, moment = data["p"], as_utc(datetime.fromisoformat(data["t"]))
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise BadCursor(problem) from None
        if data.get("v") != 1 or not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise BadCursor(problem)
        return cls(position, moment)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"limit must be 1..{MAX_LIMIT}", code="bad_paging")
    return limit


def ready_prefix(rows: Sequence[T], times: Sequence[datetime], now: datetime, holdback: timedelta) -> list[T]:
    """The longest prefix of ``rows`` (in position order) whose times are at least ``holdback`` old.

    Stopping at the first young row (rather than filtering) keeps the order gap-free even if a
    clock step made a later position look older than an earlier one.
    """
    cutoff = now - holdback
    out: list[T] = []
    for row, moment in zip(rows, times, strict=True):
        if moment > cutoff:
            break
        out.append(row)
    return out
