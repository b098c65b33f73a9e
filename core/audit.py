"""The append-only audit log: RFC 6962/9162 Merkle tree, one signed checkpoint per appended entry.

Entries are public by design: a fact the public may not know yet goes in as ``seal(value, salt)``
and the salt is revealed later (see DESIGN.md, "Audit log"). Appends run inside the caller's
transaction, so an entry exists exactly when the change it records was committed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import table_of
from core.errors import NotFound
from core.events import AuditNews
from core.group_commit import deferred
from core.models import AuditEntry, AuditHead
from core.pubsub import after_commit
from crypto import merkle
from crypto.signing import canonical_json

HEAD_ID = 1
CHANNEL = "audit"


def seal(value: Any, salt: bytes) -> str:
    """A commitment to a not-yet-public value; anyone checks it once the salt is revealed."""
    return hashlib.sha256(salt + canonical_json(value)).hexdigest()


def new_salt() -> bytes:
    return secrets.token_bytes(16)


@dataclass(frozen=True)
class Appended:
    position: int
    created_at: datetime
    kind: str
    entry: str  # the canonical JSON that was hashed
    leaf_hash: bytes
    root: bytes
    checkpoint: str
    proof: list[bytes]  # inclusion proof of this entry in the tree it completes (size position + 1)


@dataclass(frozen=True)
class Problem:
    position: int
    reason: str


@dataclass(frozen=True)
class VerifyReport:
    size: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


class AuditSigner:
    """The server's checkpoint key, loaded from a PEM file (generated there on first use)."""

    def __init__(self, origin: str, private_key: Ed25519PrivateKey) -> None:
        self.origin = origin
        self.private_key = private_key

    @classmethod
    def from_file(cls, origin: str, path: Path) -> AuditSigner:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            try:
                with path.open("xb") as fh:
                    path.chmod(0o600)
                    fh.write(pem)
            except FileExistsError:
                pass  # another process generated it first; use theirs
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(origin, key)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def verifier_key(self) -> str:
        return merkle.verifier_key(self.origin, self.public_key)

    def sign(self, size: int, root: bytes) -> str:
        return merkle.sign_checkpoint(
            merkle.Checkpoint(self.origin, size, root), self.origin, self.private_key
        )


async def entries_after(
    session: AsyncSession, after: int, *, limit: int, kind: str | None = None
) -> list[AuditEntry]:
    """Entries with positions above ``after`` (optionally of one kind), oldest first."""
    query = select(AuditEntry).where(AuditEntry.position > after)
    if kind is not None:
        query = query.where(AuditEntry.kind == kind)
    return list(await session.scalars(query.order_by(AuditEntry.position).limit(limit)))


async def ensure_head(session: AsyncSession) -> None:
    """Create the head row of an empty log (the initial migration does the same)."""
    if await session.get(AuditHead, HEAD_ID) is None:
        session.add(AuditHead(id=HEAD_ID, size=0, frontier=b""))
        await session.flush()


# The append's statements, built once, on the tables (core/db.py). The head is never kept as an
# object across an append (``size`` and ``verify`` read its columns), so nothing held goes stale.
_HEADS = table_of(AuditHead)
_HEAD = update(_HEADS).where(_HEADS.c.id == HEAD_ID)
_BUMP_HEAD = _HEAD.values(size=_HEADS.c.size + 1).returning(_HEADS.c.size, _HEADS.c.frontier)
_SET_FRONTIER = _HEAD.values(frontier=bindparam("new_frontier"))
_INSERT_ENTRY = insert(table_of(AuditEntry))
# A shared transaction holds the head's lock from its first statement (core/group_commit.py): its
# appends read the head once and write it once (``_HeldEntries``).
_READ_HEAD = select(_HEADS.c.size, _HEADS.c.frontier).where(_HEADS.c.id == HEAD_ID)
_SET_HEAD = _HEAD.values(size=bindparam("new_size"), frontier=bindparam("new_frontier"))


class _HeldEntries:
    """A shared transaction's audit entries: numbered, hashed and signed as they come from the head
    read once, and stored together just before the commit (one head update, one insert for all)."""

    def __init__(self) -> None:
        self.size = -1  # the head's size once read
        self.frontier: list[bytes] = []
        self.rows: list[dict[str, Any]] = []

    async def write(self, session: AsyncSession) -> None:
        if self.rows:
            await session.execute(_SET_HEAD, {"new_size": self.size, "new_frontier": b"".join(self.frontier)})
            await session.execute(_INSERT_ENTRY, self.rows)


async def _head(session: AsyncSession, statement: Any) -> tuple[int, list[bytes]]:
    """The head's size and frontier as ``statement`` (bump or read) returns them."""
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise RuntimeError("audit log head is missing: run `sunbid db upgrade`")
    size, packed = row
    return size, unpack(packed)


