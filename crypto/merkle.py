"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs, and C2SP signed checkpoints for the audit log.

Hashes: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), empty tree = SHA-256("").
`MerkleTree` keeps every complete subtree hash, so appending is O(1) amortised and any past root or
proof costs O(log² n) hashes; the module-level functions build one from a list of leaf hashes.

Checkpoints follow C2SP tlog-checkpoint (body "origin\\nsize\\nbase64(root)\\n") signed as a C2SP
signed note with an Ed25519 key; the stock Go tooling (golang.org/x/mod/sumdb/note) can read them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split_point(n: int) -> int:
    """Largest power of two strictly below n (n >= 2): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only tree over leaf hashes.

    `_levels[h][j]` is the hash of the perfect subtree of 2^h leaves starting at leaf j * 2^h; only
    complete subtrees are stored, and they never change once complete.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    def __len__(self) -> int:
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Add a leaf hash; return its index."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        self._levels[0].append(leaf)
        level = 0
        # each time a level gets an even count, a new parent subtree is complete
        while len(self._levels[level]) % 2 == 0:
            row = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append([])
            self._levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1
        return len(self._levels[0]) - 1

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range that is a subtree of some RFC 6962 tree."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self._levels[n.bit_length() - 1][start // n]
        k = _split_point(n)
        return node_hash(self._range_hash(start, start + k), self._range_hash(start + k, end))

    def _check_size(self, size: int | None) -> int:
        size = len(self) if size is None else size
        if not 0 <= size <= len(self):
            raise ValueError(f"tree size {size} is outside 0..{len(self)}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """Root of the first `size` leaves (default: all)."""
        size = self._check_size(size)
        return self._range_hash(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 PATH(index, D[0:size]), leaf side first."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is outside a tree of size {size}")
        proof: list[bytes] = []
        start, end = 0, size
        # walk down from the root, collecting the sibling of each subtree holding the leaf
        while end - start > 1:
            k = _split_point(end - start)
            if index < start + k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                start += k
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 6962 PROOF(old_size, D[0:new_size]); empty when old_size is 0 or equals new_size."""
        new_size = self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} is outside 0..{new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, end, m, whole = 0, new_size, old_size, True
        # SUBPROOF(m, D[start:end], whole), unrolled; collected root side first
        while m != end - start:
            k = _split_point(end - start)
            if m <= k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            proof.append(self._range_hash(start, end))
        proof.reverse()
        return proof


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Root hash of the tree over `leaf_hashes`, computed level by level without recursion."""
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        # pairing left to right and promoting an odd last node gives exactly RFC 6962's shape
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    return MerkleTree(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first `old_size` leaves' tree is a prefix of the tree over all `leaf_hashes`."""
    return MerkleTree(leaf_hashes).consistency_proof(old_size)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2. The caller must know that `root` is the root at `tree_size` (a signed
    checkpoint says so): the proof alone does not bind the size."""
    if not 0 <= index < tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, plus the trivial cases: an empty old tree, or equal sizes with equal roots."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # the old tree is a complete subtree, so its root is the proof's implicit first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- checkpoints (C2SP tlog-checkpoint + signed-note) -----------------------------------------

_SIG_PREFIX = "\u2014 "  # em dash + space starts every signature line
_ED25519_ALG = b"\x01"
_KEY_NAME = re.compile(r"[^\s+]+")


class CheckpointError(ValueError):
    """A checkpoint or note is malformed, or not signed by the expected key."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()  # optional extra body lines, carried but not interpreted

    def body(self) -> str:
        if not self.origin or "\n" in self.origin or any(not e or "\n" in e for e in self.extensions):
            raise CheckpointError("origin and extension lines must be non-empty single lines")
        if self.size < 0 or len(self.root) != HASH_SIZE:
            raise CheckpointError("checkpoint needs a size >= 0 and a 32-byte root")
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not lines[0] or any(not line for line in lines[3:]):
            raise CheckpointError("checkpoint body needs origin, size and root lines")
        origin, size_text, root_text = lines[:3]
        if not re.fullmatch(r"0|[1-9][0-9]*", size_text):
            raise CheckpointError(f"bad checkpoint size {size_text!r}")
        try:
            root = base64.b64decode(root_text, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError("checkpoint root is not valid base64") from None
        if len(root) != HASH_SIZE:
            raise CheckpointError("checkpoint root must be 32 bytes")
        return cls(origin=origin, size=int(size_text), root=root, extensions=tuple(lines[3:]))


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_key_name(name: str) -> None:
    if not _KEY_NAME.fullmatch(name):
        raise CheckpointError(f"key name must be non-empty without spaces or '+': {name!r}")


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519_ALG + public_key).digest()[:4]


def sign_checkpoint(cp: Checkpoint, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Return the signed note: body, blank line, `— <name> <base64(key id || signature)>`."""
    _check_key_name(key_name)
    body = cp.body()
    sig = private_key.sign(body.encode("utf-8"))
    kid = _key_id(key_name, _raw_public(private_key.public_key()))
    return f"{body}\n{_SIG_PREFIX}{key_name} {base64.b64encode(kid + sig).decode('ascii')}\n"


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """Verifier key text `<name>+<hex key id>+<base64(0x01 || public key)>`."""
    _check_key_name(name)
    raw = _raw_public(public_key)
    return f"{name}+{_key_id(name, raw).hex()}+{base64.b64encode(_ED25519_ALG + raw).decode('ascii')}"


def _parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    parts = text.strip().split("+", 2)  # the base64 key itself may contain "+"
    if len(parts) != 3:
        raise CheckpointError("verifier key must be <name>+<key id>+<key>")
    name, kid_hex, key_b64 = parts
    _check_key_name(name)
    try:
        kid = bytes.fromhex(kid_hex)
        key = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError("verifier key is not valid hex/base64") from None
    if len(kid) != 4 or len(key) != 33 or key[:1] != _ED25519_ALG:
        raise CheckpointError("verifier key is not an Ed25519 key")
    if _key_id(name, key[1:]) != kid:
        raise CheckpointError("verifier key id does not match its name and key")
    return name, kid, Ed25519PublicKey.from_public_bytes(key[1:])


def open_note(note_text: str, verifier_key_text: str) -> str:
    """Verify a C2SP signed note with the given verifier key; return its text (the signed part).

    Signatures by other keys (witness cosignatures, for example) are ignored; at least one must be
    a valid signature by the given key.
    """
    name, kid, public_key = _parse_verifier_key(verifier_key_text)
    if not note_text.endswith("\n") or any(c < " " and c != "\n" for c in note_text):
        raise CheckpointError("note must end with a newline and contain no control characters")
    sep = note_text.rfind("\n\n")
    if sep < 0:
        raise CheckpointError("note has no signature block")
    body, sig_block = note_text[: sep + 1], note_text[sep + 2 :]
    found = False
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(f"malformed signature line {line!r}")
        sig_name, _, sig_b64 = line[len(_SIG_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(sig_b64, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError("signature is not valid base64") from None
        if len(raw) < 5:
            raise CheckpointError("signature too short")
        if sig_name != name or raw[:4] != kid:
            continue
        try:
            public_key.verify(raw[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise CheckpointError(f"invalid signature by {name}") from None
        found = True
    if not found:
        raise CheckpointError(f"note is not signed by {name}")
    return body


def open_checkpoint(note_text: str, verifier_key_text: str) -> Checkpoint:
    """Verify a signed checkpoint (see `open_note`) and parse its body."""
    return Checkpoint.from_body(open_note(note_text, verifier_key_text))


# --- Incremental appends -------------------------------------------------------------------------
# An append-only log keeps only the "frontier": the roots of the perfect subtrees that make up the
# tree, largest (leftmost) first, one per set bit of the size. Appending is a binary-counter carry,
# and the RFC 6962 root is their right fold, so the log never rereads its leaves to sign a checkpoint.


def frontier_append(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier of a tree of ``size + 1`` leaves, from that of ``size`` leaves plus ``leaf``."""
    if len(frontier) != bin(size).count("1"):
        raise ValueError(f"a frontier for size {size} has {bin(size).count('1')} hashes, got {len(frontier)}")
    stack = list(frontier)
    node = leaf
    carry = size
    while carry & 1:
        node = node_hash(stack.pop(), node)
        carry >>= 1
    stack.append(node)
    return stack


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the tree whose frontier this is."""
    if not frontier:
        return hashlib.sha256(b"").digest()
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root
