"""The kinds of the audit-log entries core appends (accounts, organisations).

Every context keeps its audit kinds in its own ``events.py``; a constant is named after its value
(``"account.created"`` → ``ACCOUNT_CREATED``). The values are stored in the signed audit log: never
change one, add a new kind instead.
"""

from __future__ import annotations

import msgspec

ACCOUNT_CREATED = "account.created"
ORGANISATION_REGISTERED = "organisation.registered"
ORGANISATION_SIGNING_KEY_SET = "organisation.signing_key_set"
# administration (core/admin.py)
ACCOUNT_ROLES_CHANGED = "account.roles_changed"
ACCOUNT_DISABLED = "account.disabled"
ACCOUNT_ENABLED = "account.enabled"
ACCOUNT_PASSWORD_RESET = "account.password_reset"  # noqa: S105 - an event kind
ACCOUNT_SESSIONS_REVOKED = "account.sessions_revoked"
ACCOUNT_LOGIN_UNLOCKED = "account.login_unlocked"
ORGANISATION_STAFF_ADDED = "organisation.staff_added"
ORGANISATION_STAFF_REMOVED = "organisation.staff_removed"


class AuditNews(msgspec.Struct, kw_only=True):
    """News of one new audit-log entry on /ws/audit (the entry itself: GET /api/audit/entries)."""

    position: int
    kind: str
    time: str
