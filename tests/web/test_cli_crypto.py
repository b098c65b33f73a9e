import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from crypto.age import X25519Identity
from web.cli_crypto import MISMATCH, register

ROOT = Path(__file__).resolve().parents[2]
AGE = shutil.which("age") or "/usr/bin/age"
HAVE_AGE = Path(AGE).is_file()
needs_age = pytest.mark.skipif(
    not HAVE_AGE and not os.environ.get("CI"), reason="the stock age tool is not installed (/usr/bin/age)"
)
# the same commands as `sunbid`, without needing web/cli.py (and the rest of the app) to import
ENTRY = "import click, web.cli_crypto as c; g = click.Group('sunbid'); c.register(g); g(prog_name='sunbid')"


def sunbid(*args: str | Path, input: bytes | None = None) -> Result:
    group = click.Group("sunbid")
    register(group)
    return CliRunner().invoke(group, [str(a) for a in args], input=input)


def run_sunbid(*args: str | Path, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """A real process: real stdin/stdout file descriptors, exit codes and stderr."""
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *map(str, args)],
        input=input,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )


def assert_clean_failure(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def keygen(path: Path, *extra: str) -> str:
    """The recipient, read as from age-keygen: "Public key: age1…" on stderr, nothing on stdout."""
    result = sunbid("keygen", "-o", path, *extra)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    found = re.fullmatch(r"Public key: (age1[0-9a-z]+)\n", result.stderr)
    assert found, result.stderr
    return found.group(1)


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text("correct horse battery staple\n")
    return path


# --- keygen ---------------------------------------------------------------------------------------


def test_keygen_file_format(tmp_path: Path) -> None:
    key_file = tmp_path / "me.txt"
    recipient = keygen(key_file)
    lines = key_file.read_text().splitlines()
    assert len(lines) == 3
    assert re.fullmatch(r"# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[0])
    assert lines[1] == f"# public key: {recipient}"
    assert recipient.startswith("age1") and lines[2].startswith("AGE-SECRET-KEY-1")
    assert X25519Identity.from_str(lines[2]).recipient().to_str() == recipient
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    key_file = tmp_path / "me.txt"
    key_file.write_text("precious\n")
    assert_clean_failure(sunbid("keygen", "-o", key_file), "already exists")
    assert key_file.read_text() == "precious\n"


def test_keygen_with_passphrase(tmp_path: Path, passfile: Path) -> None:
    key_file = tmp_path / "me.age"
    recipient = keygen(key_file, "--passphrase-file", str(passfile))
    text = key_file.read_text()
    assert text.startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    assert "AGE-SECRET-KEY" not in text and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    sealed = sunbid("age", "encrypt", "-r", recipient, input=b"sealed bid").stdout_bytes
    opened = sunbid("age", "decrypt", "-i", key_file, "--passphrase-file", passfile, input=sealed)
    assert opened.exit_code == 0, opened.output
    assert opened.stdout_bytes == b"sealed bid"
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n")
    result = sunbid("age", "decrypt", "-i", key_file, "--passphrase-file", wrong, input=sealed)
    assert_clean_failure(result, "wrong passphrase?")


@needs_age
def test_stock_age_uses_keygen_output(tmp_path: Path) -> None:
    key_file = tmp_path / "me.txt"
    recipient = keygen(key_file)
    keygen_y = subprocess.run([AGE + "-keygen", "-y", key_file], capture_output=True, text=True, check=False)
    if keygen_y.returncode == 0:
        assert keygen_y.stdout.strip() == recipient
    sealed = subprocess.run([AGE, "-r", recipient], input=b"bid", capture_output=True, check=True).stdout
    opened = subprocess.run([AGE, "-d", "-i", key_file], input=sealed, capture_output=True, check=True)
    assert opened.stdout == b"bid"


def test_keygen_without_output_writes_the_identity_to_stdout_like_age_keygen(tmp_path: Path) -> None:
    made = run_sunbid("keygen")
    assert made.returncode == 0, made.stderr
    text = made.stdout.decode()
    lines = text.splitlines()
    assert len(lines) == 3 and lines[2].startswith("AGE-SECRET-KEY-1")
    recipient = X25519Identity.from_str(lines[2]).recipient().to_str()
    assert lines[1] == f"# public key: {recipient}"
    assert made.stderr.decode() == f"Public key: {recipient}\n"  # the key itself never goes to stderr
    assert sunbid("keygen", "-o", "-").stdout.count("AGE-SECRET-KEY-1") == 1  # "-" is stdout too
    # a passphrase-protected identity on stdout is armored age, and opens with the passphrase
    passfile = tmp_path / "pass.txt"
    passfile.write_text("correct horse\n")
    sealed_key = run_sunbid("keygen", "--passphrase-file", passfile)
    assert sealed_key.stdout.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    assert b"AGE-SECRET-KEY" not in sealed_key.stdout + sealed_key.stderr
    key_file = tmp_path / "sealed.age"
    key_file.write_bytes(sealed_key.stdout)
    r = sealed_key.stderr.decode().removeprefix("Public key: ").strip()
    bid = sunbid("age", "encrypt", "-r", r, input=b"bid").stdout_bytes
    assert (
        sunbid("age", "decrypt", "-i", key_file, "--passphrase-file", passfile, input=bid).stdout_bytes
        == b"bid"
    )


@needs_age
def test_stock_age_decrypts_with_the_identity_keygen_wrote_to_stdout(tmp_path: Path) -> None:
    made = run_sunbid("keygen")
    key_file = tmp_path / "from-stdout.txt"
    key_file.write_bytes(made.stdout)  # as `sunbid keygen > key.txt` would
    recipient = made.stderr.decode().removeprefix("Public key: ").strip()
    sealed = subprocess.run([AGE, "-r", recipient], input=b"bid", capture_output=True, check=True).stdout
    opened = subprocess.run([AGE, "-d", "-i", key_file], input=sealed, capture_output=True, check=True)
    assert opened.stdout == b"bid"


# --- age encrypt / decrypt -----------------------------------------------------------------------


def test_round_trip_through_files(tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice.txt", tmp_path / "bob.txt"
    ra, rb = keygen(alice), keygen(bob)
    plain = tmp_path / "bid.zip"
    plain.write_bytes(os.urandom(200_000))
    for armor in ([], ["-a"]):
        sealed = tmp_path / f"bid{len(armor)}.age"
        result = sunbid("age", "encrypt", "-r", ra, "-r", rb, *armor, "-o", sealed, plain)
        assert result.exit_code == 0, result.output
        assert sealed.read_bytes().startswith(b"-----BEGIN" if armor else b"age-encryption.org/v1\n")
        for identity in (alice, bob):
            out = tmp_path / f"out-{identity.stem}{len(armor)}"
            result = sunbid("age", "decrypt", "-i", identity, "-o", out, sealed)
            assert result.exit_code == 0, result.output
            assert out.read_bytes() == plain.read_bytes()


def test_recipients_file(tmp_path: Path) -> None:
    ra = keygen(tmp_path / "a.txt")
    rfile = tmp_path / "recipients.txt"
    rfile.write_text(f"# the bidder\n{ra}\n\n")
    sealed = sunbid("age", "encrypt", "-R", rfile, "-a", input=b"x").stdout_bytes
    assert sunbid("age", "decrypt", "-i", tmp_path / "a.txt", input=sealed).stdout_bytes == b"x"


def test_passphrase_encryption(tmp_path: Path, passfile: Path) -> None:
    sealed = sunbid("age", "encrypt", "--passphrase-file", passfile, "-a", input=b"by passphrase")
    assert sealed.exit_code == 0, sealed.output
    opened = sunbid("age", "decrypt", "--passphrase-file", passfile, input=sealed.stdout_bytes)
    assert opened.stdout_bytes == b"by passphrase"
    ra = keygen(tmp_path / "a.txt")
    assert_clean_failure(
        sunbid("age", "encrypt", "--passphrase-file", passfile, "-r", ra, input=b"x"), "cannot be combined"
    )


def test_stdin_stdout_in_a_real_process(tmp_path: Path) -> None:
    identity = tmp_path / "me.txt"
    recipient = keygen(identity)
    payload = os.urandom(300_000)
    sealed = run_sunbid("age", "encrypt", "-r", recipient, input=payload)
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith(b"age-encryption.org/v1\n")
    opened = run_sunbid("age", "decrypt", "-i", identity, input=sealed.stdout)
    assert opened.returncode == 0 and opened.stdout == payload
    corrupt = run_sunbid("age", "decrypt", "-i", identity, input=sealed.stdout[:-10])
    assert corrupt.returncode == 1
    assert corrupt.stderr.startswith(b"Error: ") and b"Traceback" not in corrupt.stderr
    assert len(corrupt.stderr.strip().splitlines()) == 1


def test_large_file_with_progress(tmp_path: Path) -> None:
    identity = tmp_path / "me.txt"
    recipient = keygen(identity)
    plain = tmp_path / "big.bin"
    plain.write_bytes(os.urandom(5 * 1024 * 1024 + 123))  # over the 4 MiB progress threshold
    sealed, out = tmp_path / "big.age", tmp_path / "big.out"
    assert run_sunbid("age", "encrypt", "-r", recipient, "-o", sealed, plain).returncode == 0
    assert run_sunbid("age", "decrypt", "-i", identity, "-o", out, sealed).returncode == 0
    assert out.read_bytes() == plain.read_bytes()


@needs_age
def test_interoperates_with_stock_age(tmp_path: Path) -> None:
    identity = tmp_path / "me.txt"
    recipient = keygen(identity)
    ours = sunbid("age", "encrypt", "-r", recipient, "-a", input=b"ours").stdout_bytes
    assert (
        subprocess.run([AGE, "-d", "-i", identity], input=ours, capture_output=True, check=True).stdout
        == b"ours"
    )
    theirs = subprocess.run([AGE, "-r", recipient], input=b"theirs", capture_output=True, check=True).stdout
    assert sunbid("age", "decrypt", "-i", identity, input=theirs).stdout_bytes == b"theirs"


def test_failed_decrypt_leaves_nothing(tmp_path: Path) -> None:
    right, wrong = tmp_path / "right.txt", tmp_path / "wrong.txt"
    recipient = keygen(right)
    keygen(wrong)
    sealed = tmp_path / "bid.age"
    sealed.write_bytes(sunbid("age", "encrypt", "-r", recipient, input=b"x" * 100_000).stdout_bytes)
    out = tmp_path / "out" / "bid.zip"
    out.parent.mkdir()
    assert_clean_failure(sunbid("age", "decrypt", "-i", wrong, "-o", out, sealed), "no identity matches")
    truncated = tmp_path / "truncated.age"
    truncated.write_bytes(sealed.read_bytes()[:-1])
    result = sunbid("age", "decrypt", "-i", right, "-o", out, truncated)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["age", "encrypt", "-r", "age1nope"], "not an age recipient"),
        (["age", "encrypt"], "at least one"),
        (["age", "decrypt", "-i", "{id}", "{missing}"], "No such file"),
        (["age", "decrypt", "-i", "{garbage}"], "{garbage}"),
    ],
)
def test_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("AGE-SECRET-KEY-1NOTAKEY\n")
    keygen(tmp_path / "id.txt")
    names = {"id": str(tmp_path / "id.txt"), "missing": str(tmp_path / "missing"), "garbage": str(garbage)}
    assert_clean_failure(sunbid(*[a.format(**names) for a in args], input=b"data"), message.format(**names))


