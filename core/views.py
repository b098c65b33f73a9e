"""What core's JSON API answers: users, tokens, organisations, regions and the audit log, as msgspec
Structs (one definition for the server, /schema/openapi.json and clients)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from core.models import AuditEntry, Organisation, User
from core.organisations import OrgKind
from core.roles import Role

Base64 = Annotated[str, msgspec.Meta(description="standard base64 (RFC 4648 §4)")]
RegionCode = Annotated[
    str, msgspec.Meta(pattern=r"^\d{6}$", description="six-digit GB/T 2260 region code (行政区划代码)")
]


class UserOut(msgspec.Struct, kw_only=True):
    """What every caller sees of a user."""

    id: int
    username: str
    display_name: str
    roles: list[Role]
    organisation_id: int | None


class AdminUserOut(UserOut, kw_only=True):
    """A user as an admin sees it: also whether it may log in and when it was created."""

    active: bool
    created_at: datetime


class NewUserOut(AdminUserOut, kw_only=True):
    """A user just created by an admin; ``password`` is the generated one, shown this once (else null)."""

    password: str | None


class OrganisationOut(msgspec.Struct, kw_only=True):
    id: int
    credit_code: str
    name: str
    kind: OrgKind
    legal_representative: str
    region_code: RegionCode
    signing_key: str | None


class AdminUserDetail(AdminUserOut, kw_only=True):
    live_tokens: int
    organisation: OrganisationOut | None


class OrganisationWithStaff(OrganisationOut, kw_only=True):
    staff: list[AdminUserOut]


class TokenOut(msgspec.Struct, kw_only=True):
    id: int
    kind: Literal["session", "api"]
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    current: bool


class NewToken(msgspec.Struct, kw_only=True):
    """A new API token: send it as ``Authorization: Bearer <token>``; it is shown only this once."""

    token: str
    user: UserOut


class Done(msgspec.Struct, kw_only=True):
    ok: bool = True


class RegionOut(msgspec.Struct, kw_only=True):
    code: RegionCode
    name: str
    name_en: str
    level: Literal["city", "district", "county"]
    parent_code: RegionCode | None


class AuditCheckpoint(msgspec.Struct, kw_only=True):
    """The log's size and its latest signed checkpoint (C2SP signed-note text; null while empty)."""

    size: int
    checkpoint: str | None
    verifier_key: str


class AuditEntryOut(msgspec.Struct, kw_only=True):
    position: int
    entry: Annotated[str, msgspec.Meta(description="the entry's canonical JSON text, as hashed")]
    leaf_hash: Base64
    root: Base64
    checkpoint: str | None


class InclusionProof(msgspec.Struct, kw_only=True):
    position: int
    size: int
    proof: list[Base64]
    checkpoint: str | None


class ConsistencyProof(msgspec.Struct, kw_only=True):
    old: int
    new: int
    proof: list[Base64]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=[Role(r) for r in sorted(user.role_names)],
        organisation_id=user.organisation_id,
    )


def admin_user_out(user: User) -> AdminUserOut:
    return AdminUserOut(
        **msgspec.structs.asdict(user_out(user)), active=user.is_active, created_at=user.created_at
    )


def org_out(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        credit_code=org.credit_code,
        name=org.name,
        kind=OrgKind(org.kind),
        legal_representative=org.legal_representative,
        region_code=org.region_code,
        signing_key=org.signing_key,
    )


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        position=entry.position,
        entry=entry.entry,
        leaf_hash=b64(entry.leaf_hash),
        root=b64(entry.root),
        checkpoint=entry.checkpoint,
    )
