"""Offline crypto commands: `sunbid keygen`, `sunbid age encrypt|decrypt`, `sunbid custody init|combine`.

These run on bidders', custodians' and auditors' own machines; nothing here talks to the server.
Files are standard age v1, so the stock `age` tool can read everything these commands write.
User errors end in one line on stderr and exit code 1 (click.ClickException), never a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, ParamSpec, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from crypto.age import (
    AgeError,
    Identity,
    NoMatchingIdentity,
    Recipient,
    ScryptIdentity,
    ScryptRecipient,
    X25519Identity,
    X25519Recipient,
    decrypt,
    encrypt,
    parse_identities,
)
from crypto.shamir import ShamirError, Share, combine, split

PROGRESS_MIN_BYTES = 4 * 1024 * 1024
OPENING_RECIPIENT_FILE = "opening-recipient.txt"
CEREMONY_FILE = "ceremony.json"
CEREMONY_TYPE = "sunbid.custody-ceremony.v1"
MISMATCH = "combined key does not match the opening recipient — a share is wrong or from another ceremony"

P = ParamSpec("P")
R = TypeVar("R")


def _user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause into one clean line on stderr (exit 1)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (AgeError, ShamirError, UnicodeDecodeError) as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None

    return wrapper


# --- passphrases, keys and files --------------------------------------------------------------------


class _Passphrase:
    """Reads the passphrase once, from --passphrase-file or a hidden prompt on the terminal."""

    def __init__(self, path: str | None, *, confirm: bool) -> None:
        self._path, self._confirm, self._value = path, confirm, ""

    def get(self) -> str:
        if not self._value:
            if self._path:
                lines = Path(self._path).read_text("utf-8").splitlines()
                self._value = lines[0] if lines else ""
            else:
                # err=True keeps the prompt out of stdout, which may be carrying ciphertext
                self._value = click.prompt(
                    "Passphrase", hide_input=True, confirmation_prompt=self._confirm, err=True
                )
            if not self._value:
                raise click.ClickException("the passphrase is empty")
        return self._value


def _is_age_file(data: bytes) -> bool:
    head = data.lstrip()
    return head.startswith(b"age-encryption.org/") or head.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")


def _load_identities(paths: Sequence[str], passphrase: _Passphrase) -> list[Identity]:
    """Read age identity files; ones protected with a passphrase (as keygen writes them) are opened first."""
    identities: list[Identity] = []
    for path in paths:
        data = Path(path).read_bytes()
        if _is_age_file(data):
            plain = io.BytesIO()
            try:
                decrypt(io.BytesIO(data), plain, [ScryptIdentity(passphrase.get())])
            except AgeError:
                raise click.ClickException(
                    f"{path}: cannot open the identity file (wrong passphrase?)"
                ) from None
            data = plain.getvalue()
        try:
            identities.extend(parse_identities(data.decode("utf-8")))
        except (AgeError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: {exc}") from None
    return identities


def _parse_recipient(text: str) -> X25519Recipient:
    try:
        return X25519Recipient.from_str(text.strip())
    except AgeError:
        raise click.ClickException(f"not an age recipient: {text.strip()!r}") from None


def _recipients_in_file(path: Path) -> list[X25519Recipient]:
    lines = [line.strip() for line in path.read_text("utf-8").splitlines()]
    return [_parse_recipient(line) for line in lines if line and not line.startswith("#")]


def _write_new_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create `path` (0600 unless told otherwise); refuse to replace anything already there."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise click.ClickException(f"{path} already exists; refusing to overwrite it") from None
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), mode)  # exactly this mode, whatever the umask said
        f.write(data)


def _stream_size(stream: BinaryIO) -> int | None:
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


@contextmanager
def _input(path: str | None) -> Iterator[tuple[BinaryIO, int | None]]:
    if path in (None, "-"):
        stream = sys.stdin.buffer
        yield stream, _stream_size(stream)
    else:
        with open(path, "rb") as f:
            yield f, _stream_size(f)


@contextmanager
def _output(path: str | None) -> Iterator[BinaryIO]:
    """stdout, or a temp file beside `path` renamed into place only if the block succeeds."""
    if path in (None, "-"):
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _progress(size: int | None, label: str) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for inputs over 4 MiB; the callback takes bytes done so far."""
    if size is None or size <= PROGRESS_MIN_BYTES:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=size)
        yield lambda done: bar.update(task, completed=min(done, size))
        bar.update(task, completed=size)


# --- keygen and age ------------------------------------------------------------------------------


def _identity_file_text(identity: X25519Identity) -> str:
    created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return f"# created: {created}\n# public key: {identity.recipient().to_str()}\n{identity.to_str()}\n"


