"""The bidder's client: `sunbid login`, `sunbid bid seal|submit|withdraw|status|signing-key|decrypt`,
the custodian's `sunbid custody reveal`, and the auditor's offline `sunbid receipt verify`
(after-deadline commands in bidding/cli_opening.py, what every client command shares in core/client.py).

At the opening, `bid decrypt` fetches the bid's age header, unwraps the 16-byte file key locally with
the bidder's identity and sends only that key; `custody reveal` opens the custodian's sealed share
locally and sends only the share. Identities never leave the machine.

Sealing is offline. Submitting first asks the server whether the submission id is already stored,
so a retry after a network failure never uploads twice and always ends with the same receipt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx
import msgspec
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from bidding.bid_form import BidFormInvalid, BidFormSchema, above_ceiling, example, problems, schema_for
from bidding.cli_opening import custody_reveal, decrypt_bid, receipt, status
from bidding.client import (
    MANIFEST_SUFFIX,
    TenderToSeal,
    as_tender,
    device_digest,
    file_chunks,
    load_manifest,
    lot_schema,
    manifest_header,
    seal_bid,
    withdrawal,
)
from bidding.criteria import DEFAULT_FORM_FIELDS
from bidding.evidence import DEVICE_HEADER
from bidding.submissions import MANIFEST_HEADER
from bidding.views import (
    OwnSubmissionStatus,
    ReceiptBundle,
    SignedManifest,
    TenderDetail,
    TenderOut,
    Withdrawn,
)
from core.api import SigningKeyBody, TokenBody
from core.client import api, body, check, config_path, err, load_config, load_identity, with_retries
from core.views import NewToken, OrganisationOut, UserOut
from crypto.age import AgeError
from crypto.signing import SigningError, public_key_to_text, signing_key_from_identity


@click.command("login")
@click.option("--server", required=True, help="e.g. https://ggzy.example.gov.cn")
@click.option("--username", required=True)
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False), help="Else prompted.")
def login(server: str, username: str, password_file: str | None) -> None:
    """Log in and keep an API token for the bid commands (in ~/.config/sunbid/client.json, 0600)."""
    password = (
        Path(password_file).read_text("utf-8").splitlines()[0]
        if password_file
        else click.prompt("Password", hide_input=True, err=True)
    )
    server = server.rstrip("/")
    with httpx.Client(base_url=server, timeout=30) as http:
        sent = TokenBody(username=username, password=password, name="sunbid-cli")
        token = check(http.post("/api/auth/tokens", json=body(sent)), NewToken).token
        me = check(http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), UserOut)
        bidder = None
        if me.organisation_id:
            bidder = check(http.get(f"/api/organisations/{me.organisation_id}"), OrganisationOut).credit_code
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"server": server, "token": token, "username": username, "bidder": bidder}, fh)
    click.echo(f"logged in to {server} as {username}" + (f" ({bidder})" if bidder else ""))


@click.group("bid")
def bid() -> None:
    """Seal, submit, withdraw and follow sealed bids (bidder's machine)."""


@bid.command("signing-key")
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
@click.option("--register", is_flag=True, help="Register it as your company's bid-signing key.")
def signing_key(identity_path: str, passphrase_file: str | None, register: bool) -> None:
    """Print (and optionally register) the Ed25519 key derived from your age identity."""
    key = public_key_to_text(
        signing_key_from_identity(load_identity(identity_path, passphrase_file)).public_key()
    )
    if register:
        config = load_config()
        with api(config) as http:
            me = check(http.get("/api/auth/me"), UserOut)
            if me.organisation_id is None:
                raise click.ClickException(
                    f"{me.username} belongs to no company: nothing to register the key for"
                )
            sent = SigningKeyBody(signing_key=key)
            check(
                http.put(f"/api/organisations/{me.organisation_id}/signing-key", json=body(sent)),
                OrganisationOut,
            )
    click.echo(key)


def _seal_epilog() -> str:
    sample = json.dumps(
        {**example(schema_for(DEFAULT_FORM_FIELDS, bond_forms=["deposit"])), "price": "10999999.50"},
        ensure_ascii=False,
        indent=2,
    )
    return (
        "\b\nbid.json (the bid form; each tender's fields: `sunbid bid form CODE LOT`), e.g.\n"
        + sample
        + '\n\n\b\nAmounts are decimal strings ("1234.50", never 1234.5); days are whole numbers.\n'
        "Every problem with bid.json is listed at once, before anything is encrypted."
    )


def _schema_of(
    code: str, lot: str, tender: TenderOut | TenderToSeal | None, schema_file: str | None
) -> BidFormSchema:
    """The lot's bid-form schema (the server's type): a given file, else built from a given tender file,
    else the server's answer; refused when it names another tender or lot."""
    if schema_file:
        try:
            schema = msgspec.json.decode(Path(schema_file).read_bytes(), type=BidFormSchema)
        except msgspec.DecodeError as exc:
            raise click.ClickException(f"{schema_file}: not a bid-form schema: {exc}") from None
    elif tender is not None:
        try:
            schema = msgspec.convert(lot_schema(tender, lot), BidFormSchema)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        with api(load_config()) as http:
            path = f"/api/tenders/{code}/lots/{lot}/bid-form.schema.json"
            schema = check(with_retries("fetch the bid form", lambda: http.get(path)), BidFormSchema)
    if schema.tender not in (None, code) or schema.lot not in (None, lot):
        raise click.ClickException(
            f"the bid-form schema is for {schema.tender} lot {schema.lot}, not {code} lot {lot}"
        )
    return schema


def _json_schema(schema: BidFormSchema) -> dict[str, Any]:
    """The schema as the JSON Schema document it is (the checks in bidding.bid_form read that)."""
    document: dict[str, Any] = msgspec.to_builtins(schema)
    return document


def _tender_file(path: str) -> TenderToSeal:
    """A tender JSON file (as the server publishes it), for sealing offline."""
    try:
        return as_tender(json.loads(Path(path).read_text("utf-8")))
    except ValueError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def _form_problems(exc: BidFormInvalid, form_path: str, hint: list[str]) -> click.ClickException:
    lines = [f"{form_path}: {len(exc.problems)} problem(s) / 投标函有 {len(exc.problems)} 处问题:"]
    lines += [f"  - {p}" for p in exc.problems] + hint
    return click.ClickException("\n".join(lines))


@bid.command("form")
@click.argument("code")
@click.argument("lot", default="1")
@click.option("--example", "as_example", is_flag=True, help="Print a bid.json to fill instead of the schema.")
@click.option("--tender-file", type=click.Path(exists=True, dir_okay=False), help="Tender JSON (offline).")
def form(code: str, lot: str, as_example: bool, tender_file: str | None) -> None:
    """Print a lot's bid form: its JSON Schema, or (--example) a bid.json to fill in."""
    tender = _tender_file(tender_file) if tender_file else None
    schema = _json_schema(_schema_of(code, lot, tender, None))
    click.echo(json.dumps(example(schema) if as_example else schema, ensure_ascii=False, indent=2))


@bid.command("seal", epilog=_seal_epilog())
@click.option("--tender", "code", required=True)
@click.option("--lot", default="1", show_default=True)
@click.option(
    "--form", "form_path", required=True, type=click.Path(exists=True, dir_okay=False), help="bid.json"
)
@click.option("--attach", "attachments", multiple=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--supersedes", default=None, help="Submission id this bid replaces.")
@click.option("--submission-id", default=None, help="Default: a new UUID.")
@click.option("--tender-file", type=click.Path(exists=True, dir_okay=False), help="Tender JSON (offline).")
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The lot's bid-form schema (default: the server's, or built from --tender-file).",
)
@click.option(
    "--above-ceiling", "above_ceiling_ok", is_flag=True, help="Seal a price above the lot's ceiling anyway."
)
@click.option("--bidder", default=None, help="Your company's credit code (default: from login).")
def seal(
    code: str,
    lot: str,
    form_path: str,
    attachments: tuple[str, ...],
    identity_path: str,
    passphrase_file: str | None,
    output: str,
    supersedes: str | None,
    submission_id: str | None,
    tender_file: str | None,
    schema_file: str | None,
    above_ceiling_ok: bool,
    bidder: str | None,
) -> None:
    """Build the bid package, encrypt it to you and the tender's opening key, and sign its manifest."""
    out = Path(output)
    if out.exists():
        raise click.ClickException(f"{out} already exists; refusing to overwrite it")
    if tender_file:
        tender = _tender_file(tender_file)
    else:
        config = load_config()
        bidder = bidder or config.get("bidder")
        with api(config) as http:
            published = check(
                with_retries("fetch tender", lambda: http.get(f"/api/tenders/{code}")), TenderDetail
            )
        tender = as_tender(published)
    if tender.code != code:
        raise click.ClickException(f"the tender file is for {tender.code}, not {code}")
    if not bidder:
        raise click.ClickException("give --bidder (your company's credit code) or log in first")
    try:
        form = json.loads(Path(form_path).read_text("utf-8"))
    except ValueError as exc:
        raise click.ClickException(f"{form_path}: not JSON: {exc}") from None
    schema = _json_schema(_schema_of(code, lot, tender if tender_file else None, schema_file))
    found = problems(form, schema)  # before the passphrase is asked for and anything is encrypted
    if found and not (above_ceiling_ok and all(above_ceiling(p) for p in found)):
        hint = (
            ["(--above-ceiling seals it anyway; the opening will reject it)"]
            if any(map(above_ceiling, found))
            else []
        )
        raise _form_problems(BidFormInvalid(found), form_path, hint)
    identity = load_identity(identity_path, passphrase_file)
    paths = [Path(a) for a in attachments]
    total = sum(p.stat().st_size for p in paths) + 1
    with _bar("sealing", total) as progress:
        try:
            sealed = seal_bid(
                tender=tender,
                lot=lot,
                form=form,
                attachments=paths,
                identity=identity,
                signing_key=signing_key_from_identity(identity),
                bidder=bidder,
                out=out,
                submission_id=submission_id,
                supersedes=supersedes,
                progress=progress,
                schema=schema,
                above_ok=above_ceiling_ok,
            )
        except (ValueError, AgeError, SigningError) as exc:
            raise click.ClickException(str(exc)) from None
    m = sealed.manifest
    click.echo(f"sealed {out} ({m.envelope_length} bytes, sha256 {m.envelope_sha256})")
    click.echo(f"manifest {sealed.manifest_path}; submission id {m.submission_id}")


