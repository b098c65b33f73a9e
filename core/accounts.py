"""Accounts: users with roles, Argon2id passwords, sessions and API tokens, throttled login.

Login throttling. Every count lives in the ``login_failures`` table, so all app processes share it.

- A username is normalised once (``normal_username``: stripped, case-folded) for the lookup, the
  limits and the failure record alike, so ``"Name "`` is the same account as ``"name"`` everywhere.
- Failures count per (username, client). The client is the browser's device cookie when that browser
  has logged in as this user before (``sunbid_device``, signed, set at every successful browser login),
  else the caller's address (behind proxies listed in ``SUNBID_TRUSTED_PROXIES``, from X-Forwarded-For).
- Backoff: the first ``max_failures`` failures of a (user, client) cost nothing; then each attempt must
  wait twice as long after the last failure as the one before: 1 s, 2 s, 4 s … at most ``window``
  seconds. A success clears that pair; failures are remembered for a day.
- Ceilings, for guessing spread over many clients: a user with ``USER_CEILING`` × ``max_failures``
  failures within ``window`` seconds, or an address with ``ADDRESS_CEILING`` × ``max_failures`` over
  any usernames, is refused to unknown clients until the count drops. A known client (a device cookie
  for this user) is never refused by a ceiling: an attacker elsewhere cannot lock the user out of the
  browser they use. The CLI keeps no cookies, so it is an unknown client and may have to wait.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import AuditLog
from core.clock import Clock
from core.db import table_of
from core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from core.events import ACCOUNT_CREATED
from core.models import AccessToken, LoginFailure, Organisation, User, UserRole
from core.roles import Role
from core.texts import spaced

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
# A new username as a request may spell it: check_username strips surrounding white space and lowers
# the case before matching _USERNAME, so the schema allows exactly those around the same letters.
Username = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        # stated for the schema only: check_username answers its own 422 ``invalid_username``
        extra_json_schema={"pattern": spaced(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,63}")},
        description="3-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit (upper case is "
        "lowered, surrounding spaces dropped)",
    ),
]
MIN_PASSWORD = 8
NewPassword = Annotated[
    str, msgspec.Meta(min_length=MIN_PASSWORD, description=f"at least {MIN_PASSWORD} characters")
]
API_TOKEN_PREFIX = "sbt_"  # noqa: S105 - a marker, not a secret
# A constant hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
USER_CEILING = 10  # × max_failures per window, from all unknown clients together
ADDRESS_CEILING = 4  # × max_failures per window from one address, over any usernames
FAILURE_MEMORY = timedelta(days=1)
DEVICE_USERS = 8  # a shared office computer is known for this many accounts
_DEVICE = re.compile(r"^([0-9a-f]{32})\.([0-9]+(?:-[0-9]+)*)\.([0-9a-f]{32})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: enough to authorise without touching the database again."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    organisation_id: int | None
    token_id: int

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.user_id}"

    def has_any(self, roles: frozenset[Role] | set[Role]) -> bool:
        return bool(self.roles & roles)


def normal_username(username: str) -> str:
    """The one spelling of a username: lookup, creation and login limits all use it."""
    return username.strip().casefold()


@dataclass(frozen=True)
class LoginClient:
    """Who is trying to log in: their address, and the device cookie their browser sent (if any)."""

    address: str
    device_cookie: str | None = None
    device_key: bytes = b""


def known_device(client: LoginClient, user_id: int | None) -> str | None:
    """The device id when the client's cookie says it has logged in as this user before."""
    parsed = _parse_device(client)
    return parsed[0] if parsed and user_id is not None and user_id in parsed[1] else None


def remember_device(client: LoginClient, user_id: int) -> str:
    """The device cookie after ``user_id`` logged in on this client (a new device if it had none)."""
    device, users = _parse_device(client) or (secrets.token_hex(16), [])
    users = [user_id, *(u for u in users if u != user_id)][:DEVICE_USERS]
    payload = f"{device}.{'-'.join(map(str, users))}"
    return f"{payload}.{_device_mac(client.device_key, payload)}"


def _parse_device(client: LoginClient) -> tuple[str, list[int]] | None:
    found = _DEVICE.match(client.device_cookie or "")
    if not found or not client.device_key:
        return None
    device, users, mac = found.groups()
    if not hmac.compare_digest(mac, _device_mac(client.device_key, f"{device}.{users}")):
        return None
    return device, [int(u) for u in users.split("-")]


def _device_mac(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"密码至少{MIN_PASSWORD}位 (password must have at least {MIN_PASSWORD} characters)"
        )
    return _hasher.hash(password)


