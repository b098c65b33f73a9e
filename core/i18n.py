"""zh-CN by default, English on request (``?lang=en`` or the ``lang`` cookie)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.types import AnyRequest

LANGS = ("zh", "en")
LANG_COOKIE = "lang"

MESSAGES: dict[str, tuple[str, str]] = {
    "site.name": ("阳光招标", "Sunbid"),
    "site.tagline": (
        "公共资源交易 · 电子招标投标与远程异地评标平台",
        "Public resource trading · e-tendering and remote evaluation",
    ),
    "training.banner": (
        "培训 TRAINING · 本项目为培训项目，期限按培训时钟缩短，不发布公告、不进入开放数据、统计和信用记录",
        "TRAINING · a training tender: periods on a training clock; no public notice, open data, "
        "statistics or credit record",
    ),
    "training.banner_site": (
        "培训 TRAINING · 培训环境：所有项目均为培训项目，不具法律效力",
        "TRAINING · a training instance: every tender here is a training tender, without legal effect",
    ),
    "nav.home": ("首页", "Home"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.credit": ("信用指数", "Credit index"),
    "nav.tenders": ("交易项目", "Tenders"),
    "nav.notices": ("交易公告", "Notices"),
    "nav.bidder": ("投标工作台", "Bidder console"),
    "nav.catalog": ("政务服务", "Service hall"),
    "nav.expert_desk": ("我的评标", "My evaluations"),
    "nav.draws": ("专家抽取", "Expert draws"),
    "nav.api": ("接口文档", "API"),
    "lang.switch": ("English", "中文"),
    "login.title": ("用户登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "login.welcome": ("欢迎，{name}", "Welcome, {name}"),
    "home.regions": ("服务区域", "Regions served"),
    "home.audit": ("审计日志", "Audit log"),
    "home.audit.size": (
        "已记录事件 {size} 条，最新检查点已签名",
        "{size} events recorded; latest checkpoint signed",
    ),
    "home.flow": ("交易流程", "How a trade runs"),
    "home.flow.steps": (
        "招标公告 → 加密投标 → 不见面开标 → 随机抽取专家 → 远程异地评标 → 中标候选人公示 → 中标结果",
        "Notice → sealed bids → online opening → random expert draw → remote evaluation → publicity → award",
    ),
    "time.beijing": ("北京时间", "Beijing time"),
    "home.welcome": ("欢迎，", "Welcome,"),
    "home.roles": ("你的角色", "Your roles"),
    "error.title": ("出错了", "Something went wrong"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.intro": (
        "平台上每一个关键事件都按顺序写入这份只增不改的公开日志（RFC 6962 默克尔树），"
        "每条记录后的树根都由服务器签名。任何人都可以下载记录和证明，自行核对日志未被篡改。",
        "Every consequential event is appended to this public, append-only log (an RFC 6962 Merkle "
        "tree); the tree after each entry is signed by the server. Anyone can download entries and "
        "proofs and check them.",
    ),
    "audit.position": ("序号", "#"),
    "audit.time": ("时间（北京时间）", "Time (Beijing)"),
    "audit.kind": ("事件", "Event"),
    "audit.subject": ("对象", "Subject"),
    "audit.data": ("内容", "Data"),
    "audit.checkpoint": ("最新签名检查点", "Latest signed checkpoint"),
    "audit.verifier": ("验证公钥", "Verifier key"),
    "audit.older": ("更早的记录", "Older entries"),
    "audit.live": ("新事件将实时显示", "New events appear live"),
}


def register_messages(messages: dict[str, tuple[str, str]]) -> None:
    """Contexts add their own (zh, en) messages at import; keys are prefixed with the context name."""
    clashes = [key for key in messages if key in MESSAGES and MESSAGES[key] != messages[key]]
    if clashes:
        raise ValueError(f"message keys already defined differently: {', '.join(clashes)}")
    MESSAGES.update(messages)


def language_of(request: AnyRequest) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return wanted if wanted in LANGS else "zh"


def translator(lang: str) -> Callable[..., str]:
    index = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str, **values: Any) -> str:
        text = MESSAGES[key][index] if key in MESSAGES else key
        return text.format(**values) if values else text

    return t
