"""What operators see: metrics by outcome, and logs that never carry a secret."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator

import httpx
from auth_fakes import InMemoryAuthStore
from auth_support import PASSWORD, SERVICE_TOKEN, AuthClient, auth_settings, new_email, running
from invoice_auth.bootstrap import create_app
from prometheus_client import REGISTRY

OPENAI_KEY = "sk-observed-secret-key-0123456789-tail"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.__dict__))


@contextlib.contextmanager
def collected_logs() -> Iterator[Collected]:
    """Every record at any level, from after the app configured logging (and its level)."""
    handler = Collected()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


async def test_outcomes_are_counted(auth: AuthClient) -> None:
    before = {
        "registered": sample("auth_registrations_total"),
        "login ok": sample("auth_logins_total", outcome="success"),
        "login failed": sample("auth_logins_total", outcome="failure"),
        "refreshed": sample("auth_refreshes_total", outcome="success"),
        "reused": sample("auth_refreshes_total", outcome="reused"),
    }
    email = new_email()
    _, tokens = await auth.signed_up(email)
    await auth.http.post("/auth/login", json={"email": email, "password": "wrong password"})
    await auth.http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await auth.http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    exposition = (await auth.http.get("/metrics")).text

    assert sample("auth_registrations_total") == before["registered"] + 1
    assert sample("auth_logins_total", outcome="success") == before["login ok"] + 1
    assert sample("auth_logins_total", outcome="failure") == before["login failed"] + 1
    assert sample("auth_refreshes_total", outcome="success") == before["refreshed"] + 1
    assert sample("auth_refreshes_total", outcome="reused") == before["reused"] + 1
    assert 'auth_logins_total{outcome="success"}' in exposition


async def every_route_with_secrets(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """Walks every route that handles a secret; the user id and the secrets it handled."""
    email = new_email()
    credentials = {"email": email, "password": PASSWORD}
    user = (await http.post("/auth/register", json=credentials)).json()
    await http.post("/auth/login", json={**credentials, "password": PASSWORD + "x"})
    tokens = (await http.post("/auth/login", json=credentials)).json()
    await http.put(
        "/settings",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={"openai_api_key": OPENAI_KEY},
    )
    await http.get(
        f"/internal/users/{user['id']}/extraction-settings",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    )
    rotated = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await http.post("/auth/logout", json={"refresh_token": rotated.json()["refresh_token"]})
    secrets = [
        PASSWORD,
        OPENAI_KEY,
        OPENAI_KEY[3:-4],
        SERVICE_TOKEN,
        tokens["access_token"].split(".")[2],
        tokens["refresh_token"],
        rotated.json()["refresh_token"],
        # What the database receives in its place: it must not show up in statement logs.
        repr(hashlib.sha256(tokens["refresh_token"].encode()).digest())[2:-1],
    ]
    return user["id"], secrets


async def test_no_password_token_or_key_reaches_the_logs(auth: AuthClient) -> None:
    with collected_logs() as logs:
        user_id, secrets = await every_route_with_secrets(auth.http)

    written = "\n".join(logs.lines)
    assert user_id in written, "the collector should have seen the requests"
    for secret in secrets:
        assert secret not in written


async def test_a_database_outage_is_a_503_problem() -> None:
    store = InMemoryAuthStore()
    async with running(create_app(auth_settings(), store_factory=lambda _: store)) as http:
        store.available = False

        login = await http.post("/auth/login", json={"email": new_email(), "password": PASSWORD})
        ready = await http.get("/readyz")

    assert login.status_code == 503
    assert login.json()["type"].endswith(":database-unavailable")
    assert login.headers["retry-after"]
    assert ready.status_code == 503
