from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ingest_support import (
    UNIT_MAX_UPLOAD_BYTES,
    FakeAppender,
    FakeIngest,
    FakeObjectStore,
    ingest_settings,
    running,
)
from invoice_devstack.tokens import AccessTokenIssuer
from invoice_ingest.bootstrap import create_app


@pytest.fixture(scope="session")
def issuer() -> AccessTokenIssuer:
    return AccessTokenIssuer()


@pytest.fixture
async def fake_ingest(issuer: AccessTokenIssuer) -> AsyncIterator[FakeIngest]:
    store, appender = FakeObjectStore(), FakeAppender()
    settings = ingest_settings(max_upload_bytes=UNIT_MAX_UPLOAD_BYTES)
    app = create_app(settings, keys=issuer.key_set(), store=store, appender=appender)
    async with running(app) as client:
        yield FakeIngest(client, store, appender, settings)
