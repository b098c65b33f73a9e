"""Interoperability with the reference `age` tool, in both directions."""

from __future__ import annotations

import io
import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from crypto.age import (
    ScryptIdentity,
    ScryptRecipient,
    X25519Identity,
    X25519Recipient,
    decrypt,
    encrypt,
    parse_identities,
    read_header,
)

AGE = shutil.which("age") or "/usr/bin/age"
AGE_KEYGEN = shutil.which("age-keygen") or "/usr/bin/age-keygen"
SIZES = [0, 1, 65535, 65536, 65537, 5 * 1024 * 1024 + 123]


@pytest.fixture(scope="module", autouse=True)
def _need_age() -> None:
    if not (os.access(AGE, os.X_OK) and os.access(AGE_KEYGEN, os.X_OK)):
        msg = f"reference age tool not installed ({AGE}, {AGE_KEYGEN})"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[X25519Identity, Path]:
    """An identity made by age-keygen, with its key file."""
    path = tmp_path_factory.mktemp("keys") / "key.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(path)], check=True, capture_output=True)
    return parse_identities(path.read_text())[0], path


def plaintext(size: int) -> bytes:
    return os.urandom(size)


def run_age(*args: str, stdout: Path | None = None) -> None:
    """Run age; output goes to a file via stdout, since `-o` creates nothing for an empty output."""
    with stdout.open("wb") if stdout else open(os.devnull, "wb") as out:
        subprocess.run([AGE, *args], check=True, stdout=out, stderr=subprocess.PIPE, timeout=60)


def test_keygen_identity_matches_our_recipient(identity: tuple[X25519Identity, Path]) -> None:
    ident, path = identity
    text = path.read_text()
    public = next(line.split(": ")[1] for line in text.splitlines() if line.startswith("# public key: "))
    assert ident.recipient().to_str() == public
    assert ident.to_str() in text


def test_our_key_strings_are_accepted_by_age(tmp_path: Path) -> None:
    ident = X25519Identity.generate()
    key = tmp_path / "key.txt"
    key.write_text(f"# made by sunbid\n{ident.to_str()}\n")
    derived = subprocess.run([AGE_KEYGEN, "-y", str(key)], check=True, capture_output=True, text=True)
    assert derived.stdout.strip() == ident.recipient().to_str()
    assert X25519Recipient.from_str(derived.stdout.strip()) == ident.recipient()


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armor"])
@pytest.mark.parametrize("size", SIZES)
def test_age_encrypts_sunbid_decrypts(
    tmp_path: Path, identity: tuple[X25519Identity, Path], size: int, armor: bool
) -> None:
    ident, _ = identity
    plain = plaintext(size)
    (tmp_path / "plain").write_bytes(plain)
    args = ["-a"] if armor else []
    run_age(*args, "-r", ident.recipient().to_str(), "-o", str(tmp_path / "ct"), str(tmp_path / "plain"))
    out = io.BytesIO()
    with (tmp_path / "ct").open("rb") as src:
        decrypt(src, out, [ident])  # armor is detected automatically
    assert out.getvalue() == plain


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armor"])
@pytest.mark.parametrize("size", SIZES)
def test_sunbid_encrypts_age_decrypts(
    tmp_path: Path, identity: tuple[X25519Identity, Path], size: int, armor: bool
) -> None:
    ident, key_path = identity
    plain = plaintext(size)
    with (tmp_path / "ct").open("wb") as dst:
        encrypt(
            io.BytesIO(plain), dst, [ident.recipient(), X25519Identity.generate().recipient()], armor=armor
        )
    run_age("-d", "-i", str(key_path), str(tmp_path / "ct"), stdout=tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == plain


def run_with_tty(
    args: list[str], answers: list[bytes], stdout: Path, timeout: float = 60
) -> tuple[int, bytes]:
    """Run age with a pseudo-terminal as stdin, answering each passphrase prompt in turn.

    age reads passphrases only from a terminal: /dev/tty, else a terminal stdin. The child gets
    a new session (so no /dev/tty) and a pty on stdin, where it also writes its prompts.
    """
    master, slave = pty.openpty()
    with stdout.open("wb") as out:
        proc = subprocess.Popen(args, stdin=slave, stdout=out, stderr=slave, start_new_session=True)
    os.close(slave)
    seen = b""
    sent = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if sent < len(answers) and seen.lower().count(b"passphrase") > sent:
                os.write(master, answers[sent] + b"\n")
                sent += 1
            if not ready and proc.poll() is not None:
                break
        rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return rc, seen


@pytest.mark.parametrize("size", [0, 65536, 65537])
def test_sunbid_passphrase_age_decrypts(tmp_path: Path, size: int) -> None:
    plain = plaintext(size)
    with (tmp_path / "ct").open("wb") as dst:
        encrypt(io.BytesIO(plain), dst, [ScryptRecipient("correct horse", work_factor=10)])
    rc, transcript = run_with_tty([AGE, "-d", str(tmp_path / "ct")], [b"correct horse"], tmp_path / "out")
    assert rc == 0, transcript
    assert (tmp_path / "out").read_bytes() == plain


def test_age_passphrase_sunbid_decrypts(tmp_path: Path) -> None:
    plain = plaintext(65537)
    (tmp_path / "plain").write_bytes(plain)
    args = [AGE, "-p", "-a", str(tmp_path / "plain")]
    rc, transcript = run_with_tty(args, [b"battery staple", b"battery staple"], tmp_path / "ct")
    assert rc == 0, transcript
    ct = (tmp_path / "ct").read_bytes()
    assert [s.type for s in read_header(io.BytesIO(ct)).stanzas] == ["scrypt"]
    out = io.BytesIO()
    decrypt(io.BytesIO(ct), out, [ScryptIdentity("battery staple")])
    assert out.getvalue() == plain
