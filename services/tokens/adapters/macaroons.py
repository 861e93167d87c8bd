"""Token secrets as macaroons (pymacaroons): "<prefix>" + the serialized macaroon.

The macaroon's identifier is the JSON document {"v": 1, "token_id": "<uuid>"}; its location is
the site's origin; its caveats are the JSON documents of domain/caveats.py. Serialization is
pymacaroons' default (binary format v2, base64url without padding).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import uuid
from dataclasses import dataclass

from pymacaroons import MACAROON_V2, Macaroon, Verifier
from pymacaroons.exceptions import MacaroonException
from pymacaroons.utils import generate_derived_key, hmac_digest

from services.tokens.domain.caveats import UNREADABLE_REASON, CaveatPipeline
from services.tokens.domain.errors import TokenMalformed
from services.tokens.domain.model import NOT_A_TOKEN, SIGNATURE_INVALID

IDENTIFIER_VERSION = 1
# Far above any real token (a few hundred bytes); keeps a hostile caller from making us parse megabytes.
MAX_SECRET_LENGTH = 16_384
# Real tokens carry under ten caveats; a holder may add some. More is an attack on our CPU.
MAX_CAVEATS = 64
TOO_MANY_CAVEATS = "the token has too many caveats."
# What pymacaroons raises for garbage input besides its own exceptions.
_MALFORMED = (MacaroonException, ValueError, TypeError, IndexError, KeyError, AttributeError)


def count_caveats(serialized: str, stop_at: int) -> int:
    """How many caveat sections a v2 binary macaroon holds (counting stops at `stop_at`), read
    from its field framing alone: pymacaroons' deserializer costs tens of microseconds a caveat,
    so a token stuffed with caveats is refused before it runs. Garbage counts as 0 and is left
    for the deserializer to refuse."""
    try:
        raw = base64.urlsafe_b64decode(serialized + "=" * (-len(serialized) % 4))
    except (binascii.Error, ValueError):
        return 0
    position, sections = 1, 0  # raw[0] is the format version
    while position < len(raw) and sections <= stop_at:  # the header section is not a caveat
        if raw[position] == 0:  # end of a section: the header's, then one per caveat
            sections, position = sections + 1, position + 1
            if position < len(raw) and raw[position] == 0:
                break  # an empty section ends the caveat list
            continue
        position = _skip_field(raw, position + 1)
    return max(sections - 1, 0)


def _skip_field(raw: bytes, position: int) -> int:
    """The position after a field whose varint length starts at `position`."""
    length, shift = 0, 0
    while position < len(raw) and shift < 35:
        byte = raw[position]
        length, shift, position = length | (byte & 0x7F) << shift, shift + 7, position + 1
        if not byte & 0x80:
            break
    return position + length


@dataclass(frozen=True)
class PresentedToken:
    """A presented secret read as a macaroon naming a token (nothing verified yet)."""

    token_id: str
    macaroon: Macaroon

    def predicates(self) -> list[str]:
        """The first-party caveats as presented, in order."""
        return [caveat.caveat_id_bytes.decode("utf-8", "replace") for caveat in self.macaroon.first_party_caveats()]


def identifier_for(token_id: str) -> str:
    """The macaroon identifier naming `token_id`."""
    return json.dumps({"v": IDENTIFIER_VERSION, "token_id": token_id}, sort_keys=True, separators=(",", ":"))


def token_id_in(identifier: bytes) -> str:
    """The token id an identifier names. Raises TokenMalformed for any other identifier."""
    try:
        document = json.loads(identifier)
        token_id = document["token_id"]
        if document["v"] != IDENTIFIER_VERSION or str(uuid.UUID(token_id)) != token_id:
            raise ValueError("not a v1 identifier")
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise TokenMalformed(NOT_A_TOKEN) from error
    return token_id


class MacaroonCodec:
    """Mints token secrets, reads presented ones and verifies them against a root key."""

    def __init__(self, prefix: str, location: str):
        self._prefix = prefix
        self._location = location

    def mint(self, token_id: str, root_key: bytes, predicates: list[str]) -> str:
        """A new secret for `token_id` carrying `predicates` as first-party caveats."""
        macaroon = Macaroon(
            location=self._location, identifier=identifier_for(token_id), key=root_key, version=MACAROON_V2
        )
        for predicate in predicates:
            macaroon.add_first_party_caveat(predicate)
        return self._prefix + macaroon.serialize()

    def read(self, secret: str) -> PresentedToken:
        """The macaroon inside a presented secret. Raises TokenMalformed when the prefix is
        missing or the rest is not a macaroon with a Gatehouse identifier."""
        if len(secret) > MAX_SECRET_LENGTH or not secret.startswith(self._prefix):
            raise TokenMalformed(NOT_A_TOKEN)
        if count_caveats(secret[len(self._prefix):], MAX_CAVEATS + 1) > MAX_CAVEATS:
            raise TokenMalformed(TOO_MANY_CAVEATS)
        try:
            macaroon = Macaroon.deserialize(secret[len(self._prefix):])
            identifier = macaroon.identifier_bytes
        except Exception as error:  # noqa: BLE001 - pymacaroons raises bare Exception and struct.error on garbage
            raise TokenMalformed(NOT_A_TOKEN) from error
        if len(macaroon.caveats) > MAX_CAVEATS:
            raise TokenMalformed(TOO_MANY_CAVEATS)
        return PresentedToken(token_id_in(identifier), macaroon)

    def verify(self, presented: PresentedToken, root_key: bytes, pipeline: CaveatPipeline) -> str | None:
        """Checks the signature chain and, through `pipeline`, every caveat (holder-added ones
        too). Returns the reason to refuse, or None when the token holds. Never raises."""
        if presented.macaroon.third_party_caveats():
            return UNREADABLE_REASON
        verifier = Verifier()
        verifier.satisfy_general(pipeline)
        try:
            verifier.verify(presented.macaroon, root_key)
        except _MALFORMED:
            # An unmet caveat breaks the chain just as a forgery does: tell the two apart.
            if pipeline.first_failure is not None and _chain_holds(presented.macaroon, root_key):
                return pipeline.first_failure
            return SIGNATURE_INVALID
        return pipeline.verdict()

    def chain_key(self, token_id: str, root_key: bytes) -> bytes:
        """The first link of the token's signature chain: what a revoked token keeps instead of
        its root key, to tell later whether a presented secret is genuine (chain_holds_from)."""
        return hmac_digest(generate_derived_key(root_key), identifier_for(token_id).encode())

    def chain_holds_from(self, presented: PresentedToken, chain_key: bytes) -> bool:
        """Whether the presented macaroon continues the chain that starts at `chain_key`
        (first-party caveats only, as pymacaroons computes it). Never raises."""
        macaroon = presented.macaroon
        if macaroon.third_party_caveats() or macaroon.identifier_bytes != identifier_for(presented.token_id).encode():
            return False
        signature = chain_key
        for caveat in macaroon.first_party_caveats():
            signature = hmac_digest(signature, caveat.caveat_id_bytes)
        return hmac.compare_digest(binascii.hexlify(signature), bytes(macaroon.signature_bytes))

    def genuine(self, presented: PresentedToken, root_key: bytes) -> bool:
        """Whether the presented macaroon was really derived from `root_key` (its caveats aside)."""
        return _chain_holds(presented.macaroon, root_key)


def _chain_holds(macaroon: Macaroon, root_key: bytes) -> bool:
    """Whether the signature matches the root key and caveats, whatever the caveats say."""
    verifier = Verifier()
    verifier.satisfy_general(lambda predicate: True)
    try:
        return verifier.verify(macaroon, root_key)
    except _MALFORMED:
        return False
