"""Open-data settings: the ocid prefix, the public base URL, the publisher, the feed's holdback.

Read from ``Settings.extra`` first, then ``SUNBID_*`` environment variables, then the defaults:

    SUNBID_OCDS_PREFIX             ocid prefix registered with the OCDS helpdesk (default ocds-sunbid)
    SUNBID_PUBLIC_URL              base of every URL in the data (default http://127.0.0.1:8000)
    SUNBID_OCDS_PUBLISHER          publisher name (default 吉林市公共资源交易中心)
    SUNBID_FEED_HOLDBACK_SECONDS   the change feed hides items younger than this (default 5)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from core.settings import Settings

DEFAULT_PREFIX = "ocds-sunbid"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_PUBLISHER = "吉林市公共资源交易中心"
DEFAULT_HOLDBACK_SECONDS = 5.0
_PREFIX = re.compile(r"^ocds-[a-z0-9]{6}$")


@dataclass(frozen=True)
class OcdsConfig:
    prefix: str = DEFAULT_PREFIX
    base_url: str = DEFAULT_PUBLIC_URL
    publisher: str = DEFAULT_PUBLISHER
    holdback_seconds: float = DEFAULT_HOLDBACK_SECONDS

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise ValueError(
                f"ocid prefix must look like ocds-xxxxxx (6 lower-case letters or digits): {self.prefix!r}"
            )
        if self.holdback_seconds < 0:
            raise ValueError("feed holdback must not be negative")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @classmethod
    def from_settings(cls, settings: Settings) -> OcdsConfig:
        def get(name: str) -> str | None:
            return settings.extra.get(name) or os.environ.get(f"SUNBID_{name}") or None

        holdback = get("FEED_HOLDBACK_SECONDS")
        return cls(
            prefix=get("OCDS_PREFIX") or DEFAULT_PREFIX,
            base_url=get("PUBLIC_URL") or DEFAULT_PUBLIC_URL,
            publisher=get("OCDS_PUBLISHER") or DEFAULT_PUBLISHER,
            holdback_seconds=float(holdback) if holdback else DEFAULT_HOLDBACK_SECONDS,
        )

    def ocid(self, tender_code: str) -> str:
        return f"{self.prefix}-{tender_code}"

    def tender_code(self, ocid: str) -> str | None:
        """The tender code inside one of our ocids, or None if the ocid is not ours."""
        head = f"{self.prefix}-"
        return ocid[len(head) :] if ocid.startswith(head) and len(ocid) > len(head) else None
