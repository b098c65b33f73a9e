"""The kinds of the audit-log entries integrity appends (named after their values; stored: never change)."""

from __future__ import annotations

INTEGRITY_FLAG_DISMISSED = "integrity.flag_dismissed"
INTEGRITY_FLAG_REFERRED = "integrity.flag_referred"
