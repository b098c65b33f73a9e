import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.merkle import (
    Checkpoint,
    CheckpointError,
    MerkleTree,
    consistency_proof,
    frontier_append,
    frontier_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    tree_root,
    verifier_key,
    verify_consistency,
    verify_inclusion,
)

N = node_hash
L = [leaf_hash(bytes([i])) for i in range(64)]


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written as literally as possible (recursive slicing)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_hash_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"l" * 32, b"r" * 32) == hashlib.sha256(b"\x01" + b"l" * 32 + b"r" * 32).digest()


def test_small_trees_by_hand() -> None:
    n01, n23, n45, n67 = N(L[0], L[1]), N(L[2], L[3]), N(L[4], L[5]), N(L[6], L[7])
    expected = {
        0: hashlib.sha256(b"").digest(),
        1: L[0],
        2: n01,
        3: N(n01, L[2]),
        4: N(n01, n23),
        5: N(N(n01, n23), L[4]),
        6: N(N(n01, n23), n45),
        7: N(N(n01, n23), N(n45, L[6])),
        8: N(N(n01, n23), N(n45, n67)),
    }
    for size, root in expected.items():
        assert tree_root(L[:size]) == root, size
        assert MerkleTree(L[:size]).root() == root, size


def test_roots_match_the_rfc_definition() -> None:
    tree = MerkleTree()
    for size in range(1, 65):
        tree.append(L[size - 1])
        assert tree_root(L[:size]) == _mth(L[:size])
        assert tree.root() == _mth(L[:size])
    for size in range(65):
        assert tree.root(size) == _mth(L[:size])


# certificate-transparency merkle_tree_test.cc: roots of the first n of these 8 leaves
CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_certificate_transparency_vectors() -> None:
    hashes = [leaf_hash(bytes.fromhex(x)) for x in CT_LEAVES]
    for size in range(1, 9):
        assert tree_root(hashes[:size]).hex() == CT_ROOTS[size - 1]
    assert tree_root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_inclusion_proof_by_hand() -> None:
    # leaf 2 of 7: sibling L3, then N(L0,L1), then the right half N(N(L4,L5), L6)
    assert inclusion_proof(L[:7], 2) == [L[3], N(L[0], L[1]), N(N(L[4], L[5]), L[6])]
    # leaf 6 of 7 has no sibling at the bottom: it is promoted
    assert inclusion_proof(L[:7], 6) == [N(L[4], L[5]), N(N(L[0], L[1]), N(L[2], L[3]))]
    assert inclusion_proof(L[:1], 0) == []


def test_consistency_proof_by_hand() -> None:
    # RFC 6962 §2.1.3 examples for the 7-leaf tree:
    # PROOF(3) = [c, d, g, l], PROOF(4) = [l], PROOF(6) = [i, j, k]
    c, d, g = L[2], L[3], N(L[0], L[1])
    i, j, k = L[4], L[5], L[6]
    h, ij = N(c, d), N(i, j)
    leaf7 = L[:7]
    assert consistency_proof(leaf7, 3) == [c, d, g, N(ij, k)]
    assert consistency_proof(leaf7, 4) == [N(ij, k)]
    assert consistency_proof(leaf7, 6) == [ij, k, N(g, h)]
    assert consistency_proof(leaf7, 7) == []
    assert consistency_proof(leaf7, 0) == []


def _tamper(proof: list[bytes], i: int) -> list[bytes]:
    bad = list(proof)
    bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
    return bad


def test_all_inclusion_proofs_up_to_20() -> None:
    for size in range(1, 21):
        root = tree_root(L[:size])
        tree = MerkleTree(L[:20])
        for index in range(size):
            proof = inclusion_proof(L[:size], index)
            assert proof == tree.inclusion_proof(index, size)
            assert verify_inclusion(L[index], index, size, proof, root)
            assert not verify_inclusion(L[index + 1], index, size, proof, root)
            assert not verify_inclusion(L[index], index, size, proof, bytes(32))
            assert not verify_inclusion(L[index], index, size, [*proof, L[0]], root)
            assert not verify_inclusion(L[index], index + size, size, proof, root)
            if index + 1 < size:
                assert not verify_inclusion(L[index], index + 1, size, proof, root)
            for i in range(len(proof)):
                assert not verify_inclusion(L[index], i, size, _tamper(proof, i), root)
                assert not verify_inclusion(L[index], index, size, _tamper(proof, i), root)
            if proof:
                assert not verify_inclusion(L[index], index, size, proof[:-1], root)