@click.command("keygen")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
    help="New identity file (default: standard output, like age-keygen).",
)  # fmt: skip
@click.option("-p", "--passphrase", "ask", is_flag=True, help="Protect the file with a prompted passphrase.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False), help="Read it from a file.")
@_user_errors
def keygen(output: str | None, ask: bool, passphrase_file: str | None) -> None:
    """Create an age identity (like age-keygen): written to OUTPUT or standard output; the public key
    goes to standard error as "Public key: age1…" (and into the file as "# public key: age1…")."""
    identity = X25519Identity.generate()
    data = _identity_file_text(identity).encode("ascii")
    if ask or passphrase_file:
        sealed = io.BytesIO()
        passphrase = _Passphrase(passphrase_file, confirm=True).get()
        encrypt(io.BytesIO(data), sealed, [ScryptRecipient(passphrase)], armor=True)
        data = sealed.getvalue()
    if output is None or output == "-":
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
    else:
        _write_new_file(Path(output), data)
    click.echo(f"Public key: {identity.recipient().to_str()}", err=True)


@click.group("age")
def age_group() -> None:
    """Encrypt and decrypt age v1 files (flags as in the age tool)."""


@age_group.command("encrypt")
@click.option("-r", "--recipient", "recipients", multiple=True, help="age1... recipient (repeatable).")
@click.option("-R", "--recipients-file", multiple=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-p", "--passphrase", "ask", is_flag=True, help="Encrypt with a prompted passphrase.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
@click.option("-a", "--armor", is_flag=True, help="PEM-style ASCII armor.")
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="[INPUT]", required=False)
@_user_errors
def age_encrypt(
    recipients: tuple[str, ...],
    recipients_file: tuple[str, ...],
    ask: bool,
    passphrase_file: str | None,
    armor: bool,
    output: str | None,
    input_path: str | None,
) -> None:
    """Encrypt INPUT (default stdin) to recipients or a passphrase."""
    targets: list[Recipient] = [_parse_recipient(r) for r in recipients]
    for path in recipients_file:
        targets.extend(_recipients_in_file(Path(path)))
    if ask or passphrase_file:
        if targets:
            raise click.ClickException("a passphrase cannot be combined with recipients")
        targets = [ScryptRecipient(_Passphrase(passphrase_file, confirm=True).get())]
    if not targets:
        raise click.ClickException("give at least one -r/-R recipient or a passphrase")
    if output in (None, "-") and not armor and sys.stdout.buffer.isatty():
        raise click.ClickException("refusing to write binary ciphertext to a terminal; use -a or -o")
    with _input(input_path) as (src, size), _progress(size, "encrypting") as progress, _output(output) as dst:
        encrypt(src, dst, targets, armor=armor, progress=progress)


@age_group.command("decrypt")
@click.option(
    "-i", "--identity", "identity_files", multiple=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="[INPUT]", required=False)
@_user_errors
def age_decrypt(
    identity_files: tuple[str, ...], passphrase_file: str | None, output: str | None, input_path: str | None
) -> None:
    """Decrypt INPUT (default stdin) with identity files, or with a passphrase when none is given."""
    passphrase = _Passphrase(passphrase_file, confirm=False)
    identities: list[Identity] = (
        _load_identities(identity_files, passphrase) if identity_files else [ScryptIdentity(passphrase.get())]
    )
    with _input(input_path) as (src, size), _progress(size, "decrypting") as progress, _output(output) as dst:
        try:
            decrypt(src, dst, identities, progress=progress)
        except NoMatchingIdentity:
            raise click.ClickException("no identity matches this file (wrong key or passphrase)") from None


# --- custody ---------------------------------------------------------------------------------------


@click.group("custody")
def custody() -> None:
    """Opening-key ceremony: split a tender's opening key among custodians, and recombine it."""


@custody.command("init")
@click.option("-k", "--threshold", type=click.IntRange(2, 255), required=True, help="Shares needed to open.")
@click.option(
    "--custodian", "custodians", multiple=True, required=True, help="Custodian's age1... (n times)."
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Ceremony folder.")
@_user_errors
def custody_init(threshold: int, custodians: tuple[str, ...], out_dir: str) -> None:
    """Create an opening key, split it k-of-n, and seal share i to custodian i.

    The opening identity exists only in memory: what is written is its recipient, the sealed
    shares and ceremony.json.
    """
    keys = [_parse_recipient(c) for c in custodians]
    if len(set(keys)) != len(keys):
        raise click.ClickException("each custodian must have a distinct recipient")
    if len(keys) > 255:
        raise click.ClickException(f"at most 255 custodians, got {len(keys)}")
    if threshold > len(keys):
        raise click.ClickException(
            f"threshold {threshold} needs at least {threshold} custodians, got {len(keys)}"
        )
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    opening_key = X25519PrivateKey.generate()
    opening = X25519Identity(opening_key).recipient().to_str()
    shares = split(opening_key.private_bytes_raw(), threshold, len(keys))
    del opening_key  # drop the reference early; Python cannot wipe memory, so that is all we can do
    files: dict[str, bytes] = {}  # all public: the shares are sealed to their custodians
    for share, key in zip(shares, keys, strict=True):
        sealed = io.BytesIO()
        encrypt(io.BytesIO(share.to_str().encode("ascii") + b"\n"), sealed, [key], armor=True)
        files[f"share-{share.index}.age"] = sealed.getvalue()
    ceremony = {
        "type": CEREMONY_TYPE,
        "threshold": threshold,
        "opening_recipient": opening,
        "custodians": [
            {
                "index": s.index,
                "recipient": k.to_str(),
                "share_file": f"share-{s.index}.age",
                # lets the server and auditors tell a swapped or corrupted share file at once
                "share_file_sha256": hashlib.sha256(files[f"share-{s.index}.age"]).hexdigest(),
            }
            for s, k in zip(shares, keys, strict=True)
        ],
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    files[CEREMONY_FILE] = (json.dumps(ceremony, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files[OPENING_RECIPIENT_FILE] = f"{opening}\n".encode("ascii")
    _write_all_or_nothing(folder, files)
    click.echo(opening)
    click.echo(f"wrote {len(keys)} sealed shares ({threshold} needed to open) to {folder}", err=True)


def _write_all_or_nothing(folder: Path, files: dict[str, bytes]) -> None:
    """Write every file or, if any already exists or a write fails, none (so no half ceremony)."""
    if existing := [name for name in files if (folder / name).exists()]:
        raise click.ClickException(f"{folder / existing[0]} already exists; use an empty folder")
    written: list[Path] = []
    try:
        for name, data in files.items():
            _write_new_file(folder / name, data, mode=0o644)
            written.append(folder / name)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _expected_recipient(
    expect: str | None, recipient_file: str | None, share_files: Sequence[str]
) -> str | None:
    if expect and recipient_file:
        raise click.ClickException("give --expect-recipient or --recipient-file, not both")
    if expect:
        return _parse_recipient(expect).to_str()
    candidates = (
        [Path(recipient_file)]
        if recipient_file
        else {(Path(s).parent / OPENING_RECIPIENT_FILE).resolve() for s in share_files}
    )
    found = {r.to_str() for path in candidates if path.is_file() for r in _recipients_in_file(path)}
    if recipient_file and not found:
        raise click.ClickException(f"{recipient_file}: no recipient in the file")
    if len(found) > 1:
        raise click.ClickException(
            "the shares name different opening recipients: they are from different ceremonies"
        )
    return found.pop() if found else None


def _open_share(path: str, identities: Sequence[Identity]) -> Share:
    plain = io.BytesIO()
    try:
        with open(path, "rb") as f:
            decrypt(f, plain, identities)
    except NoMatchingIdentity:
        raise click.ClickException(f"{path}: none of the given identities can open this share") from None
    except AgeError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    try:
        return Share.from_str(plain.getvalue().decode("utf-8"))
    except (ShamirError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None


@custody.command("combine")
@click.argument("share_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-i", "--identity", "identity_files", multiple=True, required=True, type=click.Path(exists=True)
)
@click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False), help="For protected identities."
)
@click.option("--expect-recipient", help="The ceremony's opening recipient (age1...).")
@click.option("--recipient-file", type=click.Path(exists=True, dir_okay=False), help="opening-recipient.txt")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the identity to a new 0600 file."
)
@_user_errors
def custody_combine(
    share_files: tuple[str, ...],
    identity_files: tuple[str, ...],
    passphrase_file: str | None,
    expect_recipient: str | None,
    recipient_file: str | None,
    output: str | None,
) -> None:
    """Open sealed shares, recombine them and print the opening identity.

    The result is checked against the opening recipient (given, or opening-recipient.txt beside the
    shares), because Shamir's scheme alone cannot tell a wrong share from a right one.
    """
    expected = _expected_recipient(expect_recipient, recipient_file, share_files)
    identities = _load_identities(identity_files, _Passphrase(passphrase_file, confirm=False))
    shares = [_open_share(path, identities) for path in share_files]
    identity = X25519Identity(X25519PrivateKey.from_private_bytes(combine(shares)))
    if expected is None:
        click.echo("warning: no opening recipient to check the combined key against", err=True)
    elif identity.recipient().to_str() != expected:
        raise click.ClickException(MISMATCH)
    if output:
        _write_new_file(Path(output), _identity_file_text(identity).encode("ascii"))
        click.echo(identity.recipient().to_str())
    else:
        click.echo(identity.to_str())


def register(group: click.Group) -> None:
    """Add keygen, age and custody to the `sunbid` command group."""
    group.add_command(keygen)
    group.add_command(age_group)
    group.add_command(custody)
