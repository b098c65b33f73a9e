import itertools
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import shamir
from crypto.shamir import ShamirError, Share, combine, split


def test_field_known_answers() -> None:
    # FIPS-197 §4.2: {57} • {83} = {c1}; {53} and {ca} are inverses in the AES field
    assert shamir._mul(0x57, 0x83) == 0xC1
    assert shamir._mul(0x53, 0xCA) == 0x01
    assert shamir._div(1, 0x53) == 0xCA
    assert sorted(shamir._EXP[:255]) == list(range(1, 256))  # 0x03 generates the whole group


def test_every_element_has_an_inverse() -> None:
    for a in range(1, 256):
        assert shamir._mul(a, shamir._div(1, a)) == 1


def test_shares_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # f(x) = 0x2a + 0x05·x; in GF(2^8): 5·2 = 0x0a, 5·3 = 0x0f
    monkeypatch.setattr(shamir.secrets, "token_bytes", lambda n: b"\x05" * n)
    shares = split(b"\x2a", 2, 3)
    assert [(s.index, s.value) for s in shares] == [(1, b"\x2f"), (2, b"\x20"), (3, b"\x25")]
    assert combine([shares[2], shares[0]]) == b"\x2a"


def test_every_k_subset_recovers_the_secret() -> None:
    secret = secrets.token_bytes(32)
    shares = split(secret, 3, 5)
    assert [s.index for s in shares] == [1, 2, 3, 4, 5]
    for subset in itertools.permutations(shares, 3):
        assert combine(subset) == secret


def test_fewer_than_k_shares_rejected() -> None:
    shares = split(secrets.token_bytes(32), 3, 5)
    with pytest.raises(ShamirError, match="need 3 shares, got 2"):
        combine(shares[:2])
    with pytest.raises(ShamirError, match="no shares"):
        combine([])


def test_duplicate_share_rejected() -> None:
    shares = split(secrets.token_bytes(32), 3, 5)
    with pytest.raises(ShamirError, match="more than once"):
        combine([shares[0], shares[1], shares[0]])


def test_mixed_splits_rejected() -> None:
    a = split(secrets.token_bytes(32), 3, 5)
    b = split(secrets.token_bytes(32), 2, 5)
    c = split(secrets.token_bytes(16), 3, 5)
    with pytest.raises(ShamirError, match="thresholds"):
        combine([a[0], a[1], b[2]])
    with pytest.raises(ShamirError, match="lengths"):
        combine([a[0], a[1], c[2]])


def test_extra_share_inconsistency_detected() -> None:
    a = split(secrets.token_bytes(32), 2, 5)
    b = split(secrets.token_bytes(32), 2, 5)
    with pytest.raises(ShamirError, match="share 3 is inconsistent"):
        combine([a[0], a[1], b[2]])
    assert combine([a[0], a[1], a[2], a[4]]) == combine(a[3:5])


def test_wrong_share_among_k_is_silent() -> None:
    # documented limitation: the caller must check the result against the opening recipient
    secret = secrets.token_bytes(32)
    a = split(secret, 2, 3)
    b = split(secrets.token_bytes(32), 2, 3)
    assert combine([a[0], b[1]]) != secret


@pytest.mark.parametrize(("k", "n"), [(1, 3), (0, 0), (4, 3), (2, 256)])
def test_bad_parameters(k: int, n: int) -> None:
    with pytest.raises(ShamirError):
        split(b"x" * 32, k, n)


def test_empty_secret_rejected() -> None:
    with pytest.raises(ShamirError):
        split(b"", 2, 3)


def test_share_validation() -> None:
    for index, threshold, value in [(0, 2, b"x"), (256, 2, b"x"), (1, 1, b"x"), (1, 2, b"")]:
        with pytest.raises(ShamirError):
            Share(index=index, threshold=threshold, value=value)


def test_text_round_trip() -> None:
    shares = split(secrets.token_bytes(32), 3, 5)
    for s in shares:
        text = s.to_str()
        assert text.startswith(f"sunbid-share-1:3:{s.index}:")
        assert "=" not in text
        assert Share.from_str(text) == s
        assert Share.from_str(f"  {text}\n") == s


def test_mistyped_share_detected() -> None:
    text = split(secrets.token_bytes(32), 3, 5)[1].to_str()
    prefix, k, index, value, check = text.split(":")
    flipped = value[:5] + ("A" if value[5] != "A" else "B") + value[6:]
    for bad in [
        ":".join([prefix, k, index, flipped, check]),
        ":".join([prefix, k, "3", value, check]),
        ":".join([prefix, "2", index, value, check]),
        ":".join([prefix, k, index, value, "00000000" if check != "00000000" else "11111111"]),
    ]:
        with pytest.raises(ShamirError, match="checksum"):
            Share.from_str(bad)
    for bad in ["", "hello", "sunbid-share-2:3:1:AAAA:00000000", text + ":x"]:
        with pytest.raises(ShamirError, match="not a share"):
            Share.from_str(bad)


@settings(max_examples=60, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=48),
    k=st.integers(min_value=2, max_value=10),
    extra=st.integers(min_value=0, max_value=10),
    data=st.data(),
)
def test_property_any_k_shares_recover(secret: bytes, k: int, extra: int, data: st.DataObject) -> None:
    n = k + extra
    shares = split(secret, k, n)
    size = data.draw(st.integers(min_value=k, max_value=n), label="subset size")
    subset = data.draw(st.permutations(shares), label="order")[:size]
    assert combine(subset) == secret
    assert combine([Share.from_str(s.to_str()) for s in subset]) == secret
    if k > 2:
        with pytest.raises(ShamirError, match=f"need {k} shares"):
            combine(subset[: k - 1])


@settings(max_examples=20, deadline=None)
@given(k=st.integers(min_value=2, max_value=255), data=st.data())
def test_property_large_n(k: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=k, max_value=255))
    secret = secrets.token_bytes(32)
    shares = split(secret, k, n)
    assert len({s.index for s in shares}) == n
    picked = data.draw(st.lists(st.sampled_from(shares), min_size=k, max_size=k, unique_by=lambda s: s.index))
    assert combine(picked) == secret
