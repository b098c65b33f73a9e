"""Organisations: bidder, agent and tenderer companies, identified by unified social credit code."""

from __future__ import annotations

import base64
from enum import StrEnum
from typing import Annotated

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import AuditLog
from core.clock import Clock
from core.credit_code import CreditCodeText, InvalidCreditCode, validate_credit_code
from core.errors import Conflict, InvalidInput, NotFound
from core.events import ORGANISATION_REGISTERED, ORGANISATION_SIGNING_KEY_SET
from core.models import Organisation
from core.regions import get_region


class OrgKind(StrEnum):
    BIDDER = "bidder"
    AGENT = "agent"
    TENDERER = "tenderer"
    GUARANTOR = "guarantor"  # a bank, guarantee company or insurer issuing electronic bid guarantees


ORG_KIND_ZH = {
    OrgKind.BIDDER: "投标人",
    OrgKind.AGENT: "招标代理机构",
    OrgKind.TENDERER: "招标人",
    OrgKind.GUARANTOR: "担保机构（银行/担保公司/保险公司）",
}
SIGNING_KEY_PREFIX = "ed25519:"


SigningKeyText = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\s*ed25519:[A-Za-z0-9+/]{43}=\s*$",
        description="the company's Ed25519 public key: 'ed25519:' and the base64 of its 32 bytes",
        examples=["ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="],
    ),
]
NonBlank = Annotated[str, msgspec.Meta(pattern=r"\S", description="not empty or only spaces")]


class NewOrganisation(msgspec.Struct, frozen=True):
    """A company to register (登记单位); one definition for the service, the API and the pages."""

    credit_code: CreditCodeText
    name: NonBlank
    kind: OrgKind
    legal_representative: NonBlank
    region_code: Annotated[
        str, msgspec.Meta(pattern=r"^\d{6}$", description="six-digit GB/T 2260 region code (行政区划代码)")
    ]
    signing_key: SigningKeyText | None = None


def org_kind(value: str) -> OrgKind:
    """``value`` as an organisation kind, or a 422 naming the kinds there are (pages send plain text)."""
    try:
        return OrgKind(value)
    except ValueError as exc:
        raise InvalidInput(
            f"unknown organisation kind {value!r}; one of bidder, agent, tenderer, guarantor"
        ) from exc


def checked_credit_code(raw: str, field: str | None = None) -> str:
    """The normalised credit code, or a 422 naming the field and what is wrong with the code."""
    try:
        return validate_credit_code(raw)
    except InvalidCreditCode as exc:
        raise InvalidInput(f"{field}: {exc}" if field else str(exc), code="bad_credit_code") from exc


def validate_signing_key(text: str) -> str:
    """An Ed25519 public key as ``ed25519:<base64 of 32 bytes>``."""
    text = text.strip()
    raw = text.removeprefix(SIGNING_KEY_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = b""
    if not text.startswith(SIGNING_KEY_PREFIX) or len(key) != 32:
        raise InvalidInput(
            "签名公钥格式应为 ed25519:<32字节Base64> (signing key must be 'ed25519:' + base64 of 32 bytes)",
            code="bad_signing_key",
        )
    return text


async def register_organisation(
    session: AsyncSession, clock: Clock, audit: AuditLog, new: NewOrganisation, *, actor: str | None = None
) -> Organisation:
    code = checked_credit_code(new.credit_code)
    kind = org_kind(new.kind)
    name = new.name.strip()
    if not name:
        raise InvalidInput("单位名称不能为空 (name is required)", code="name_required")
    if not new.legal_representative.strip():
        raise InvalidInput("法定代表人不能为空 (legal representative is required)", code="legal_rep_required")
    await get_region(session, new.region_code)
    signing_key = validate_signing_key(new.signing_key) if new.signing_key else None
    if await session.scalar(select(Organisation.id).where(Organisation.credit_code == code)) is not None:
        raise Conflict(f"统一社会信用代码 {code} 已注册 (already registered)", code="credit_code_taken")
    org = Organisation(
        credit_code=code,
        name=name,
        kind=kind.value,
        legal_representative=new.legal_representative.strip(),
        region_code=new.region_code,
        signing_key=signing_key,
        created_at=clock.now(),
    )
    session.add(org)
    await session.flush()
    await audit.append(
        session,
        ORGANISATION_REGISTERED,
        actor=actor,
        subject=f"org:{code}",
        data={"name": name, "kind": kind.value, "region": new.region_code},
    )
    return org


async def get_organisation(session: AsyncSession, org_id: int) -> Organisation:
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} does not exist")
    return org


async def find_by_credit_code(session: AsyncSession, code: str) -> Organisation | None:
    return await session.scalar(select(Organisation).where(Organisation.credit_code == code.strip().upper()))


async def list_organisations(
    session: AsyncSession, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Organisation], int]:
    query = select(Organisation)
    if kind:
        query = query.where(Organisation.kind == kind)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Organisation.id).limit(limit).offset(offset))
    return list(rows), total


async def set_signing_key(
    session: AsyncSession, audit: AuditLog, org_id: int, key: str, *, actor: str | None = None
) -> Organisation:
    org = await get_organisation(session, org_id)
    org.signing_key = validate_signing_key(key)
    await audit.append(
        session,
        ORGANISATION_SIGNING_KEY_SET,
        actor=actor,
        subject=f"org:{org.credit_code}",
        data={"signing_key": org.signing_key},
    )
    return org
