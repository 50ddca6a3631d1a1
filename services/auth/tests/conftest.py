from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from auth_fakes import InMemoryAuthStore, SettableClock
from auth_support import AuthClient, auth_settings, running
from invoice_auth.bootstrap import create_app


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.infra)])
async def auth(request: pytest.FixtureRequest, clock: SettableClock) -> AsyncIterator[AuthClient]:
    """The whole app behind an HTTP client, on the in-memory store and on a new PostgreSQL
    database: the same behaviour is expected of both."""
    if request.param == "memory":
        store = InMemoryAuthStore()
        settings = auth_settings()
        app = create_app(settings, store_factory=lambda _: store, clock=clock)
    else:
        url = await request.getfixturevalue("fresh_database")()
        app = create_app(auth_settings(database_url=url), clock=clock)
    async with running(app) as http:
        yield AuthClient(http, clock)
