"""With two-factor authentication required, an uploader without a second factor is refused."""

from dataclasses import replace

import pytest

from services.uploads.domain import errors
from services.uploads.tests.builders import wheel_bytes
from services.uploads.tests.test_upload import recorded, send


class SecondFactorsOf:
    def __init__(self, has_one: bool):
        self.has_one = has_one
        self.asked = []

    async def has_second_factor(self, user_id: str) -> bool:
        self.asked.append(user_id)
        return self.has_one

    async def methods_of(self, user_id: str) -> frozenset[str]:
        return frozenset({"totp"} if self.has_one else set())


async def test_an_uploader_without_a_second_factor_is_told_how_to_fix_it(deps, units):
    checker = SecondFactorsOf(False)
    with pytest.raises(errors.SecondFactorRequired) as refusal:
        await send(replace(deps, second_factors=checker, require_2fa=True), wheel_bytes())
    assert "Two-factor authentication is required to upload" in refusal.value.message
    assert "/account/two-factor" in refusal.value.message
    assert checker.asked and not [row for row in await recorded(units) if row.type == "FileAdded"]


async def test_an_uploader_with_a_second_factor_uploads(deps):
    response = await send(replace(deps, second_factors=SecondFactorsOf(True), require_2fa=True), wheel_bytes())
    assert response.outcome == "created"


async def test_with_2fa_not_required_the_index_does_not_ask(deps):
    checker = SecondFactorsOf(False)
    response = await send(replace(deps, second_factors=checker, require_2fa=False), wheel_bytes())
    assert response.outcome == "created" and checker.asked == []
