"""A realistic synthetic expert pool over the demo counties, deterministic from a seed.

Used by ``sunbid experts generate``, the demo and the benchmark. Names, employers and ID numbers are
invented (ID numbers use the synthetic order codes 990-999, see idcard.py); nothing is real data.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.credit_code import make_credit_code
from crypto.signing import public_key_to_text
from experts import specialties
from experts.idcard import synthetic_id_number

COUNTIES = ("220202", "220203", "220204", "220211", "220221", "220281", "220282", "220283", "220284")
COUNTY_NAMES = {
    "220202": "昌邑",
    "220203": "龙潭",
    "220204": "船营",
    "220211": "丰满",
    "220221": "永吉",
    "220281": "蛟河",
    "220282": "桦甸",
    "220283": "舒兰",
    "220284": "磐石",
}
# The city proper has most of the experts; the counties fewer.
COUNTY_WEIGHTS = (18, 14, 20, 12, 7, 8, 7, 7, 7)
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海波立新文博晓燕春"
    "梅红梅玉兰德福振宇佳怡子轩浩然思远"
)
TITLES = (
    ("正高级工程师", 6),
    ("高级工程师", 40),
    ("工程师", 12),
    ("高级经济师", 8),
    ("高级会计师", 6),
    ("注册造价工程师", 8),
    ("教授", 4),
    ("副教授", 5),
    ("主任医师", 3),
    ("律师", 3),
)
EMPLOYER_KINDS = (
    "建筑设计研究院有限公司",
    "工程咨询有限公司",
    "市政工程设计院",
    "水利水电勘测设计院",
    "交通规划设计院有限公司",
    "工程造价咨询有限公司",
    "建设工程质量检测中心",
    "会计师事务所有限公司",
    "律师事务所",
    "人民医院",
    "职业技术学院",
    "电力设计院有限公司",
    "信息技术有限公司",
    "项目管理有限公司",
)
CATEGORY_WEIGHTS = {"A": 50, "B": 15, "C": 15, "D": 12, "E": 8}
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Employer:
    code: str
    name: str
    county: str


@dataclass
class NewExpert:
    code: str
    name: str
    id_number: str
    phone: str
    county: str
    employer_code: str
    employer_name: str
    title: str
    specialties: list[str]
    status: str = "active"
    public_key: str | None = None
    leave: list[tuple[date, date]] = field(default_factory=list)


def registry_code(n: int, city: str = "220200") -> str:
    return f"E{city}-{n:05d}"


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _GB11714_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def employers(rng: random.Random, count: int) -> list[Employer]:
    found: list[Employer] = []
    for i in range(count):
        county = rng.choices(COUNTIES, COUNTY_WEIGHTS)[0]
        kind = EMPLOYER_KINDS[i % len(EMPLOYER_KINDS)]
        prefix = "吉林市" if county in ("220202", "220203", "220204", "220211") else COUNTY_NAMES[county]
        name = f"{prefix}{rng.choice('江城松花北山东方华信宏远恒泰')}{rng.choice('源达安创鑫益诚通')}{kind}"
        found.append(Employer(make_credit_code("9", "1", county, _org_code(rng)), name, county))
    return found


def _specialty_picker(rng: random.Random) -> Iterator[list[str]]:
    tree = specialties.tree()
    classes: dict[str, list[str]] = {}
    for leaf in specialties.leaves():
        assert leaf.parent is not None
        classes.setdefault(leaf.parent, []).append(leaf.code)
    by_category: dict[str, list[str]] = {}
    for code in classes:
        parent = tree[code].parent
        assert parent is not None
        by_category.setdefault(parent, []).append(code)
    cats = list(CATEGORY_WEIGHTS)
    while True:
        cat = rng.choices(cats, [CATEGORY_WEIGHTS[c] for c in cats])[0]
        # Earlier classes (房屋建筑, 市政, 公路…) are the busy trades, so they hold more experts.
        cls = rng.choices(by_category[cat], [1 / (i + 1) ** 0.7 for i in range(len(by_category[cat]))])[0]
        leaves = classes[cls]
        held = set(rng.sample(leaves, k=min(len(leaves), rng.choice((1, 2, 2, 3, 3, 4)))))
        if rng.random() < 0.25:  # a second field, as many senior experts have
            other = rng.choice(list(classes))
            held.add(rng.choice(classes[other]))
        yield sorted(held)


def signing_key(seed: int, code: str) -> Ed25519PrivateKey:
    """A generated expert's Ed25519 key: derived from the seed, so the demo can sign as its experts
    (synthetic pool only — a real expert's key is made on their own machine)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"{seed}:{code}".encode()).digest())


def generate(
    count: int,
    seed: int,
    *,
    start: int = 1,
    today: date | None = None,
    keys: bool = True,
    taken: set[str] | None = None,
) -> list[NewExpert]:
    """``count`` experts with registry codes from ``start``; the same arguments give the same pool.

    ``taken``: ID numbers already in use (the database's), never generated again.
    """
    used = set(taken or ())
    rng = random.Random(seed)
    today = today or date(2026, 11, 24)
    companies = employers(rng, max(8, count // 6))
    picker = _specialty_picker(rng)
    out = []
    for n in range(start, start + count):
        employer = rng.choice(companies)
        # Most experts live and work in the same county; some commute to the city.
        county = employer.county if rng.random() < 0.85 else rng.choices(COUNTIES, COUNTY_WEIGHTS)[0]
        while True:  # only ten synthetic order codes per county and birthday, so collisions happen
            born = date(rng.randint(1958, 1990), rng.randint(1, 12), rng.randint(1, 28))
            id_number = synthetic_id_number(rng, county, born)
            if id_number not in used:
                used.add(id_number)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        code = registry_code(n)
        status = rng.choices(("active", "suspended", "retired"), (95, 3, 2))[0]
        expert = NewExpert(
            code=code,
            name=name,
            id_number=id_number,
            phone=f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
            county=county,
            employer_code=employer.code,
            employer_name=employer.name,
            title=rng.choices([t for t, _ in TITLES], [w for _, w in TITLES])[0],
            specialties=next(picker),
            status=status,
        )
        if keys:
            expert.public_key = public_key_to_text(signing_key(seed, code).public_key())
        if rng.random() < 0.05:
            start_day = today + timedelta(days=rng.randint(-10, 60))
            expert.leave.append((start_day, start_day + timedelta(days=rng.randint(3, 30))))
        out.append(expert)
    return out
