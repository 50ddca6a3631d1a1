import pytest
from invoice_gateway.domain.routing import (
    GATEWAY_ROUTES,
    Backend,
    BodyKind,
    MethodNotAllowed,
    NoSuchRoute,
    Route,
    RoutingTable,
)

INVOICE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    ("method", "path", "backend"),
    [
        ("POST", "/auth/register", Backend.AUTH),
        ("POST", "/auth/login", Backend.AUTH),
        ("POST", "/auth/refresh", Backend.AUTH),
        ("POST", "/auth/logout", Backend.AUTH),
        ("GET", "/.well-known/jwks.json", Backend.AUTH),
        ("GET", "/settings", Backend.AUTH),
        ("PUT", "/settings", Backend.AUTH),
        ("POST", "/invoices/upload", Backend.INGEST),
        ("GET", f"/invoices/{INVOICE_ID}/file", Backend.INGEST),
        ("GET", f"/invoices/{INVOICE_ID}/file-url", Backend.INGEST),
        ("GET", "/invoices", Backend.QUERY),
        ("GET", "/invoices/search", Backend.QUERY),
        ("GET", f"/invoices/{INVOICE_ID}", Backend.QUERY),
    ],
)
def test_each_public_api_path_goes_to_the_backend_that_owns_it(method, path, backend):
    assert GATEWAY_ROUTES.match(method, path).route.backend is backend


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/auth/register"),
        ("POST", "/auth/login"),
        ("POST", "/auth/refresh"),
        ("POST", "/auth/logout"),
        ("GET", "/.well-known/jwks.json"),
    ],
)
def test_only_sign_in_and_the_signing_keys_are_public(method, path):
    assert GATEWAY_ROUTES.match(method, path).route.public


def test_every_other_route_needs_a_token():
    protected = [route for route in GATEWAY_ROUTES.routes if not route.public]

    assert {(r.method, r.path) for r in protected} == {
        ("GET", "/settings"),
        ("PUT", "/settings"),
        ("POST", "/invoices/upload"),
        ("GET", "/invoices/{invoice_id}/file"),
        ("GET", "/invoices/{invoice_id}/file-url"),
        ("GET", "/invoices"),
        ("GET", "/invoices/search"),
        ("GET", "/invoices/{invoice_id}"),
    }


def test_only_the_upload_is_held_to_the_upload_limit():
    uploads = [route.path for route in GATEWAY_ROUTES.routes if route.body is BodyKind.UPLOAD]

    assert uploads == ["/invoices/upload"]


def test_the_invoice_id_is_taken_from_the_path():
    match = GATEWAY_ROUTES.match("GET", f"/invoices/{INVOICE_ID}/file")

    assert match.parameters == {"invoice_id": INVOICE_ID}


def test_a_literal_segment_wins_over_an_invoice_id():
    assert GATEWAY_ROUTES.match("GET", "/invoices/search").route.path == "/invoices/search"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nothing-here",
        "/invoices/",
        "/auth",
        "/auth/login/again",
        f"/invoices/{INVOICE_ID}/thumbnail",
        "/invoices/../internal/users/x/extraction-settings",
        "/invoices/..",
        "/invoices/a.b",
    ],
)
def test_a_path_no_route_fits_is_unknown(path):
    with pytest.raises(NoSuchRoute):
        GATEWAY_ROUTES.match("GET", path)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_internal_endpoints_are_never_routed(method):
    with pytest.raises(NoSuchRoute):
        GATEWAY_ROUTES.match(method, f"/internal/users/{INVOICE_ID}/extraction-settings")


def test_a_table_refuses_to_route_an_internal_endpoint():
    with pytest.raises(ValueError, match="internal"):
        RoutingTable([Route("GET", "/internal/users/{user_id}/extraction-settings", Backend.AUTH)])


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/settings", ("GET", "PUT")),
        ("GET", "/auth/login", ("POST",)),
        ("GET", "/invoices/upload", ("POST",)),
        ("POST", "/invoices/search", ("GET",)),
        ("DELETE", f"/invoices/{INVOICE_ID}", ("GET",)),
        ("HEAD", "/invoices", ("GET",)),
        ("OPTIONS", "/settings", ("GET", "PUT")),
    ],
)
def test_a_known_path_with_another_method_names_the_allowed_ones(method, path, allowed):
    with pytest.raises(MethodNotAllowed) as refused:
        GATEWAY_ROUTES.match(method, path)

    assert refused.value.allowed == allowed


def test_the_methods_in_use_are_what_cors_allows():
    assert GATEWAY_ROUTES.methods() == ["GET", "POST", "PUT"]
