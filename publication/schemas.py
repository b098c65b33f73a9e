"""The shapes of open data as /schema/openapi.json states them.

The OCDS packages and the statistics are written by our own encoder (publication/packages.py
``dumps``: money as exact JSON numbers, which msgspec would write as strings), so these Structs
document those bodies; the feed is built as ``FeedPage`` itself. A release is the OCDS 1.1 release
(its official schema is in ../shared/ocds/release-schema.json); the envelope around it is typed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

OCDS_RELEASE = (
    "an OCDS 1.1 release (https://standard.open-contracting.org/1.1/en/schema/release/; the schema "
    "is shipped in ../shared/ocds/release-schema.json)"
)
Money = Annotated[float, msgspec.Meta(description="CNY, an exact decimal number with at most 2 places")]
# Left as objects on purpose: typing a release would restate the official OCDS schema by hand.
Release = Annotated[dict[str, Any], msgspec.Meta(description=OCDS_RELEASE)]
# The schema generator drops an item's own description inside a list, so the list states it.
Releases = Annotated[list[Release], msgspec.Meta(description="each " + OCDS_RELEASE)]


class Publisher(msgspec.Struct, kw_only=True):
    name: str
    uri: str


class PackageLinks(msgspec.Struct, kw_only=True):
    next: Annotated[str, msgspec.Meta(description="the next page of releases (pass on its cursor)")]


class ReleasePackage(msgspec.Struct, kw_only=True):
    """An OCDS 1.1 release package (../shared/ocds/release-package-schema.json)."""

    uri: str
    version: Literal["1.1"]
    extensions: list[str]
    publishedDate: datetime
    publisher: Publisher
    license: str
    releases: Releases
    links: PackageLinks | None = None


class OcdsRecord(msgspec.Struct, kw_only=True):
    ocid: str
    releases: Releases
    compiledRelease: Release


class RecordPackage(msgspec.Struct, kw_only=True):
    """An OCDS 1.1 record package (../shared/ocds/record-package-schema.json)."""

    uri: str
    version: Literal["1.1"]
    extensions: list[str]
    publishedDate: datetime
    publisher: Publisher
    license: str
    records: list[OcdsRecord]


class FeedUrls(msgspec.Struct, kw_only=True):
    notice: Annotated[str | None, msgspec.Meta(description="the notice's page (none for a hold)")]
    api_notice: str | None
    record: str
    releases: str


class FeedItem(msgspec.Struct, kw_only=True):
    """A notice that became public, or a hold (暂停) of the tender placed or released."""

    id: Annotated[str, msgspec.Meta(description="its position in the feed")]
    type: Literal["notice", "hold"]
    published_at: datetime
    kind: str
    kind_name: Annotated[str, msgspec.Meta(description="the notice kind in Chinese (公告类型)")]
    title: str
    tender: Annotated[str, msgspec.Meta(description="the tender's code")]
    ocid: str
    release_id: str
    tag: list[str]
    urls: FeedUrls


class FeedPage(msgspec.Struct, kw_only=True):
    items: list[FeedItem]
    next: Annotated[str | None, msgspec.Meta(description="pass back as ``cursor`` for what follows")]
    has_more: bool
    holdback_seconds: Annotated[
        float, msgspec.Meta(description="the newest changes are held back this long so no page skips one")
    ]


class Figures(msgspec.Struct, kw_only=True):
    """One row of trading statistics (see ``definitions``)."""

    key: str
    label: str
    tenders: int
    budget: Money
    awarded_tenders: int
    awarded_budget: Money
    award_amount: Money
    savings: Money
    savings_rate: float | None
    opened_tenders: int
    bidders: int
    avg_bidders: float | None
    guaranteed_bids: int
    deposit_bids: int
    guarantee_share: float | None
    not_tied_up: Money
    signed_contracts: int
    avg_signing_days: float | None


class TradingStatistics(msgspec.Struct, kw_only=True):
    """The /statistics page's figures: the total, and by month, category, region and tender."""

    definitions: dict[str, str]
    total: Figures
    by_month: list[Figures]
    by_category: list[Figures]
    by_region: list[Figures]
    by_tender: list[Figures]
