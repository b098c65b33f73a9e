"""Every kind the audit log can store reads as words on the audit page (web/audit_words.py), in both
languages, not as the stored kind or a bare "event"."""

from __future__ import annotations

import importlib

from tests.test_architecture import AUDIT_KIND, EVENT_MODULES
from web.audit_words import KINDS


def test_every_audit_kind_has_words_in_chinese_and_english() -> None:
    kinds = {
        value
        for name in EVENT_MODULES
        for constant, value in vars(importlib.import_module(name)).items()
        if constant.isupper() and isinstance(value, str) and AUDIT_KIND.fullmatch(value)
    }
    assert {"objection.filed", "deposit.recorded", "account.disabled"} <= kinds
    assert sorted(kinds - set(KINDS)) == []
    for kind in kinds:
        zh, en = KINDS[kind]
        assert zh and en and kind not in (zh, en), kind
