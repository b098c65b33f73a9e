"""The parties' client: `sunbid contract list|show|sign|refuse` against the server the user logged in to
with `sunbid login` (the same client configuration and bearer token as `sunbid bid`).

`sign` derives the company's Ed25519 signing key from its age identity locally, exactly as
`sunbid bid signing-key --register` did (HKDF-SHA-256, info "bid-signing-key v1"), checks it is the key
the company registered, and sends only the signature over ``b"sunbid-contract-v1\\n" + digest``.
"""

from __future__ import annotations

import base64

import click
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.rules import signing_message
from contracts.service import ContractOut, RefuseContract, SignContract
from core.client import api, body, check, load_config, load_identity
from crypto.signing import public_key_to_text, signing_key_from_identity


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
    with api(load_config()) as http:
        for c in check(http.get("/api/contracts"), list[ContractOut]):
            click.echo(_line(c))


@contract.command("show")
@click.argument("contract_id", type=int)
def show_cmd(contract_id: int) -> None:
    """One contract as JSON (the digest is what both parties sign)."""
    with api(load_config()) as http:
        found = check(http.get(f"/api/contracts/{contract_id}"), ContractOut)
    click.echo(msgspec.json.format(msgspec.json.encode(found), indent=2).decode())


@contract.command("sign")
@click.argument("contract_id", type=int)
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def sign_cmd(contract_id: int, identity_path: str, passphrase_file: str | None) -> None:
    """Sign your side of the contract with your company's registered key."""
    key = signing_key_from_identity(load_identity(identity_path, passphrase_file))
    with api(load_config()) as http:
        found = check(http.get(f"/api/contracts/{contract_id}"), ContractOut)
        signature = sign_digest(found.digest, key)
        done = check(
            http.post(f"/api/contracts/{contract_id}/sign", json=body(SignContract(signature=signature))),
            ContractOut,
        )
    click.echo(f"signed as {public_key_to_text(key.public_key())}")
    click.echo(_line(done))


@contract.command("refuse")
@click.argument("contract_id", type=int)
@click.option("--reason", required=True)
def refuse_cmd(contract_id: int, reason: str) -> None:
    """Refuse to sign (recorded in the credit index: B04 winner, T04 tenderer)."""
    with api(load_config()) as http:
        done = check(
            http.post(f"/api/contracts/{contract_id}/refuse", json=body(RefuseContract(reason=reason))),
            ContractOut,
        )
    click.echo(_line(done))


def register(group: click.Group) -> None:
    group.add_command(contract)
