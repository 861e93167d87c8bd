"""The metadata, project and file rules inside the Upload pipeline (real SQLite, fake tokens)."""

import pytest

from services.uploads.domain import errors
from services.uploads.tests.builders import wheel_bytes
from services.uploads.tests.test_upload import recorded, send


async def test_a_deprecated_classifier_is_refused_before_the_token_is_asked(deps, tokens, units):
    with pytest.raises(errors.InvalidMetadata, match="has been deprecated, use one of"):
        await send(deps, wheel_bytes(), classifiers=["Natural Language :: Ukranian"])
    assert tokens.operations == [] and await recorded(units) == []


async def test_valid_metadata_fields_pass_through_the_pipeline(deps):
    response = await send(deps, wheel_bytes(), classifiers=["Programming Language :: Python :: 3"],
                          author_email="alice@example.org", project_urls=["Source, https://example.org/s"],
                          description="Demo\n====\n\nText.")
    assert response.outcome == "created"
