"""bidding tests create many users; cheap Argon2 parameters keep them fast (production is untouched)."""

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from core import accounts


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
