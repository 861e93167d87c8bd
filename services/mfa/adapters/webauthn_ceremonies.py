"""WebAuthn ceremonies through py_webauthn, with the W3C JSON forms browsers speak."""

from __future__ import annotations

import json
from dataclasses import dataclass

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_authenticator_data
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from services.mfa.domain.errors import InvalidSecurityKeyResponse

TIMEOUT_MS = 5 * 60 * 1000
RP_NAME = "Gatehouse"


@dataclass(frozen=True)
class NewCredential:
    credential_id: str  # base64url
    public_key: bytes
    sign_count: int


@dataclass(frozen=True)
class RelyingParty:
    """The site's RP id (the origin's host name) and origin, from GATEHOUSE_ORIGIN."""

    rp_id: str
    origin: str

    def registration_options(self, user_id: str, username: str, exclude: list[str]) -> tuple[str, str]:
        """(options JSON, challenge as base64url) for a new, preferably discoverable, key."""
        options = generate_registration_options(
            rp_id=self.rp_id, rp_name=RP_NAME, user_id=user_id.encode(), user_name=username,
            user_display_name=username, timeout=TIMEOUT_MS,
            exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in exclude],
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
            ),
        )
        return options_to_json(options), bytes_to_base64url(options.challenge)

    def authentication_options(self, allow: list[str]) -> tuple[str, str]:
        """(options JSON, challenge as base64url) naming the user's keys."""
        options = generate_authentication_options(
            rp_id=self.rp_id, timeout=TIMEOUT_MS,
            allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in allow],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return options_to_json(options), bytes_to_base64url(options.challenge)

    def passkey_options(self) -> tuple[str, str]:
        """(options JSON, challenge) for a passkey sign-in: any discoverable key, verified user."""
        options = generate_authentication_options(
            rp_id=self.rp_id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED
        )
        return options_to_json(options), bytes_to_base64url(options.challenge)

    def verify_registration(self, credential_json: str, challenge: str) -> NewCredential:
        """Raises InvalidSecurityKeyResponse when the attestation does not check out."""
        try:
            verified = verify_registration_response(
                credential=credential_json, expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=self.rp_id, expected_origin=self.origin,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            raise InvalidSecurityKeyResponse(f"The security key's answer was refused: {error}") from error
        return NewCredential(bytes_to_base64url(verified.credential_id), verified.credential_public_key,
                             verified.sign_count)

    def verify_authentication(
        self, credential_json: str, challenge: str, public_key: bytes, sign_count: int, user_verified: bool = False
    ) -> int:
        """The new signature counter. Raises InvalidSecurityKeyResponse (also when `user_verified`
        is asked for and the authenticator did not verify the user)."""
        try:
            verified = verify_authentication_response(
                credential=credential_json, expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=self.rp_id, expected_origin=self.origin,
                credential_public_key=public_key, credential_current_sign_count=sign_count,
                require_user_verification=user_verified,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            raise InvalidSecurityKeyResponse(f"The security key's answer was refused: {error}") from error
        return verified.new_sign_count


@dataclass(frozen=True)
class PresentedAssertion:
    credential_id: str
    challenge: str
    sign_count: int
    user_handle: str = ""  # base64url, as discoverable credentials return it


def _json(credential_json: str) -> dict:
    try:
        value = json.loads(credential_json)
    except ValueError as error:
        raise InvalidSecurityKeyResponse("The security key's answer is not valid JSON.") from error
    if not isinstance(value, dict) or not isinstance(value.get("response"), dict):
        raise InvalidSecurityKeyResponse("The security key's answer is not a WebAuthn credential.")
    return value


def challenge_of(credential_json: str) -> str:
    """The challenge (base64url) the browser signed, read from clientDataJSON."""
    response = _json(credential_json)["response"]
    try:
        client_data = json.loads(base64url_to_bytes(response["clientDataJSON"]))
        return str(client_data["challenge"])
    except (KeyError, ValueError, TypeError) as error:
        raise InvalidSecurityKeyResponse("The security key's answer has no readable challenge.") from error


def presented_assertion(credential_json: str) -> PresentedAssertion:
    """Which credential answered, for which challenge, with which counter (not yet verified)."""
    value = _json(credential_json)
    try:
        data = parse_authenticator_data(base64url_to_bytes(value["response"]["authenticatorData"]))
        handle = value["response"].get("userHandle") or ""
        return PresentedAssertion(str(value["id"]), challenge_of(credential_json), data.sign_count, str(handle))
    except (KeyError, ValueError, TypeError, WebAuthnException) as error:
        raise InvalidSecurityKeyResponse("The security key's answer is malformed.") from error
