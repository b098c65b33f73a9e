"""Settings from ``SUNBID_*`` environment variables, with embedded defaults under ``./var``."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "SUNBID_"
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    var_dir: Path = Path("var")
    database_url: str = ""
    blob_url: str = ""
    redis_url: str | None = None
    audit_origin: str = "sunbid.local/audit"
    audit_key_file: Path | None = None
    session_secret_file: Path | None = None
    cookie_secure: bool = False
    # Where browsers reach the site (scheme://host[:port]); the one origin trusted for cookie-authenticated
    # changes. Empty: the origin each request was addressed to (its Host header), for local use.
    public_url: str = ""
    # Reverse proxies whose X-Forwarded-For is believed when telling who a client is (login throttling).
    trusted_proxies: tuple[IpNetwork, ...] = ()
    login_max_failures: int = 5
    login_window_seconds: int = 900
    session_hours: int = 12
    timezone: str = "Asia/Shanghai"
    run_scheduler: bool = True
    debug: bool = False
    # A training instance (培训环境, SUNBID_TRAINING=true): every new tender is a training tender and
    # every page carries the training banner.
    training: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Fill the embedded defaults relative to var_dir, so one variable relocates everything.
        var = self.var_dir
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{(var / 'sunbid.db').as_posix()}")
        if not self.blob_url:
            object.__setattr__(self, "blob_url", f"file://{(var / 'blobs').resolve().as_posix()}")
        if self.audit_key_file is None:
            object.__setattr__(self, "audit_key_file", var / "audit-ed25519.pem")
        if self.session_secret_file is None:
            object.__setattr__(self, "session_secret_file", var / "session.secret")
        if self.public_url:
            object.__setattr__(self, "public_url", origin_of(self.public_url))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        get = lambda name: env.get(PREFIX + name) or None  # noqa: E731
        var_dir = Path(get("VAR_DIR") or "var")
        return cls(
            var_dir=var_dir,
            database_url=get("DATABASE_URL") or "",
            blob_url=get("BLOB_URL") or "",
            redis_url=get("REDIS_URL"),
            audit_origin=get("AUDIT_ORIGIN") or cls.audit_origin,
            audit_key_file=Path(p) if (p := get("AUDIT_KEY_FILE")) else None,
            session_secret_file=Path(p) if (p := get("SESSION_SECRET_FILE")) else None,
            cookie_secure=_flag(get("COOKIE_SECURE")),
            public_url=get("PUBLIC_URL") or "",
            trusted_proxies=parse_networks(get("TRUSTED_PROXIES") or ""),
            login_max_failures=int(get("LOGIN_MAX_FAILURES") or cls.login_max_failures),
            login_window_seconds=int(get("LOGIN_WINDOW_SECONDS") or cls.login_window_seconds),
            session_hours=int(get("SESSION_HOURS") or cls.session_hours),
            debug=_flag(get("DEBUG")),
            training=_flag(get("TRAINING")),
            run_scheduler=not _flag(get("NO_SCHEDULER")),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_var_dir(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)

    def session_secret(self) -> bytes:
        """The secret for signing CSRF/session helpers; generated on first run in the embedded default."""
        assert self.session_secret_file is not None
        path = self.session_secret_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                _write_private(path, secrets.token_hex(32).encode())
            except FileExistsError:
                pass  # another process wrote it first; read theirs
        return bytes.fromhex(path.read_text().strip())

    def signing_key(self, purpose: str) -> bytes:
        """A key for one purpose (CSRF tokens, device cookies), derived from the session secret.

        Every process of a deployment must share the session secret file for these to verify anywhere.
        """
        assert self.session_secret_file is not None
        # Cached per file and purpose: pages and unsafe requests ask for it on every call.
        cache_key = (self.session_secret_file, purpose)
        key = _DERIVED_KEYS.get(cache_key)
        if key is None:
            key = _DERIVED_KEYS[cache_key] = hmac.new(
                self.session_secret(), purpose.encode(), hashlib.sha256
            ).digest()
        return key


_DERIVED_KEYS: dict[tuple[Path, str], bytes] = {}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-case, without a default port: what browsers send as Origin."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    port = parts.port
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """``"10.0.0.1, 192.168.0.0/16"`` → networks; a bare address is a one-address network."""
    try:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip()
        )
    except ValueError as exc:
        raise ValueError(f"SUNBID_TRUSTED_PROXIES: {exc}") from exc


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