class AuditLog:
    def __init__(self, signer: AuditSigner, clock: Clock) -> None:
        self.signer = signer
        self.clock = clock

    async def append(
        self,
        session: AsyncSession,
        kind: str,
        *,
        actor: str | None = None,
        subject: str | None = None,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Appended:
        """Append an entry; its time is now, or ``at`` where what it records was decided earlier in
        the same transaction (a bid accepted under its tender's lock: its receipt must carry the
        instant the deadline was checked at, not the later one the append ran at). Positions, not
        times, order the log: on PostgreSQL another tender's append can fall between the two."""
        held = deferred(session, "core.audit", _HeldEntries)
        if held is None:
            # Bumping the head row first takes its row lock (PostgreSQL) or the write lock (SQLite), so
            # concurrent appends from any number of processes queue here and positions have no gaps.
            new_size, before = await _head(session, _BUMP_HEAD)
        else:  # the shared transaction holds that lock already (core/group_commit.py)
            if held.size < 0:
                held.size, held.frontier = await _head(session, _READ_HEAD)
            held.size += 1
            new_size, before = held.size, held.frontier
        position = new_size - 1
        now = self.clock.now() if at is None else at
        entry = canonical_json(
            {
                "position": position,
                "time": now.isoformat(),
                "kind": kind,
                "actor": actor,
                "subject": subject,
                "data": data or {},
            }
        )
        leaf = merkle.leaf_hash(entry)
        # The newest leaf's audit path is the old frontier, nearest subtree first: free to compute here,
        # so receipts never reread the log.
        proof = list(reversed(before))
        frontier = merkle.frontier_append(before, position, leaf)
        root = merkle.frontier_root(frontier)
        checkpoint = self.signer.sign(new_size, root)
        row = {
            "position": position,
            "created_at": now,
            "kind": kind,
            "entry": entry.decode(),
            "leaf_hash": leaf,
            "root": root,
            "checkpoint": checkpoint,
        }
        if held is None:
            await session.execute(_SET_FRONTIER, {"new_frontier": b"".join(frontier)})
            await session.execute(_INSERT_ENTRY, row)
        else:
            held.frontier = frontier
            held.rows.append(row)
        appended = Appended(position, now, kind, entry.decode(), leaf, root, checkpoint, proof)
        after_commit(session, CHANNEL, AuditNews(position=position, kind=kind, time=now.isoformat()))
        return appended

    async def size(self, session: AsyncSession) -> int:
        return await session.scalar(select(AuditHead.size).where(AuditHead.id == HEAD_ID)) or 0

    async def entry(self, session: AsyncSession, position: int) -> AuditEntry:
        found = await session.get(AuditEntry, position)
        if found is None:
            raise NotFound(f"audit entry {position} does not exist")
        return found

    async def recent(self, session: AsyncSession, *, before: int, limit: int) -> list[AuditEntry]:
        """Entries with positions below ``before``, newest first."""
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.position < before)
            .order_by(AuditEntry.position.desc())
            .limit(limit)
        )
        return list(rows)

    async def leaf_hashes(self, session: AsyncSession, size: int) -> list[bytes]:
        rows = await session.scalars(
            select(AuditEntry.leaf_hash).where(AuditEntry.position < size).order_by(AuditEntry.position)
        )
        return list(rows)

    async def inclusion_proof(self, session: AsyncSession, position: int, size: int) -> list[bytes]:
        leaves = await self.leaf_hashes(session, size)
        if not 0 <= position < len(leaves) or size != len(leaves):
            raise NotFound(f"no entry {position} in a log of size {size}")
        return merkle.inclusion_proof(leaves, position)

    async def consistency_proof(self, session: AsyncSession, old_size: int, new_size: int) -> list[bytes]:
        leaves = await self.leaf_hashes(session, new_size)
        if not 0 < old_size <= new_size == len(leaves):
            raise NotFound(f"no consistency proof from size {old_size} to {new_size}")
        return merkle.consistency_proof(leaves, old_size)

    async def verify(
        self, session: AsyncSession, progress: Callable[[int], None] | None = None
    ) -> VerifyReport:
        """Recompute every leaf, root and checkpoint; name the first entry that no longer matches."""
        verifier = self.signer.verifier_key
        frontier: list[bytes] = []
        expected = 0
        async for stored in _entries(session):
            if stored.position != expected:
                return VerifyReport(expected, Problem(expected, f"entry {expected} is missing"))
            problem = _check_entry(stored, frontier, verifier)
            if problem:
                return VerifyReport(expected, Problem(expected, problem))
            expected += 1
            if progress:
                progress(expected)
        head = (
            await session.execute(select(AuditHead.size, AuditHead.frontier).where(AuditHead.id == HEAD_ID))
        ).first()
        if head is not None and (head.size != expected or unpack(head.frontier) != frontier):
            return VerifyReport(
                expected, Problem(expected, f"head says size {head.size}, log has {expected}")
            )
        return VerifyReport(expected, None)


def _check_entry(stored: AuditEntry, frontier: list[bytes], verifier: str) -> str | None:
    """Extend ``frontier`` with the recomputed leaf; return what no longer matches, if anything."""
    position = stored.position
    try:
        body = json.loads(stored.entry)
    except ValueError:
        return "entry is not valid JSON"
    if body.get("position") != position or canonical_json(body) != stored.entry.encode():
        return "entry text was changed (not canonical or wrong position)"
    leaf = merkle.leaf_hash(stored.entry.encode())
    frontier[:] = merkle.frontier_append(frontier, position, leaf)
    root = merkle.frontier_root(frontier)
    if leaf != stored.leaf_hash:
        return "entry text no longer matches its leaf hash"
    try:
        checkpoint = merkle.open_checkpoint(stored.checkpoint, verifier)
    except merkle.CheckpointError as exc:
        return f"checkpoint signature invalid: {exc}"
    if checkpoint.size != position + 1 or checkpoint.root != root or stored.root != root:
        return "tree root no longer matches the signed checkpoint"
    return None


async def _entries(session: AsyncSession, batch: int = 2000) -> AsyncIterator[AuditEntry]:
    last = -1
    while True:
        rows = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.position > last)
                .order_by(AuditEntry.position)
                .limit(batch)
            )
        )
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].position
        for row in rows:  # keep memory flat on long logs
            session.expunge(row)


def unpack(packed: bytes) -> list[bytes]:
    return [packed[i : i + 32] for i in range(0, len(packed), 32)]
