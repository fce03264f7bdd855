"""Fixtures for the crypto tests: cheap Argon2 parameters and throwaway key pairs."""

from __future__ import annotations

import pytest
from nacl.public import PrivateKey

from crypto.kdf import KdfParams


@pytest.fixture
def fast_params() -> KdfParams:
    """The cheapest parameters KdfParams accepts: keeps Argon2 tests fast."""
    return KdfParams(time_cost=1, memory_kib=8192)


@pytest.fixture
def alice() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
def bob() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
def mallory() -> PrivateKey:
    return PrivateKey.generate()