def test_inclusion_rejects_bad_indices() -> None:
    assert not verify_inclusion(L[0], 0, 0, [], tree_root([]))
    assert not verify_inclusion(L[0], -1, 1, [], L[0])
    with pytest.raises(ValueError):
        inclusion_proof(L[:3], 3)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


def test_all_consistency_proofs_up_to_20() -> None:
    tree = MerkleTree(L[:20])
    for new in range(0, 21):
        new_root = tree_root(L[:new])
        for old in range(0, new + 1):
            old_root = tree_root(L[:old])
            proof = consistency_proof(L[:new], old)
            assert proof == tree.consistency_proof(old, new)
            assert verify_consistency(old, new, old_root, new_root, proof), (old, new)
            if old == 0:
                continue
            assert not verify_consistency(old, new, L[50], new_root, proof)
            assert not verify_consistency(old, new, old_root, L[50], proof)
            assert not verify_consistency(old, new, old_root, new_root, [*proof, L[0]])
            for i in range(len(proof)):
                assert not verify_consistency(old, new, old_root, new_root, _tamper(proof, i))
            if proof:
                assert not verify_consistency(old, new, old_root, new_root, proof[:-1])


def test_consistency_rejects_forks_and_bad_sizes() -> None:
    forked = [*L[:5], leaf_hash(b"forged"), *L[6:9]]
    proof = consistency_proof(forked, 6)
    assert not verify_consistency(6, 9, tree_root(L[:6]), tree_root(forked), proof)
    assert not verify_consistency(5, 3, tree_root(L[:5]), tree_root(L[:3]), [])
    assert not verify_consistency(4, 4, tree_root(L[:4]), tree_root(L[:4]), [L[0]])
    assert not verify_consistency(4, 4, tree_root(L[:4]), tree_root(L[:3]), [])
    assert not verify_consistency(0, 4, b"", tree_root(L[:4]), [L[0]])
    assert not verify_consistency(3, 7, tree_root(L[:3]), tree_root(L[:7]), [])
    with pytest.raises(ValueError):
        consistency_proof(L[:3], 4)


def test_large_tree_is_fast_and_consistent() -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(50_000)]
    tree = MerkleTree(leaves)
    root = tree_root(leaves)
    assert tree.root() == root
    for index in (0, 1, 12_345, 32_767, 32_768, 49_999):
        assert verify_inclusion(leaves[index], index, len(leaves), tree.inclusion_proof(index), root)
    for old in (1, 1000, 32_768, 40_001):
        proof = tree.consistency_proof(old)
        assert verify_consistency(old, len(leaves), tree.root(old), root, proof)


def test_frontier_matches_tree_root() -> None:
    frontier: list[bytes] = []
    assert frontier_root(frontier) == tree_root([])
    for size in range(64):
        frontier = frontier_append(frontier, size, L[size])
        assert len(frontier) == bin(size + 1).count("1")
        assert frontier_root(frontier) == tree_root(L[: size + 1])
    with pytest.raises(ValueError):
        frontier_append(frontier[:-1], 64, L[0])


def test_append_rejects_bad_hash() -> None:
    with pytest.raises(ValueError):
        MerkleTree().append(b"short")


# --- checkpoints -------------------------------------------------------------------------------


def _checkpoint() -> Checkpoint:
    return Checkpoint(origin="sunbid.example/audit", size=8, root=bytes.fromhex(CT_ROOTS[7]))


def test_checkpoint_body_format() -> None:
    cp = _checkpoint()
    assert cp.body() == f"sunbid.example/audit\n8\n{base64.b64encode(cp.root).decode()}\n"
    assert Checkpoint.from_body(cp.body()) == cp
    with_ext = Checkpoint(origin="o", size=0, root=bytes(32), extensions=("ext one",))
    assert Checkpoint.from_body(with_ext.body()) == with_ext