class _bar:
    def __init__(self, label: str, total: int) -> None:
        self.progress = Progress(
            TextColumn(label),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=total < 4 * 1024 * 1024,
        )
        self.total = total

    def __enter__(self) -> Callable[[int], None]:
        self.progress.__enter__()
        task = self.progress.add_task("x", total=self.total)
        return lambda done: self.progress.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)


def _load_manifest(path: Path) -> SignedManifest:
    try:
        return load_manifest(path)
    except ValueError as exc:  # SigningError, a manifest the server would refuse
        raise click.ClickException(f"{path}: {exc}") from None


def _manifest_for(envelope: Path, manifest_path: str | None) -> Path:
    path = Path(manifest_path) if manifest_path else envelope.with_name(envelope.name + MANIFEST_SUFFIX)
    if not path.exists():
        raise click.ClickException(f"{path} not found (the manifest `sunbid bid seal` wrote)")
    return path


@bid.command("submit")
@click.argument("envelope", type=click.Path(exists=True, dir_okay=False))
@click.option("--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o", "--receipt", "receipt_path", type=click.Path(dir_okay=False), help="Default: ENVELOPE.receipt.json"
)
def submit(envelope: str, manifest_path: str | None, receipt_path: str | None) -> None:
    """Upload a sealed bid and save the server's receipt (safe to re-run after any failure)."""
    env_path = Path(envelope)
    signed = _load_manifest(_manifest_for(env_path, manifest_path))
    manifest = signed.statement
    if env_path.stat().st_size != manifest.envelope_length:
        raise click.ClickException("the envelope's length differs from its manifest: re-seal it")
    config = load_config()
    out = Path(receipt_path) if receipt_path else env_path.with_name(env_path.name + ".receipt.json")
    path = f"/api/tenders/{manifest.tender}/lots/{manifest.lot}/submissions/{manifest.submission_id}"

    def attempt() -> httpx.Response:
        with api(config, timeout=600) as http:
            known = http.get(f"/api/submissions/{manifest.submission_id}")
            if known.status_code == 200:  # stored by an earlier attempt whose answer was lost
                status = check(known, OwnSubmissionStatus)
                return httpx.Response(200, content=msgspec.json.encode(status.receipt))
            with _bar("uploading", manifest.envelope_length) as progress:
                return http.put(
                    path,
                    content=file_chunks(env_path, progress),
                    headers={
                        MANIFEST_HEADER: manifest_header(signed),
                        DEVICE_HEADER: device_digest(),
                        "Content-Length": str(manifest.envelope_length),
                        "Content-Type": "application/octet-stream",
                    },
                )

    bundle = check(with_retries("upload", attempt), ReceiptBundle)
    kept = msgspec.to_builtins(bundle)
    out.write_text(json.dumps(kept, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    receipt = bundle.receipt.statement
    click.echo(f"accepted at {receipt.server_time} (audit #{receipt.audit_index}); receipt saved to {out}")


@bid.command("withdraw")
@click.argument("envelope", type=click.Path(exists=True, dir_okay=False))
@click.option("--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def withdraw(
    envelope: str, manifest_path: str | None, identity_path: str, passphrase_file: str | None
) -> None:
    """Withdraw a submitted bid before the deadline (a statement signed with your key)."""
    signed = _load_manifest(_manifest_for(Path(envelope), manifest_path))
    key = signing_key_from_identity(load_identity(identity_path, passphrase_file))
    try:
        sent = body(withdrawal(signed, key))  # the route's own type, SignedWithdrawal
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sid = signed.statement.submission_id
    with api(load_config()) as http:
        done = check(
            with_retries("withdraw", lambda: http.post(f"/api/submissions/{sid}/withdrawal", json=sent)),
            Withdrawn,
        )
    click.echo(f"{sid}: {done.status}")


def register(group: click.Group) -> None:
    group.add_command(login)
    bid.add_command(status)
    bid.add_command(decrypt_bid)
    group.add_command(bid)
    group.add_command(receipt)
    custody = group.commands.get("custody")  # web/cli_crypto's custody init|combine
    if not isinstance(custody, click.Group):
        custody = click.Group("custody", help="Key custody for tender openings.")
        group.add_command(custody)
    custody.add_command(custody_reveal)