# --- custody ---------------------------------------------------------------------------------------


@pytest.fixture
def custodians(tmp_path: Path) -> list[tuple[Path, str]]:
    return [(tmp_path / f"custodian-{i}.txt", keygen(tmp_path / f"custodian-{i}.txt")) for i in range(1, 6)]


def ceremony(folder: Path, custodians: list[tuple[Path, str]], k: int = 3) -> str:
    args = [a for _, r in custodians for a in ("--custodian", r)]
    result = sunbid("custody", "init", "--threshold", str(k), *args, "--out", folder)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def combine(folder: Path, custodians: list[tuple[Path, str]], picks: list[int], *extra: str | Path) -> Result:
    shares = [folder / f"share-{i}.age" for i in picks]
    ids = [a for path, _ in custodians for a in ("-i", path)]
    return sunbid("custody", "combine", *shares, *ids, *extra)


def test_custody_three_of_five(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    folder = tmp_path / "tender-42"
    opening = ceremony(folder, custodians)
    assert (folder / "opening-recipient.txt").read_text() == f"{opening}\n"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["ceremony.json", "opening-recipient.txt", *[f"share-{i}.age" for i in range(1, 6)]]
    record = json.loads((folder / "ceremony.json").read_text())
    assert record["threshold"] == 3 and record["opening_recipient"] == opening
    assert [c["recipient"] for c in record["custodians"]] == [r for _, r in custodians]
    for path in folder.iterdir():  # the opening identity is never written anywhere
        assert b"AGE-SECRET-KEY" not in path.read_bytes()
        assert b"sunbid-share" not in path.read_bytes()

    result = combine(folder, custodians, [1, 3, 5])
    assert result.exit_code == 0, result.output
    identity = X25519Identity.from_str(result.stdout.strip())
    assert identity.recipient().to_str() == opening
    assert combine(folder, custodians, [4, 2, 5]).stdout == result.stdout

    key_file = tmp_path / "opening.txt"
    key_file.write_text(result.stdout)
    sealed = sunbid("age", "encrypt", "-r", opening, input=b"bid for tender 42").stdout_bytes
    assert sunbid("age", "decrypt", "-i", key_file, input=sealed).stdout_bytes == b"bid for tender 42"


def test_custody_shares_open_with_stock_age(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    if not HAVE_AGE:
        pytest.skip("no age tool")
    folder = tmp_path / "c"
    ceremony(folder, custodians)
    opened = subprocess.run([AGE, "-d", "-i", custodians[1][0], folder / "share-2.age"], capture_output=True)
    assert opened.stdout.startswith(b"sunbid-share-1:3:2:")


def test_custody_too_few_shares(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    folder = tmp_path / "c"
    ceremony(folder, custodians)
    assert_clean_failure(combine(folder, custodians, [2, 4]), "need 3 shares, got 2")


def test_custody_duplicate_share(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    folder = tmp_path / "c"
    ceremony(folder, custodians)
    assert_clean_failure(combine(folder, custodians, [2, 4, 2]), "share 2 given more than once")


def test_custody_share_from_another_ceremony(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    ceremony(first, custodians)
    ceremony(second, custodians)
    stray = first / "stray"
    stray.mkdir()
    shutil.copy(second / "share-3.age", stray / "share-3.age")
    ids = [a for path, _ in custodians for a in ("-i", path)]
    shares = [first / "share-1.age", first / "share-2.age", stray / "share-3.age"]
    result = sunbid("custody", "combine", *shares, *ids)  # found first/opening-recipient.txt beside share 1
    assert_clean_failure(result, MISMATCH)
    explicit = sunbid(
        "custody", "combine", *shares, *ids, "--recipient-file", first / "opening-recipient.txt"
    )
    assert_clean_failure(explicit, MISMATCH)
    # shares beside two different opening-recipient.txt files are refused before decrypting anything
    mixed = sunbid(
        "custody", "combine", first / "share-1.age", first / "share-2.age", second / "share-3.age", *ids
    )
    assert_clean_failure(mixed, "different ceremonies")


def test_custody_expect_recipient(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    folder = tmp_path / "c"
    opening = ceremony(folder, custodians)
    (folder / "opening-recipient.txt").unlink()
    unchecked = combine(folder, custodians, [1, 2, 3])
    assert unchecked.exit_code == 0 and "warning" in unchecked.stderr
    assert combine(folder, custodians, [1, 2, 3], "--expect-recipient", opening).exit_code == 0
    other = custodians[0][1]
    assert_clean_failure(combine(folder, custodians, [1, 2, 3], "--expect-recipient", other), MISMATCH)


def test_custody_identity_output_file(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    folder = tmp_path / "c"
    opening = ceremony(folder, custodians)
    out = tmp_path / "opening.txt"
    result = combine(folder, custodians, [1, 2, 3], "-o", out)
    assert result.exit_code == 0 and result.stdout.strip() == opening
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "# public key: " + opening in out.read_text()


def test_custody_with_protected_identities(tmp_path: Path, passfile: Path) -> None:
    people = [
        (tmp_path / f"p{i}.age", keygen(tmp_path / f"p{i}.age", "--passphrase-file", str(passfile)))
        for i in (1, 2)
    ]
    folder = tmp_path / "c"
    opening = ceremony(folder, people, k=2)
    result = combine(folder, people, [1, 2], "--passphrase-file", passfile)
    assert result.exit_code == 0, result.output
    assert X25519Identity.from_str(result.stdout.strip()).recipient().to_str() == opening


def test_custody_missing_identity(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    folder = tmp_path / "c"
    ceremony(folder, custodians)
    result = combine(folder, custodians[:2], [1, 2, 3])
    assert_clean_failure(result, "share-3.age: none of the given identities can open this share")


def test_custody_init_refusals(tmp_path: Path, custodians: list[tuple[Path, str]]) -> None:
    recipients = [a for _, r in custodians[:2] for a in ("--custodian", r)]
    assert_clean_failure(
        sunbid("custody", "init", "--threshold", "3", *recipients, "--out", tmp_path / "a"),
        "needs at least 3",
    )
    twice = ["--custodian", custodians[0][1]] * 3
    assert_clean_failure(
        sunbid("custody", "init", "--threshold", "2", *twice, "--out", tmp_path / "b"), "distinct"
    )
    folder = tmp_path / "c"
    ceremony(folder, custodians)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    args = [a for _, r in custodians for a in ("--custodian", r)]
    again = sunbid("custody", "init", "--threshold", "3", *args, "--out", folder)
    assert_clean_failure(again, "already exists")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
