"""catalog tables: departments and their staff, items with versions, bundles, holidays, cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class Department(Base):
    """A department that has items in the hall, e.g. 吉林市市场监督管理局 (region 220200)."""

    __tablename__ = "catalog_departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)


class Staff(Base):
    """Which department a hall-staff user works for (they edit that department's items and cases)."""

    __tablename__ = "catalog_staff"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("catalog_departments.id"), index=True)


class Item(Base):
    """The current version of a service item; earlier versions live in ``ItemVersion``.

    Materials, fees and steps are small lists always read with the item, so they are JSON.
    ``search_text`` is name, department, code and pinyin initials, normalised, for substring search.
    """

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("code", "region_code", name="uq_catalog_items_code_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(13), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("catalog_departments.id"), index=True)
    implementing_body: Mapped[str] = mapped_column(String(100))
    legal_basis: Mapped[str] = mapped_column(Text)
    service_objects: Mapped[str] = mapped_column(String(32))  # "person", "company" or "person,company"
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    statutory_days: Mapped[int] = mapped_column(Integer)
    promised_days: Mapped[int] = mapped_column(Integer)
    handling_type: Mapped[str] = mapped_column(String(8))
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # empty: free of charge
    steps: Mapped[list[str]] = mapped_column(JSON)
    online: Mapped[bool] = mapped_column(Boolean)
    level: Mapped[str] = mapped_column(String(8), index=True)
    delegated: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    search_text: Mapped[str] = mapped_column(Text)


class ItemVersion(Base):
    """Every version an item has had, with who changed which fields: the item's change log."""

    __tablename__ = "catalog_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version", name="uq_catalog_item_versions_item_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))


class Bundle(Base):
    """一件事: one life or business event bundling several items handled together."""

    __tablename__ = "catalog_bundles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    service_object: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BundleItem(Base):
    __tablename__ = "catalog_bundle_items"

    bundle_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_bundles.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Holiday(Base):
    """A public holiday, or a weekend day made a working day (调休上班)."""

    __tablename__ = "catalog_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(32))


class Setting(Base):
    """Hall-wide settings a supervisor may change (e.g. the yellow-warning share)."""

    __tablename__ = "catalog_settings"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class Case(Base):
    """办件: one application against an item, from acceptance to done/returned and its rating."""

    __tablename__ = "catalog_cases"
    __table_args__ = (Index("ix_catalog_cases_department_state", "department_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("catalog_departments.id"))
    applicant: Mapped[str] = mapped_column(String(100))
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    promised_days: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12))  # accepted | processing | done | returned
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    rating_token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    rating: Mapped[str | None] = mapped_column(String(8), nullable=True)  # good | bad
    rating_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
