"""AES-256-GCM seals: round trip, and every alteration refused."""

from __future__ import annotations

import pytest

from stripe_netsuite.exceptions import ConfigError
from stripe_netsuite.vault import envelope

SECRET = b"sk_live_CANARY_envelope_31d7"


def test_round_trip() -> None:
    key = envelope.new_key()
    sealed = envelope.seal(key, SECRET, context="entry a")
    assert SECRET not in sealed.ciphertext
    assert len(sealed.nonce) == envelope.NONCE_BYTES
    assert envelope.open_sealed(key, sealed, context="entry a") == SECRET


def test_each_seal_has_its_own_nonce() -> None:
    key = envelope.new_key()
    first, second = (envelope.seal(key, SECRET, context="c") for _ in range(2))
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


@pytest.mark.parametrize("where", ["ciphertext", "tag", "nonce"])
def test_a_flipped_bit_is_refused(where: str) -> None:
    key = envelope.new_key()
    sealed = envelope.seal(key, SECRET, context="c")
    nonce, ciphertext = bytearray(sealed.nonce), bytearray(sealed.ciphertext)
    if where == "nonce":
        nonce[0] ^= 1
    else:
        ciphertext[0 if where == "ciphertext" else -1] ^= 1
    with pytest.raises(ConfigError, match="does not authenticate") as info:
        envelope.open_sealed(key, envelope.Sealed(bytes(nonce), bytes(ciphertext)), context="c")
    assert SECRET.decode() not in str(info.value)


def test_another_context_or_key_is_refused() -> None:
    key = envelope.new_key()
    sealed = envelope.seal(key, SECRET, context="entry a of main")
    with pytest.raises(ConfigError, match="does not authenticate"):
        envelope.open_sealed(key, sealed, context="entry a of other")
    with pytest.raises(ConfigError, match="does not authenticate"):
        envelope.open_sealed(envelope.new_key(), sealed, context="entry a of main")


def test_blob_round_trip_and_short_repr() -> None:
    sealed = envelope.seal(envelope.new_key(), SECRET, context="c")
    assert envelope.from_blob(envelope.to_blob(sealed)) == sealed
    assert repr(sealed) == f"Sealed({len(sealed.ciphertext)} bytes)"
