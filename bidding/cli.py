"""The bidder's client: `sunbid login`, `sunbid bid seal|submit|withdraw|status|signing-key|decrypt`,
the custodian's `sunbid custody reveal`, and the auditor's offline `sunbid receipt verify`.

At the opening, `bid decrypt` fetches the bid's age header, unwraps the 16-byte file key locally with
the bidder's identity and sends only that key; `custody reveal` opens the custodian's sealed share
locally and sends only the share. Identities never leave the machine.

Sealing is offline. Submitting first asks the server whether the submission id is already stored,
so a retry after a network failure never uploads twice and always ends with the same receipt.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, overload

import click
import httpx
import msgspec
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from bidding.bid_form import BidFormInvalid, above_ceiling, example, problems, schema_for
from bidding.client import (
    MANIFEST_SUFFIX,
    TenderToSeal,
    as_tender,
    device_digest,
    file_chunks,
    load_manifest,
    lot_schema,
    seal_bid,
    signing_key_from_identity,
    withdrawal,
)
from bidding.criteria import DEFAULT_FORM_FIELDS
from bidding.evidence import DEVICE_HEADER
from bidding.opening.views import BidOpened, OwnHeader, ShareRevealed
from bidding.opening_api import KeyBody, ShareBody
from bidding.receipts import ReceiptError, verify_bundle
from bidding.submissions import MANIFEST_HEADER, encode_manifest
from bidding.views import (
    OpeningResult,
    OwnSubmission,
    OwnSubmissionStatus,
    ReceiptBundle,
    SignedStatementBody,
    TenderOut,
    Withdrawn,
)
from crypto.age import AgeError, ScryptIdentity, X25519Identity, decrypt, parse_identities, read_header
from crypto.age.recipients import unwrap_header
from crypto.signing import BidManifest, SigningError, public_key_from_text, public_key_to_text

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
        try:
            body = response.json()
            message = f"{body.get('error')}: {body.get('detail')}"
        except ValueError:
            message = response.text[:200]
        raise click.ClickException(f"server said {response.status_code} {message}")
    try:
        return msgspec.json.decode(response.content or b"null", type=answer)
    except msgspec.ValidationError as exc:
        raise click.ClickException(f"unexpected answer from the server: {exc}") from None


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
        token = check(
            http.post(
                "/api/auth/tokens", json={"username": username, "password": password, "name": "sunbid-cli"}
            )
        )
        me = check(http.get("/api/auth/me", headers={"Authorization": f"Bearer {token['token']}"}))
        bidder = None
        if me.get("organisation_id"):
            org = check(http.get(f"/api/organisations/{me['organisation_id']}"))
            bidder = org["credit_code"]
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"server": server, "token": token["token"], "username": username, "bidder": bidder}, fh)
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
            me = check(http.get("/api/auth/me"))
            check(
                http.put(f"/api/organisations/{me['organisation_id']}/signing-key", json={"signing_key": key})
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
) -> dict[str, Any]:
    """The lot's bid-form schema: a given file, else built from a given tender file, else the server's."""
    if schema_file:
        try:
            return dict(json.loads(Path(schema_file).read_text("utf-8")))
        except ValueError as exc:
            raise click.ClickException(f"{schema_file}: not JSON: {exc}") from None
    if tender is not None:
        try:
            return lot_schema(tender, lot)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    with api(load_config()) as http:
        path = f"/api/tenders/{code}/lots/{lot}/bid-form.schema.json"
        return check(with_retries("fetch the bid form", lambda: http.get(path)), dict[str, Any])


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
    schema = _schema_of(code, lot, tender, None)
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
                with_retries("fetch tender", lambda: http.get(f"/api/tenders/{code}")), TenderOut
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
    schema = _schema_of(code, lot, tender if tender_file else None, schema_file)
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
    signed = load_manifest(_manifest_for(env_path, manifest_path))
    manifest = BidManifest.from_dict(signed.statement)
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
                        MANIFEST_HEADER: encode_manifest(signed),
                        DEVICE_HEADER: device_digest(),
                        "Content-Length": str(manifest.envelope_length),
                        "Content-Type": "application/octet-stream",
                    },
                )

    bundle = check(with_retries("upload", attempt), ReceiptBundle)
    kept = msgspec.to_builtins(bundle)
    out.write_text(json.dumps(kept, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    receipt = bundle.receipt.statement
    click.echo(
        f"accepted at {receipt['server_time']} (audit #{receipt['audit_index']}); receipt saved to {out}"
    )


@bid.command("withdraw")
@click.argument("envelope", type=click.Path(exists=True, dir_okay=False))
@click.option("--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def withdraw(
    envelope: str, manifest_path: str | None, identity_path: str, passphrase_file: str | None
) -> None:
    """Withdraw a submitted bid before the deadline (a statement signed with your key)."""
    signed = load_manifest(_manifest_for(Path(envelope), manifest_path))
    key = signing_key_from_identity(load_identity(identity_path, passphrase_file))
    statement = withdrawal(signed, key)
    sid = signed.statement["submission_id"]
    sent = body(SignedStatementBody(**statement.to_dict()))
    with api(load_config()) as http:
        done = check(
            with_retries("withdraw", lambda: http.post(f"/api/submissions/{sid}/withdrawal", json=sent)),
            Withdrawn,
        )
    click.echo(f"{sid}: {done.status}")


# What the opening made of a bid, in words (bidding.models.BidOutcome).
OUTCOME_WORDS = {
    "queued": "at the opening, waiting for its key",
    "decrypting": "being decrypted",
    "opened": "opened",
    "rejected": "opened, rejected",
    "revoked": "revoked (failed to decrypt through the bidder's fault)",
    "withdrawn": "withdrawn at the opening",
}
STATUS_COLUMNS = ("TENDER", "LOT", "SUBMISSION", "STATUS", "SUBMITTED (Beijing)", "OPENING")


def opening_words(opening: OpeningResult | None) -> str:
    if opening is None:
        return "not opened yet"
    words = OUTCOME_WORDS.get(opening.outcome, opening.outcome)
    if opening.price:
        words += f", price {Decimal(opening.price):,.2f} yuan"
    if opening.reason:
        words += f": {opening.reason}"
    if opening.confirmation:
        words += f"; record {opening.confirmation}"
    return words


@bid.command("status")
@click.option("--tender", "code", help="Only this tender's submissions.")
def status(code: str | None) -> None:
    """Your company's submissions, their status and, after the opening, what it made of each."""
    with api(load_config()) as http:
        rows = check(
            http.get("/api/submissions", params={"tender": code} if code else None), list[OwnSubmission]
        )
    if not rows:
        click.echo("no submissions")
        return
    table = [
        (row.tender, row.lot, row.submission_id, row.status, row.submitted_at_local,
         opening_words(row.opening) if row.status == "active" else "")
        for row in rows
    ]  # fmt: skip
    widths = [max(len(str(r[i])) for r in [STATUS_COLUMNS, *table]) for i in range(len(STATUS_COLUMNS) - 1)]
    for r in [STATUS_COLUMNS, *table]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1])