def test_checkpoint_sign_and_open() -> None:
    key = Ed25519PrivateKey.generate()
    note = sign_checkpoint(_checkpoint(), "sunbid-audit", key)
    body, sig_line = note.split("\n\n")
    assert body + "\n" == _checkpoint().body()
    assert sig_line.startswith("\u2014 sunbid-audit ") and sig_line.endswith("\n")
    vkey = verifier_key("sunbid-audit", key.public_key())
    assert open_checkpoint(note, vkey) == _checkpoint()


def test_verifier_key_format() -> None:
    key = Ed25519PrivateKey.generate()
    name, kid, b64 = verifier_key("sunbid-audit", key.public_key()).split("+", 2)
    pub = key.public_key().public_bytes_raw()
    assert name == "sunbid-audit"
    assert bytes.fromhex(kid) == hashlib.sha256(b"sunbid-audit\n\x01" + pub).digest()[:4]
    assert base64.b64decode(b64) == b"\x01" + pub


# golang.org/x/mod/sumdb/note documentation example: proves interoperability with the Go tooling
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # from PRIVATE+KEY+PeterNeumann+c74f20a3+...
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIG = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="


def test_go_note_vector() -> None:
    note = f"{GO_TEXT}\n\u2014 PeterNeumann {GO_SIG}\n"
    assert open_note(note, GO_VKEY) == GO_TEXT
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SKEY)[1:])
    assert verifier_key("PeterNeumann", key.public_key()) == GO_VKEY
    cp = _checkpoint()
    assert open_checkpoint(sign_checkpoint(cp, "PeterNeumann", key), GO_VKEY) == cp


def test_tampered_checkpoint_rejected() -> None:
    key = Ed25519PrivateKey.generate()
    vkey = verifier_key("sunbid-audit", key.public_key())
    note = sign_checkpoint(_checkpoint(), "sunbid-audit", key)
    root_b64 = base64.b64encode(_checkpoint().root).decode()
    other_root = base64.b64encode(bytes(32)).decode()
    tampered = [
        note.replace("\n8\n", "\n9\n"),
        note.replace("sunbid.example/audit", "sunbid.example/audiT"),
        note.replace(root_b64, other_root),
    ]
    for bad in tampered:
        with pytest.raises(CheckpointError, match="invalid signature"):
            open_checkpoint(bad, vkey)
    sig = note.rsplit(" ", 1)[1].strip()
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 1
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_checkpoint(note.replace(sig, base64.b64encode(bytes(raw)).decode()), vkey)


def test_wrong_key_rejected() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = sign_checkpoint(_checkpoint(), "sunbid-audit", key)
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(note, verifier_key("sunbid-audit", other.public_key()))
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(note, verifier_key("someone-else", key.public_key()))


def test_cosignatures_by_other_keys_are_ignored() -> None:
    key, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = sign_checkpoint(_checkpoint(), "sunbid-audit", key)
    witness_line = sign_checkpoint(_checkpoint(), "witness", witness).split("\n\n")[1]
    cosigned = note + witness_line
    assert open_checkpoint(cosigned, verifier_key("sunbid-audit", key.public_key())) == _checkpoint()
    assert open_checkpoint(cosigned, verifier_key("witness", witness.public_key())) == _checkpoint()


def test_malformed_notes_and_keys() -> None:
    key = Ed25519PrivateKey.generate()
    vkey = verifier_key("sunbid-audit", key.public_key())
    note = sign_checkpoint(_checkpoint(), "sunbid-audit", key)
    for bad in [note[:-1], note.replace("\n\n", "\n"), note + "junk\n", note.replace("\n8\n", "\r\n8\n"), ""]:
        with pytest.raises(CheckpointError):
            open_checkpoint(bad, vkey)
    name, kid, b64 = vkey.split("+", 2)
    for bad_key in [f"{name}+{kid}", f"other+{kid}+{b64}", f"{name}+zz+{b64}", f"{name}+{kid}+AAAA"]:
        with pytest.raises(CheckpointError):
            open_checkpoint(note, bad_key)
    with pytest.raises(CheckpointError):
        sign_checkpoint(_checkpoint(), "has space", key)
    with pytest.raises(CheckpointError):
        verifier_key("a+b", key.public_key())


@pytest.mark.parametrize(
    "body",
    [
        "o\n8\n",
        "o\n08\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "o\n-1\nAAAA\n",
        "\n1\nAAAA\n",
        "o\n1\nAAAA",
    ],
)
def test_bad_checkpoint_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_body(body)
