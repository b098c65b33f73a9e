"""The kinds of the audit-log entries catalog appends (named after their values; stored: never change one)."""

from __future__ import annotations

CATALOG_DEPARTMENT_ADDED = "catalog.department_added"
CATALOG_STAFF_LINKED = "catalog.staff_linked"
CATALOG_STAFF_UNLINKED = "catalog.staff_unlinked"
CATALOG_ITEM_CREATED = "catalog.item_created"
CATALOG_ITEM_CHANGED = "catalog.item_changed"
CATALOG_BUNDLE_SAVED = "catalog.bundle_saved"
CATALOG_IMPORTED = "catalog.imported"
CATALOG_HOLIDAY_SET = "catalog.holiday_set"
CATALOG_HOLIDAY_REMOVED = "catalog.holiday_removed"
CATALOG_SETTING_CHANGED = "catalog.setting_changed"
CATALOG_CASE_ACCEPTED = "catalog.case_accepted"
CATALOG_CASE_PROCESSING = "catalog.case_processing"
CATALOG_CASE_DONE = "catalog.case_done"
CATALOG_CASE_RETURNED = "catalog.case_returned"
CATALOG_CASE_RATED = "catalog.case_rated"

# A case moved to a state (catalog/supervision.py's TRANSITIONS) is logged as that state's kind.
CASE_MOVED_TO = {
    "processing": CATALOG_CASE_PROCESSING,
    "done": CATALOG_CASE_DONE,
    "returned": CATALOG_CASE_RETURNED,
}
