"""Who gets through the gateway: tokens, unknown paths, methods and browser origins."""

import uuid

import pytest
from gateway_standins import ALLOWED_ORIGIN, SigningKey


def _request_id() -> str:
    return f"test-{uuid.uuid4().hex}"


PROTECTED = [
    ("GET", "/settings", "auth"),
    ("GET", "/invoices", "query"),
    ("GET", f"/invoices/{uuid.uuid4()}", "query"),
    ("GET", f"/invoices/{uuid.uuid4()}/file-url", "ingest"),
    ("POST", "/invoices/upload", "ingest"),
]


@pytest.mark.parametrize(("method", "path", "backend"), PROTECTED)
async def test_a_protected_route_reaches_its_backend_with_a_valid_token(
    client, stand_ins, method, path, backend
):
    request_id = _request_id()
    token = stand_ins.key.token()

    answer = await client.request(
        method, path, headers={"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
    )

    assert answer.status_code < 300
    received = getattr(stand_ins, backend).find(request_id)
    assert received.header("authorization") == f"Bearer {token}"


def _forged_with_a_known_key_id(stand_ins):
    return SigningKey(kid=stand_ins.key.kid).token()


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda stand_ins: None, id="no token"),
        pytest.param(lambda stand_ins: "Basic dXNlcjpwdw==", id="not a bearer token"),
        pytest.param(lambda stand_ins: "Bearer not-a-jwt", id="malformed"),
        pytest.param(lambda stand_ins: f"Bearer {SigningKey().token()}", id="unknown key"),
        pytest.param(
            lambda stand_ins: f"Bearer {_forged_with_a_known_key_id(stand_ins)}",
            id="known key id, other key",
        ),
        pytest.param(
            lambda stand_ins: f"Bearer {stand_ins.key.token(expires_in=-120)}", id="expired"
        ),
        pytest.param(
            lambda stand_ins: f"Bearer {stand_ins.key.token(typ='refresh')}", id="refresh token"
        ),
    ],
)
@pytest.mark.parametrize(("method", "path", "backend"), PROTECTED)
async def test_a_protected_route_refuses_a_missing_or_bad_token(
    client, stand_ins, authorization, method, path, backend
):
    request_id = _request_id()
    headers = {"X-Request-Id": request_id}
    if (value := authorization(stand_ins)) is not None:
        headers["Authorization"] = value

    answer = await client.request(method, path, headers=headers)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["request_id"] == request_id
    assert getattr(stand_ins, backend).find(request_id) is None


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login", "/auth/refresh", "/auth/logout"])
async def test_signing_in_needs_no_token(client, stand_ins, path):
    request_id = _request_id()

    answer = await client.post(
        path, json={"email": "a@example.com"}, headers={"X-Request-Id": request_id}
    )

    assert answer.status_code == 200
    assert stand_ins.auth.find(request_id).body == b'{"email":"a@example.com"}'


async def test_the_signing_keys_are_public(client, stand_ins):
    answer = await client.get("/.well-known/jwks.json")

    assert answer.status_code == 200
    assert answer.json() == stand_ins.key.jwks()


@pytest.mark.parametrize(
    "path",
    [
        "/nothing-here",
        "/invoices/",
        "/admin",
        f"/internal/users/{uuid.uuid4()}/extraction-settings",
    ],
)
async def test_an_unknown_path_is_a_404_problem_that_reaches_no_backend(client, stand_ins, path):
    request_id = _request_id()

    answer = await client.get(
        path,
        headers={"Authorization": f"Bearer {stand_ins.key.token()}", "X-Request-Id": request_id},
    )

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert all(
        recorder.find(request_id) is None
        for recorder in (stand_ins.auth, stand_ins.ingest, stand_ins.query)
    )


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/settings", "GET, PUT"),
        ("GET", "/auth/login", "POST"),
        ("PATCH", f"/invoices/{uuid.uuid4()}", "GET"),
    ],
)
async def test_a_known_path_with_another_method_is_a_405_problem(client, method, path, allow):
    answer = await client.request(method, path)

    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.json()["type"].endswith("method-not-allowed")


async def test_a_preflight_from_the_frontends_origin_is_allowed(client):
    answer = await client.options(
        "/invoices/upload",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, idempotency-key",
        },
    )

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in answer.headers


async def test_a_preflight_from_another_origin_gets_no_allow_header(client):
    answer = await client.options(
        "/invoices",
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )

    assert "access-control-allow-origin" not in answer.headers


async def test_a_cross_origin_answer_exposes_the_request_id_and_location(client, stand_ins):
    answer = await client.get(
        "/invoices",
        headers={"Origin": ALLOWED_ORIGIN, "Authorization": f"Bearer {stand_ins.key.token()}"},
    )

    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "location" in exposed
