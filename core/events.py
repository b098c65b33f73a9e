"""The kinds of the audit-log entries core appends (accounts, organisations).

Every context keeps its audit kinds in its own ``events.py``; a constant is named after its value
(``"account.created"`` → ``ACCOUNT_CREATED``). The values are stored in the signed audit log: never
change one, add a new kind instead.
"""

from __future__ import annotations

ACCOUNT_CREATED = "account.created"
ORGANISATION_REGISTERED = "organisation.registered"
ORGANISATION_SIGNING_KEY_SET = "organisation.signing_key_set"
