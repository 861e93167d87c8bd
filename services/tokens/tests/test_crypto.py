"""Root keys sealed at rest: a round trip, and every kind of tampering detected."""

import dataclasses

import pytest

from services.tokens.adapters.crypto import RootKeyCipher, RootKeyUnreadable, SealedKey, new_root_key

TOKEN = "7d3c1d2e-0000-4000-8000-000000000001"


@pytest.fixture
def cipher():
    return RootKeyCipher(bytes(range(32)))


def test_a_sealed_root_key_opens_to_itself_and_does_not_show_it(cipher):
    root_key = new_root_key()
    sealed = cipher.seal(TOKEN, root_key)
    assert len(root_key) == 32 and len(sealed.nonce) == 12
    assert root_key not in sealed.ciphertext
    assert cipher.open(TOKEN, sealed) == root_key


def test_sealing_twice_uses_fresh_nonces(cipher):
    root_key = new_root_key()
    assert cipher.seal(TOKEN, root_key).nonce != cipher.seal(TOKEN, root_key).nonce


def _flip_first_byte(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda sealed: dataclasses.replace(sealed, ciphertext=_flip_first_byte(sealed.ciphertext)),
        lambda sealed: dataclasses.replace(sealed, nonce=_flip_first_byte(sealed.nonce)),
        lambda sealed: SealedKey(sealed.nonce, sealed.ciphertext[:-1]),
    ],
)
def test_a_tampered_sealed_key_does_not_open(cipher, tamper):
    sealed = cipher.seal(TOKEN, new_root_key())
    with pytest.raises(RootKeyUnreadable):
        cipher.open(TOKEN, tamper(sealed))


def test_a_sealed_key_moved_to_another_token_does_not_open(cipher):
    sealed = cipher.seal(TOKEN, new_root_key())
    with pytest.raises(RootKeyUnreadable):
        cipher.open("7d3c1d2e-0000-4000-8000-000000000002", sealed)


def test_another_service_key_does_not_open_it(cipher):
    sealed = cipher.seal(TOKEN, new_root_key())
    with pytest.raises(RootKeyUnreadable):
        RootKeyCipher(bytes(32)).open(TOKEN, sealed)
