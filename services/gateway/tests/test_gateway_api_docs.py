import copy

from invoice_gateway.domain.api_docs import BEARER_SCHEME, merge_api_documents
from invoice_gateway.domain.errors import BackendUnreachable
from invoice_gateway.domain.routing import GATEWAY_ROUTES, Backend
from invoice_gateway.handlers.api_docs import MergedApiDescription


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json_answer(name):
    return {"200": {"content": {"application/json": {"schema": _ref(name)}}}}


AUTH = {
    "openapi": "3.1.0",
    "paths": {
        "/auth/login": {"post": {"operationId": "login", "responses": _json_answer("TokenPair")}},
        "/settings": {
            "get": {"operationId": "read_settings", "responses": _json_answer("Settings")},
            "put": {"operationId": "change_settings", "responses": _json_answer("Settings")},
        },
        "/internal/users/{user_id}/extraction-settings": {
            "get": {"operationId": "internal", "responses": _json_answer("ExtractionSettings")}
        },
    },
    "components": {
        "schemas": {
            "TokenPair": {"type": "object", "properties": {"access_token": {"type": "string"}}},
            "Settings": {"type": "object", "properties": {"model": {"type": "string"}}},
            "ExtractionSettings": {"type": "object"},
            "Problem": {"type": "object", "properties": {"detail": {"type": "string"}}},
        },
        "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
    },
}

QUERY = {
    "openapi": "3.1.0",
    "paths": {
        "/invoices": {"get": {"operationId": "list", "responses": _json_answer("InvoicePage")}},
        "/invoices/{id}": {
            "get": {"operationId": "detail", "responses": _json_answer("Settings")},
            "delete": {"operationId": "not_routed", "responses": {}},
        },
    },
    "components": {
        "schemas": {
            "InvoicePage": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": _ref("Problem")}},
            },
            "Settings": {"type": "object", "properties": {"status": {"type": "string"}}},
            "Problem": {"type": "object", "properties": {"detail": {"type": "string"}}},
        }
    },
}


def _merge(documents, missing=None):
    return merge_api_documents(
        GATEWAY_ROUTES,
        documents,
        missing or {},
        title="Invoice backend API",
        version="1",
        description="All of it.",
    )


def test_only_routed_operations_are_kept():
    merged = _merge({Backend.AUTH: AUTH, Backend.QUERY: QUERY})

    assert set(merged["paths"]) == {"/auth/login", "/settings", "/invoices", "/invoices/{id}"}
    assert set(merged["paths"]["/invoices/{id}"]) == {"get"}
    assert "ExtractionSettings" not in merged["components"]["schemas"]


def test_public_operations_need_no_token_and_the_others_the_bearer_scheme():
    merged = _merge({Backend.AUTH: AUTH, Backend.QUERY: QUERY})

    assert merged["paths"]["/auth/login"]["post"]["security"] == []
    assert merged["paths"]["/invoices"]["get"]["security"] == [{BEARER_SCHEME: []}]
    assert merged["components"]["securitySchemes"] == {
        BEARER_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "The access token from POST /auth/login or POST /auth/refresh.",
        }
    }


def test_identical_components_are_shared_and_clashing_ones_renamed():
    merged = _merge({Backend.AUTH: AUTH, Backend.QUERY: QUERY})
    schemas = merged["components"]["schemas"]

    assert schemas["Settings"] == AUTH["components"]["schemas"]["Settings"]
    assert schemas["QuerySettings"] == QUERY["components"]["schemas"]["Settings"]
    detail = merged["paths"]["/invoices/{id}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"] == _ref("QuerySettings")
    assert schemas["InvoicePage"]["properties"]["items"]["items"] == _ref("Problem")
    assert "QueryProblem" not in schemas


def test_a_component_referring_to_a_renamed_one_is_renamed_too():
    auth = copy.deepcopy(AUTH)
    auth["components"]["schemas"]["Problem"] = {"type": "string"}
    auth["components"]["schemas"]["InvoicePage"] = QUERY["components"]["schemas"]["InvoicePage"]
    auth["paths"]["/auth/login"]["post"]["responses"] = _json_answer("InvoicePage")

    merged = _merge({Backend.AUTH: auth, Backend.QUERY: QUERY})
    schemas = merged["components"]["schemas"]

    assert schemas["Problem"] == {"type": "string"}
    assert schemas["QueryProblem"] == QUERY["components"]["schemas"]["Problem"]
    assert schemas["QueryInvoicePage"]["properties"]["items"]["items"] == _ref("QueryProblem")
    listing = merged["paths"]["/invoices"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"] == _ref("QueryInvoicePage")


def test_a_missing_backend_is_named_in_the_description():
    merged = _merge({Backend.AUTH: AUTH}, {Backend.QUERY: "it cannot be reached"})

    assert "/invoices" not in merged["paths"]
    assert merged["info"]["description"].startswith("All of it.")
    assert "query service" in merged["info"]["description"]
    assert "it cannot be reached" in merged["info"]["description"]


class FakeDescriptionSource:
    def __init__(self):
        self.documents = {Backend.AUTH: AUTH, Backend.QUERY: QUERY}
        self.down: set[Backend] = set()
        self.fetches = 0

    async def api_description(self, backend):
        self.fetches += 1
        if backend in self.down or backend not in self.documents:
            raise BackendUnreachable(backend, "connection refused")
        return self.documents[backend]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _description(source, clock):
    return MergedApiDescription(
        source, GATEWAY_ROUTES, title="t", version="1", fresh_seconds=60, clock=clock
    )


async def test_the_merged_document_is_cached_for_a_minute():
    source, clock = FakeDescriptionSource(), FakeClock()
    source.documents[Backend.INGEST] = {"paths": {}}
    description = _description(source, clock)

    first = await description.document()
    clock.now += 59
    again = await description.document()
    clock.now += 2
    await description.document()

    assert again is first
    assert source.fetches == 6


async def test_a_document_missing_a_backend_is_fetched_again_soon():
    source, clock = FakeDescriptionSource(), FakeClock()
    source.documents[Backend.INGEST] = {"paths": {}}
    source.down = {Backend.QUERY}
    description = _description(source, clock)

    partial = await description.document()
    source.down = set()
    clock.now += 6
    complete = await description.document()

    assert "/invoices" not in partial["paths"]
    assert "query service" in partial["info"]["description"]
    assert "/invoices" in complete["paths"]
