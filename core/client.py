"""What every `sunbid` client command shares (bid, opening, contract): the saved login, the typed HTTP
calls (requests and answers are the server's own Structs), the age identity and retries."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import click
import httpx
import msgspec
from rich.console import Console

from core.errors import ApiError
from crypto.age import AgeError, ScryptIdentity, X25519Identity, decrypt, parse_identities

err = Console(stderr=True)
RETRIES = 5
T = TypeVar("T")


def config_path() -> Path:
    env = os.environ.get("SUNBID_CLIENT_CONFIG")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "sunbid" / "client.json"


def load_config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        raise click.ClickException("not logged in: run `sunbid login --server URL --username NAME` first")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def api(config: dict[str, Any], timeout: float = 60) -> httpx.Client:
    return httpx.Client(
        base_url=config["server"], headers={"Authorization": f"Bearer {config['token']}"}, timeout=timeout
    )


@overload
def check(response: httpx.Response) -> Any: ...
@overload
def check(response: httpx.Response, answer: type[T]) -> T: ...
def check(response: httpx.Response, answer: Any = Any) -> Any:
    """The server's answer decoded into ``answer``, the type its route declares (bidding.views, …): a
    server that answered something else is reported, never half-read."""
    if response.status_code >= 400:
        raise click.ClickException(f"server said {response.status_code} {error_message(response)}")
    try:
        return msgspec.json.decode(response.content or b"null", type=answer)
    except msgspec.ValidationError as exc:
        raise click.ClickException(f"unexpected answer from the server: {exc}") from None


def error_message(response: httpx.Response) -> str:
    """An error answer in words: the API's error body (``core.errors.ApiError``) with each refused
    input, else the start of whatever a proxy answered."""
    try:
        error = msgspec.json.decode(response.content, type=ApiError)
    except msgspec.DecodeError:
        return response.text[:200]
    refused = [f"\n  - {f.key}: {f.message}" for f in error.fields or []]
    return f"{error.error}: {error.detail}" + "".join(refused)


def body(value: msgspec.Struct) -> dict[str, Any]:
    """A typed request body (the Struct the route declares), as httpx's ``json=``."""
    built: dict[str, Any] = msgspec.to_builtins(value)
    return built


def load_identity(path: str, passphrase_file: str | None) -> X25519Identity:
    data = Path(path).read_bytes()
    if data.lstrip().startswith((b"age-encryption.org/", b"-----BEGIN AGE ENCRYPTED FILE-----")):
        if passphrase_file:
            lines = Path(passphrase_file).read_text("utf-8").splitlines()
            passphrase = lines[0] if lines else ""
        else:
            passphrase = click.prompt("Passphrase", hide_input=True, err=True)
        plain = io.BytesIO()
        try:
            decrypt(io.BytesIO(data), plain, [ScryptIdentity(passphrase)])
        except AgeError:
            raise click.ClickException(f"{path}: cannot open the identity file (wrong passphrase?)") from None
        data = plain.getvalue()
    try:
        identities = parse_identities(data.decode("utf-8"))
    except (AgeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    if len(identities) != 1:
        raise click.ClickException(f"{path}: expected exactly one identity, found {len(identities)}")
    return identities[0]


def with_retries(what: str, action: Callable[[], httpx.Response]) -> httpx.Response:
    """Network failures are retried with backoff; the submission id makes that safe."""
    for attempt in range(1, RETRIES + 1):
        try:
            return action()
        except httpx.TransportError as exc:
            if attempt == RETRIES:
                raise click.ClickException(
                    f"{what}: network failure after {RETRIES} attempts: {exc}"
                ) from None
            err.print(f"[yellow]{what}: {exc}; retrying ({attempt}/{RETRIES - 1})[/yellow]")
            time.sleep(min(2**attempt * 0.5, 10))
    raise AssertionError("unreachable")