def check_username(username: str) -> str:
    """The normalised username, or a 422 saying what a username may contain."""
    username = normal_username(username)
    if not _USERNAME.match(username):
        raise InvalidInput(
            "用户名须为3-64位小写字母、数字或 . _ - (username: 3-64 of a-z, 0-9, '.', '_', '-')",
            code="invalid_username",
        )
    return username


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_user(
    session: AsyncSession,
    clock: Clock,
    audit: AuditLog,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: frozenset[Role],
    organisation_id: int | None = None,
    actor: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A new active user; ``password_hash`` instead of ``password`` when the password was hashed earlier
    (an expert's self-registration keeps only the hash until a supervisor approves it)."""
    username = check_username(username)
    if not roles:
        raise InvalidInput("用户至少需要一个角色 (a user needs at least one role)", code="no_roles")
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在 (username already taken)", code="username_taken")
    if organisation_id is not None and await session.get(Organisation, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=password_hash or hash_password(password),
        organisation_id=organisation_id,
        is_active=True,
        created_at=clock.now(),
        roles=[UserRole(role=role.value) for role in sorted(roles)],
    )
    session.add(user)
    await session.flush()
    await audit.append(
        session,
        ACCOUNT_CREATED,
        actor=actor,
        subject=f"user:{user.id}",
        data={"roles": sorted(r.value for r in roles), "organisation": organisation_id},
    )
    return user


async def find_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == normal_username(username)))


async def check_rate_limit(
    session: AsyncSession,
    clock: Clock,
    *,
    username: str,
    client_key: str,
    address: str,
    known: bool,
    max_failures: int,
    window: int,
) -> None:
    """Refuse (429, saying how long to wait) when this client, or the guessing overall, is over its limit."""
    now = clock.now()
    failures, last = (
        await session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.username == username,
                LoginFailure.client == client_key,
                LoginFailure.at >= now - FAILURE_MEMORY,
            )
        )
    ).one()
    if failures >= max_failures and last is not None:
        delay = min(2 ** min(failures - max_failures, 30), window)
        wait = (last + timedelta(seconds=delay) - now).total_seconds()
        if wait > 0:
            raise _too_many(math.ceil(wait))
    if known:
        return
    since = now - timedelta(seconds=window)
    by_user = await session.scalar(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.at >= since)
    )
    by_address = await session.scalar(
        select(func.count()).where(LoginFailure.client == address_key(address), LoginFailure.at >= since)
    )
    if (by_user or 0) >= max_failures * USER_CEILING or (by_address or 0) >= max_failures * ADDRESS_CEILING:
        raise _too_many(window)


def _too_many(seconds: int) -> TooManyAttempts:
    return TooManyAttempts(
        f"登录失败次数过多，请{seconds}秒后再试 (too many failed logins; try again in {seconds} s)",
        retry_after=seconds,
    )


def address_key(address: str) -> str:
    return f"ip:{address}"[:64]


async def authenticate(
    session: AsyncSession,
    clock: Clock,
    *,
    username: str,
    password: str,
    client: LoginClient,
    max_failures: int,
    window: int,
) -> User | None:
    """The user for these credentials, or None after recording the failure (the caller commits it)."""
    name = normal_username(username)[:64]
    user = await find_user(session, name)
    device = known_device(client, user.id if user else None)
    client_key = f"device:{device}" if device else address_key(client.address)
    await check_rate_limit(
        session,
        clock,
        username=name,
        client_key=client_key,
        address=client.address,
        known=device is not None,
        max_failures=max_failures,
        window=window,
    )
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.is_active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        session.add(LoginFailure(username=name, client=client_key, at=clock.now()))
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    await session.execute(
        delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.client == client_key)
    )
    return user


async def issue_token(
    session: AsyncSession,
    clock: Clock,
    user: User,
    *,
    kind: str,
    lifetime: timedelta | None,
    name: str = "",
) -> str:
    """Create a session or API token; the secret is returned once and only its hash is stored."""
    secret = (API_TOKEN_PREFIX if kind == "api" else "") + secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        AccessToken(
            user_id=user.id,
            token_hash=_token_hash(secret),
            kind=kind,
            name=name,
            created_at=now,
            expires_at=now + lifetime if lifetime else None,
        )
    )
    await session.flush()
    return secret


# When a token was last used is kept coarsely, so reads do not turn into writes on every request.
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenUse:
    """A use of a token whose ``last_used_at`` is due to be recorded (``record_token_use``)."""

    token_id: int
    at: datetime


async def resolve_token(session: AsyncSession, clock: Clock, secret: str) -> Principal | None:
    """The principal a token names now (its use recorded in ``session`` when due)."""
    found = await _resolve(session, clock, _token_hash(secret))
    if found is None:
        return None
    if found[2] is not None:
        await record_token_use(session, found[2])
    return found[1]


# Every request and room socket of a bearer client runs these two: built once, on the tables
# (core/db.py).
_TOKENS, _USERS, _ROLES = table_of(AccessToken), table_of(User), table_of(UserRole)
_RECORD_USE = (
    update(_TOKENS)
    .where(
        _TOKENS.c.id == bindparam("token_id"),
        (_TOKENS.c.last_used_at.is_(None)) | (_TOKENS.c.last_used_at < bindparam("at")),
    )
    .values(last_used_at=bindparam("at"))
)
# One round trip for the token, its user and the user's roles (a row per role, or one without).
_TOKEN_QUERY = (
    select(
        _TOKENS.c.id.label("token_id"),
        _TOKENS.c.expires_at,
        _TOKENS.c.revoked_at,
        _TOKENS.c.last_used_at,
        _USERS.c.id.label("user_id"),
        _USERS.c.username,
        _USERS.c.display_name,
        _USERS.c.organisation_id,
        _USERS.c.is_active,
        _ROLES.c.role,
    )
    .join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
    .outerjoin(_ROLES, _ROLES.c.user_id == _USERS.c.id)
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)