@bid.command("decrypt")
@click.option("--tender", "code", required=True)
@click.option("--lot", default="1", show_default=True)
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def decrypt_bid(code: str, lot: str, identity_path: str, passphrase_file: str | None) -> None:
    """Reveal your bid's file key at the opening (unwrapped here; your identity is never sent)."""
    identity = load_identity(identity_path, passphrase_file)
    base = f"/api/tenders/{code}/lots/{lot}/opening"
    with api(load_config(), timeout=600) as http:
        found = check(with_retries("header", lambda: http.get(f"{base}/header")), OwnHeader)
        try:
            header = read_header(io.BytesIO(base64.b64decode(found.header)), armor=False)
            file_key = unwrap_header(header, [identity])
        except (AgeError, ValueError) as exc:
            raise click.ClickException(f"this identity cannot open the bid's header: {exc}") from None
        done = check(http.post(f"{base}/key", json=body(KeyBody(file_key=file_key.hex()))), BidOpened)
    line = f"{found.submission_id}: {done.outcome}"
    if done.price:
        line += f" (price {done.price})"
    if done.reason:
        line += f" - {done.reason}"
    click.echo(line)


@click.command("reveal")
@click.option("--tender", "code", required=True)
@click.option("--share", "share_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--identity", "identity_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def custody_reveal(code: str, share_path: str, identity_path: str, passphrase_file: str | None) -> None:
    """Open your sealed share here and reveal it to the opening (after the decryption window)."""
    identity = load_identity(identity_path, passphrase_file)
    plain = io.BytesIO()
    try:
        decrypt(io.BytesIO(Path(share_path).read_bytes()), plain, [identity])
    except AgeError as exc:
        raise click.ClickException(f"{share_path}: this identity cannot open the share: {exc}") from None
    share = plain.getvalue().decode("ascii", "replace").strip()
    with api(load_config()) as http:
        done = check(
            http.post(f"/api/tenders/{code}/opening/shares", json=body(ShareBody(share=share))), ShareRevealed
        )
    if done.combined:
        opened = done.opened if isinstance(done.opened, int) else 0
        click.echo(f"opening key combined; {opened} bid(s) opened by the custodians")
    else:
        click.echo(f"share accepted ({done.have} of {done.threshold} needed)")


@click.group("receipt")
def receipt() -> None:
    """Check receipts offline."""


@receipt.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--server-key", required=True, help="ed25519:... text, or a file holding it.")
@click.option("--bidder-key", default=None, help="Also check the bidder's signature (ed25519:...).")
def receipt_verify(path: str, server_key: str, bidder_key: str | None) -> None:
    """Verify a receipt: server signature, manifest, audit inclusion proof and signed checkpoint."""
    try:
        key_text = Path(server_key).read_text("utf-8").strip() if Path(server_key).is_file() else server_key
        key = public_key_from_text(key_text)
        bidder = public_key_from_text(bidder_key) if bidder_key else None
        verified = verify_bundle(Path(path).read_bytes(), key, bidder)
    except (ReceiptError, SigningError, OSError) as exc:
        click.echo(f"INVALID: {exc}", err=True)
        raise SystemExit(2) from None
    m, r = verified.manifest, verified.receipt
    click.echo(
        f"receipt OK: tender {m.tender} lot {m.lot} bidder {m.bidder} submission {m.submission_id}\n"
        f"  envelope sha256 {m.envelope_sha256} ({m.envelope_length} bytes)\n"
        f"  accepted {r.server_time}; audit entry #{r.audit_index} in a tree of {r.audit_size}"
        f" signed by {verified.origin}"
    )


def register(group: click.Group) -> None:
    group.add_command(login)
    group.add_command(bid)
    group.add_command(receipt)
    custody = group.commands.get("custody")  # web/cli_crypto's custody init|combine
    if not isinstance(custody, click.Group):
        custody = click.Group("custody", help="Key custody for tender openings.")
        group.add_command(custody)
    custody.add_command(custody_reveal)
