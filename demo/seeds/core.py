"""core's part of the demo city (吉林市): regions, companies of every kind, one user of every role.

Deterministic and idempotent; each context seeds its own data after this (``demo/seeds/<ctx>.py``),
and ``demo/__init__.py`` runs them all. The demo logins share one printed password.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from core import accounts, organisations
from core.credit_code import make_credit_code
from core.organisations import NewOrganisation, OrgKind
from core.regions import JILIN_CITY, upsert_regions
from core.roles import Role
from core.runtime import Runtime

DEMO_PASSWORD = "sunbid-demo-2026"  # noqa: S105 - printed demo login, by design

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(rng: random.Random) -> str:
    """A nine-character organisation code (GB 11714) with its own check digit."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _GB11714_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


@dataclass(frozen=True)
class DemoOrg:
    name: str
    kind: OrgKind
    legal_representative: str
    region_code: str


DEMO_ORGS = (
    DemoOrg("吉林市城市建设投资集团有限公司", OrgKind.TENDERER, "王建国", "220200"),
    DemoOrg("永吉县交通运输局", OrgKind.TENDERER, "李志强", "220221"),
    DemoOrg("吉林省江城工程项目管理有限公司", OrgKind.AGENT, "张丽华", "220204"),
    DemoOrg("吉林市松花江招标代理有限公司", OrgKind.AGENT, "刘海洋", "220202"),
    DemoOrg("吉林市宏达建筑工程有限公司", OrgKind.BIDDER, "陈立新", "220203"),
    DemoOrg("蛟河市鑫源路桥建设有限公司", OrgKind.BIDDER, "赵国庆", "220281"),
    DemoOrg("桦甸市恒通市政工程有限公司", OrgKind.BIDDER, "孙伟", "220282"),
    DemoOrg("舒兰市天宇建设集团有限公司", OrgKind.BIDDER, "周明", "220283"),
    DemoOrg("磐石市金石水利工程有限公司", OrgKind.BIDDER, "吴凤英", "220284"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    org_index: int | None = None


DEMO_USERS = (
    DemoUser("admin", "系统管理员", Role.ADMIN),
    DemoUser("supervisor", "吉林市公共资源交易中心 监管员", Role.SUPERVISOR),
    DemoUser("agent", "江城项目管理 代理人", Role.AGENT, 2),
    DemoUser("tenderer", "城建投资集团 招标人", Role.TENDERER, 0),
    DemoUser("bidder", "宏达建筑 投标人", Role.BIDDER, 4),
    # More bidder companies' users: the demo's live opening (demo/opening.py) bids for them.
    DemoUser("bidder2", "鑫源路桥 投标人", Role.BIDDER, 5),
    DemoUser("bidder3", "恒通市政 投标人", Role.BIDDER, 6),
    DemoUser("bidder4", "天宇建设 投标人", Role.BIDDER, 7),
    DemoUser("expert", "评标专家 杨文博", Role.EXPERT),
    DemoUser("custodian", "开标密钥保管人 郑晓燕", Role.CUSTODIAN),
    DemoUser("hallstaff", "市场监管局窗口 刘晓梅", Role.HALL_STAFF),
)


@dataclass
class SeedReport:
    regions: int = 0
    organisations: int = 0
    users: int = 0
    contexts: dict[str, dict[str, int]] = field(default_factory=dict)


async def seed_core(runtime: Runtime, seed: int) -> SeedReport:
    report = SeedReport()
    rng = random.Random(seed)
    async with runtime.transaction() as session:
        report.regions = await upsert_regions(session, JILIN_CITY)
        org_ids: list[int] = []
        for spec in DEMO_ORGS:
            code = make_credit_code("9", "1", spec.region_code, organisation_code(rng))
            existing = await organisations.find_by_credit_code(session, code)
            if existing is None:
                existing = await organisations.register_organisation(
                    session,
                    runtime.clock,
                    runtime.audit,
                    NewOrganisation(code, spec.name, spec.kind, spec.legal_representative, spec.region_code),
                    actor="demo",
                )
                report.organisations += 1
            org_ids.append(existing.id)
        for user in DEMO_USERS:
            if await accounts.find_user(session, user.username) is None:
                await accounts.create_user(
                    session,
                    runtime.clock,
                    runtime.audit,
                    username=user.username,
                    password=DEMO_PASSWORD,
                    display_name=user.display_name,
                    roles=frozenset({user.role}),
                    organisation_id=org_ids[user.org_index] if user.org_index is not None else None,
                    actor="demo",
                )
                report.users += 1
    return report
