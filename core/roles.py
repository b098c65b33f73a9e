"""Roles a user can hold. Every route names the roles that may call it (see web/auth.py)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    TENDERER = "tenderer"
    BIDDER = "bidder"
    EXPERT = "expert"
    CUSTODIAN = "custodian"
    HALL_STAFF = "hall_staff"  # a service-hall department's staff (catalog items and cases)
    GUARANTOR = "guarantor"  # staff of a bank, guarantee company or insurer issuing bid guarantees


ROLE_NAMES_ZH = {
    Role.ADMIN: "系统管理员",
    Role.SUPERVISOR: "监管/交易中心",
    Role.AGENT: "招标代理",
    Role.TENDERER: "招标人",
    Role.BIDDER: "投标人",
    Role.EXPERT: "评标专家",
    Role.CUSTODIAN: "开标密钥保管人",
    Role.HALL_STAFF: "政务大厅窗口人员",
    Role.GUARANTOR: "担保机构",
}

ROLE_NAMES_EN = {
    Role.ADMIN: "Administrator",
    Role.SUPERVISOR: "Supervisor / trading centre",
    Role.AGENT: "Tendering agent",
    Role.TENDERER: "Tenderer",
    Role.BIDDER: "Bidder",
    Role.EXPERT: "Evaluation expert",
    Role.CUSTODIAN: "Opening key custodian",
    Role.HALL_STAFF: "Service hall staff",
    Role.GUARANTOR: "Guarantor",
}


def role_name(role: Role, lang: str) -> str:
    """A role as a person reads it, in ``lang`` ("zh" or "en")."""
    return ROLE_NAMES_ZH[role] if lang == "zh" else ROLE_NAMES_EN[role]


def parse_roles(values: str | list[str] | tuple[str, ...]) -> frozenset[Role]:
    """Parse role names ("bidder,agent" or a list); unknown names raise ValueError naming them."""
    items = values.split(",") if isinstance(values, str) else list(values)
    names = [item.strip().lower() for item in items if item.strip()]
    unknown = [name for name in names if name not in Role._value2member_map_]
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; known: {', '.join(r.value for r in Role)}")
    return frozenset(Role(name) for name in names)