async def record_token_use(session: AsyncSession, use: TokenUse) -> None:
    """Set the token's ``last_used_at`` (never backwards: a later use may have been recorded first)."""
    await session.execute(_RECORD_USE, {"token_id": use.token_id, "at": use.at})


async def _resolve(
    session: AsyncSession, clock: Clock, token_hash: bytes
) -> tuple[datetime | None, Principal, TokenUse | None] | None:
    """The token's expiry and principal, if it is accepted now, and its use if that is due to be
    recorded. Only reads: the caller records the use where it costs the request nothing."""
    # Every API request and every room socket of a bearer client starts here (unless
    # ``PrincipalCache`` kept it).
    rows = (await session.execute(_TOKEN_QUERY, {"token_hash": token_hash})).all()
    if not rows:
        return None
    found = rows[0]
    now = clock.now()
    if found.revoked_at is not None or (found.expires_at and found.expires_at <= now):
        return None
    if not found.is_active:
        return None
    principal = Principal(
        user_id=found.user_id,
        username=found.username,
        display_name=found.display_name,
        roles=_roles(row.role for row in rows),
        organisation_id=found.organisation_id,
        token_id=found.token_id,
    )
    due = found.last_used_at is None or now - found.last_used_at > TOKEN_USE_RECORDED_EVERY
    return found.expires_at, principal, TokenUse(found.token_id, now) if due else None


def _roles(names: Iterable[str | None]) -> frozenset[Role]:
    """The platform's roles among a user's role names (a name no longer known is ignored)."""
    return frozenset(Role(r) for r in names if r is not None and r in Role._value2member_map_)


def principal_of(user: User, token_id: int) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=_roles(user.role_names),
        organisation_id=user.organisation_id,
        token_id=token_id,
    )


# --- principals kept for a moment ------------------------------------------------------------------
# A page, its API calls and its sockets present the same token many times a second (a supervisor's
# token serves hundreds of room sockets). ``PrincipalCache`` keeps what ``resolve_token`` found for
# PRINCIPAL_SECONDS. Within this process every change that could refuse a token or change who it names
# (revoke, disable, roles, organisation) calls ``principals_changed``, which forgets every kept principal
# at once and again when its transaction commits; another process's change is seen within
# PRINCIPAL_SECONDS. A token's expiry is checked on every use, kept or not.
PRINCIPAL_SECONDS = 2.0
PRINCIPALS_KEPT = 4096
_generation = 0  # bumped by ``principals_changed``; a kept principal from an older one is not used
_moment = time.monotonic  # how old a kept principal is (real time, not the business clock)


def principals_changed(session: AsyncSession | None = None) -> None:
    """Forget every kept principal now and, with ``session``, again once its transaction commits (a
    token resolved meanwhile read the old rows)."""
    global _generation
    _generation += 1
    if session is not None:
        event.listen(session.sync_session, "after_commit", lambda _s: principals_changed(), once=True)


class PrincipalCache:
    """What tokens resolved to, by token hash, for PRINCIPAL_SECONDS (see above)."""

    def __init__(self) -> None:
        self._kept: dict[bytes, tuple[int, float, datetime | None, Principal]] = {}

    def kept(self, clock: Clock, secret: str) -> Principal | None:
        """The principal kept for this token, if one is kept and still good (else ask ``resolve``)."""
        kept = self._kept.get(_token_hash(secret))
        if kept is None or kept[0] != _generation or _moment() - kept[1] >= PRINCIPAL_SECONDS:
            return None
        expires = kept[2]
        return kept[3] if expires is None or clock.now() < expires else None

    async def resolve(
        self, session: AsyncSession, clock: Clock, secret: str
    ) -> tuple[Principal | None, TokenUse | None]:
        """What ``resolve_token`` finds, kept for the next PRINCIPAL_SECONDS, and the token's use when
        it is due to be recorded (which this read does not do: see ``record_token_use``)."""
        key, generation, moment = _token_hash(secret), _generation, _moment()
        found = await _resolve(session, clock, key)
        if found is None:
            self._kept.pop(key, None)
            return None, None
        expires_at, principal, use = found
        if len(self._kept) >= PRINCIPALS_KEPT:
            self._kept.clear()
        self._kept[key] = (generation, moment, expires_at, principal)
        return principal, use


async def revoke_token(session: AsyncSession, clock: Clock, *, user_id: int, token_id: int) -> None:
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    principals_changed(session)
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"token {token_id} not found or already revoked")


async def list_tokens(session: AsyncSession, user_id: int) -> list[AccessToken]:
    rows = await session.scalars(
        select(AccessToken).where(AccessToken.user_id == user_id).order_by(AccessToken.created_at.desc())
    )
    return list(rows)
