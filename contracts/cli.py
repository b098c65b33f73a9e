"""The parties' client: `sunbid contract list|show|sign|refuse` against the server the user logged in to
with `sunbid login` (the same client configuration and bearer token as `sunbid bid`).

`sign` derives the company's Ed25519 signing key from its age identity locally, exactly as
`sunbid bid signing-key --register` did (HKDF-SHA-256, info "bid-signing-key v1"), checks it is the key
the company registered, and sends only the signature over ``b"sunbid-contract-v1\\n" + digest``.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx
import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contracts.rules import signing_message
from contracts.service import ContractOut
from crypto.age import AgeError, ScryptIdentity, X25519Identity, bech32, decrypt, parse_identities
from crypto.signing import public_key_to_text

T = TypeVar("T")


def _config() -> dict[str, Any]:
    env = os.environ.get("SUNBID_CLIENT_CONFIG")
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = Path(env) if env else base / "sunbid" / "client.json"
    if not path.exists():
        raise click.ClickException("not logged in: run `sunbid login --server URL --username NAME` first")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _client() -> httpx.Client:
    config = _config()
    return httpx.Client(
        base_url=config["server"], headers={"Authorization": f"Bearer {config['token']}"}, timeout=60
    )


def _check(response: httpx.Response, answer: type[T]) -> T:
    if response.status_code >= 400:
        try:
            payload = response.json()
            message = f"{payload.get('error')}: {payload.get('detail')}"
        except ValueError:
            message = response.text[:200]
        raise click.ClickException(f"server said {response.status_code} {message}")
    try:
        return msgspec.json.decode(response.content, type=answer)
    except msgspec.ValidationError as exc:
        raise click.ClickException(f"unexpected answer from the server: {exc}") from None


def _identity(path: str, passphrase_file: str | None) -> X25519Identity:
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


def signing_key(identity: X25519Identity) -> Ed25519PrivateKey:
    """The company's Ed25519 signing key, derived from its age identity (as bidding/client.py does)."""
    _, secret = bech32.decode(identity.to_str())
    seed = HKDF(hashes.SHA256(), 32, salt=b"sunbid", info=b"bid-signing-key v1").derive(bytes(secret))
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign_digest(digest: str, key: Ed25519PrivateKey) -> str:
    """A party's signature over the contract (standard base64), as the contract page makes it."""
    return base64.b64encode(key.sign(signing_message(digest))).decode("ascii")


def _line(c: ContractOut) -> str:
    return (
        f"#{c.id} {c.tender} lot {c.lot}  {c.buyer} / {c.supplier}  {c.amount:,.2f} yuan  "
        f"{c.status.value}{f' ({c.warning})' if c.warning else ''}  sign by {c.due_at.isoformat()}"
    )


@click.group("contract")
def contract() -> None:
    """Sign, refuse and follow contracts after an award (合同签订)"""


@contract.command("list")
def list_cmd() -> None:
    """Your company's contracts, pending first."""
    with _client() as http:
        for c in _check(http.get("/api/contracts"), list[ContractOut]):
            click.echo(_line(c))


@contract.command("show")
@click.argument("contract_id", type=int)
def show_cmd(contract_id: int) -> None:
    """One contract as JSON (the digest is what both parties sign)."""
    with _client() as http:
        found = _check(http.get(f"/api/contracts/{contract_id}"), ContractOut)
    click.echo(msgspec.json.format(msgspec.json.encode(found), indent=2).decode())


@contract.command("sign")
@click.argument("contract_id", type=int)
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def sign_cmd(contract_id: int, identity_path: str, passphrase_file: str | None) -> None:
    """Sign your side of the contract with your company's registered key."""
    key = signing_key(_identity(identity_path, passphrase_file))
    with _client() as http:
        found = _check(http.get(f"/api/contracts/{contract_id}"), ContractOut)
        signature = sign_digest(found.digest, key)
        done = _check(
            http.post(f"/api/contracts/{contract_id}/sign", json={"signature": signature}), ContractOut
        )
    click.echo(f"signed as {public_key_to_text(key.public_key())}")
    click.echo(_line(done))


@contract.command("refuse")
@click.argument("contract_id", type=int)
@click.option("--reason", required=True)
def refuse_cmd(contract_id: int, reason: str) -> None:
    """Refuse to sign (recorded in the credit index: B04 winner, T04 tenderer)."""
    with _client() as http:
        done = _check(http.post(f"/api/contracts/{contract_id}/refuse", json={"reason": reason}), ContractOut)
    click.echo(_line(done))


def register(group: click.Group) -> None:
    group.add_command(contract)
