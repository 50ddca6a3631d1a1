"""The HTTP API on the fake read model: scoping, filters, errors and the documents' shape."""

import uuid
from datetime import timedelta

import httpx
import pytest
from invoice_devstack.tokens import AccessTokenIssuer
from invoice_platform.tokens import TokenVerifier
from invoice_query.bootstrap import create_api
from invoice_query.entrypoints.http import QueryPorts
from invoice_query.handlers.projection import DeliveredEvent, Projector
from invoice_query.settings import QuerySettings
from query_testkit import (
    BASE_TIME,
    MemoryReadModel,
    extracted,
    extraction_failed,
    uploaded,
)

PROBLEM_JSON = "application/problem+json"


class Library:
    """A fake read model filled through the projector, and a client for the API."""

    def __init__(
        self, client: httpx.AsyncClient, model: MemoryReadModel, issuer: AccessTokenIssuer
    ):
        self.client = client
        self.model = model
        self.issuer = issuer
        self.projector = Projector(model)
        self.sequence = 0

    async def add(self, *events) -> None:
        for event in events:
            self.sequence += 1
            raw = event.model_dump_json().encode()
            await self.projector.project(DeliveredEvent(raw, event.nats_subject, self.sequence))

    async def get(self, path: str, user_id: uuid.UUID, **params) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.issuer.headers(user_id))


@pytest.fixture(scope="module")
def issuer() -> AccessTokenIssuer:
    return AccessTokenIssuer()


@pytest.fixture
async def library(issuer):
    model = MemoryReadModel()
    settings = QuerySettings(database_url="postgresql+asyncpg://unused@127.0.0.1:9/none")
    app = create_api(settings, QueryPorts(reader=model, verifier=TokenVerifier(issuer.key_set())))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://query.test") as client:
        yield Library(client, model, issuer)


async def test_without_a_valid_token_every_route_answers_401(library):
    for path in ("/invoices", "/invoices/search?query=a", f"/invoices/{uuid.uuid4()}"):
        missing = await library.client.get(path)
        forged = await library.client.get(path, headers={"Authorization": "Bearer x.y.z"})
        for response in (missing, forged):
            assert response.status_code == 401
            assert response.headers["content-type"] == PROBLEM_JSON


async def test_an_expired_token_is_refused(library, issuer):
    token = issuer.token(uuid.uuid4(), expires_in=-60)
    response = await library.client.get("/invoices", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_history_lists_own_invoices_newest_first_in_pages(library):
    owner, other = uuid.uuid4(), uuid.uuid4()
    invoices = [uuid.uuid4() for _ in range(5)]
    for minute, invoice_id in enumerate(invoices):
        await library.add(uploaded(invoice_id, owner, at=BASE_TIME + timedelta(minutes=minute)))
    await library.add(uploaded(uuid.uuid4(), other))

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await library.get("/invoices", owner, **params)).json()
        seen.extend(item["invoice_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [str(i) for i in reversed(invoices)]


async def test_filters_by_status_and_upload_day(library):
    owner = uuid.uuid4()
    early, late, failed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await library.add(
        uploaded(early, owner, at=BASE_TIME),
        uploaded(late, owner, at=BASE_TIME + timedelta(days=2)),
        uploaded(failed, owner, at=BASE_TIME + timedelta(days=2, hours=1)),
        extracted(late, owner, at=BASE_TIME + timedelta(days=2, seconds=5)),
        extraction_failed(failed, owner, at=BASE_TIME + timedelta(days=2, hours=2)),
    )

    async def listed(**params) -> list[str]:
        response = await library.get("/invoices", owner, **params)
        assert response.status_code == 200, response.text
        return [item["invoice_id"] for item in response.json()["items"]]

    assert await listed(status="extracted") == [str(late)]
    assert await listed(status="failed") == [str(failed)]
    assert await listed(status="processing") == [str(early)]
    assert await listed(uploaded_from="2024-05-03") == [str(failed), str(late)]
    assert await listed(uploaded_to="2024-05-01") == [str(early)]
    assert await listed(uploaded_to=BASE_TIME.isoformat()) == [str(early)]
    assert await listed(uploaded_from="2024-05-03T09:30:00Z", uploaded_to="2024-05-03") == [
        str(failed)
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "archived"},
        {"limit": 0},
        {"limit": 101},
        {"uploaded_from": "last tuesday"},
        {"uploaded_to": "2024-13-01"},
        {"query": ""},
        {"query": "x" * 201},
    ],
)
async def test_invalid_parameters_are_a_422_problem(library, params):
    response = await library.get("/invoices", uuid.uuid4(), **params)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"]


@pytest.mark.parametrize("cursor", ["garbage!", "eyJ1IjoxfQ", "x" * 150])
async def test_a_malformed_cursor_is_a_400_problem(library, cursor):
    response = await library.get("/invoices", uuid.uuid4(), cursor=cursor)

    assert response.status_code == 400
    assert response.json()["type"].endswith(":invalid-cursor")


async def test_search_needs_a_query_and_matches_case_insensitively(library):
    owner = uuid.uuid4()
    a, b = uuid.uuid4(), uuid.uuid4()
    await library.add(
        uploaded(a, owner, file_name="Rechnung_Mai.pdf"),
        uploaded(b, owner, file_name="other.pdf"),
        extracted(b, owner, vendor="Müller & Söhne", invoice_number="RE-100%"),
    )

    async def found(query: str) -> set[str]:
        response = await library.get("/invoices/search", owner, query=query)
        assert response.status_code == 200, response.text
        return {item["invoice_id"] for item in response.json()["items"]}

    assert await found("rechnung_mai") == {str(a)}
    assert await found("MÜLLER") == {str(b)}
    assert await found("re-100%") == {str(b)}
    assert await found("pdf") == {str(a), str(b)}
    for params in ({}, {"query": "   "}):
        assert (await library.get("/invoices/search", owner, **params)).status_code == 422


async def test_detail_shows_the_extraction_with_exact_amounts(library):
    owner, invoice_id = uuid.uuid4(), uuid.uuid4()
    upload = uploaded(invoice_id, owner, file_name="acme.pdf")
    await library.add(upload, extracted(invoice_id, owner, total="1234.50"))

    response = await library.get(f"/invoices/{invoice_id}", owner)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "extracted"
    assert body["file_name"] == "acme.pdf"
    assert body["sha256"] == upload.data.sha256
    assert body["uploaded_at"] == "2024-05-01T09:00:00Z"
    assert body["extraction"]["data"]["total"] == "1234.50"
    assert body["extraction"]["data"]["issue_date"] == "2024-04-30"
    assert body["extraction"]["cost_usd"] == "0.000123"
    assert body["failure"] is None
    assert body["file_url"] == f"/invoices/{invoice_id}/file"
    summary = (await library.get("/invoices", owner)).json()["items"][0]
    assert (summary["total"], summary["currency"], summary["vendor_name"]) == (
        "1234.50",
        "EUR",
        "Acme Supplies GmbH",
    )


async def test_detail_shows_the_failure(library):
    owner, invoice_id = uuid.uuid4(), uuid.uuid4()
    await library.add(uploaded(invoice_id, owner), extraction_failed(invoice_id, owner))

    body = (await library.get(f"/invoices/{invoice_id}", owner)).json()

    assert body["status"] == "failed"
    assert body["extraction"] is None
    assert body["failure"]["code"] == "unreadable_file"
    assert body["failure"]["attempts"] == 3


@pytest.mark.parametrize("invoice_id", ["not-a-uuid", "12345", str(uuid.uuid4())])
async def test_an_unknown_invoice_is_a_404_problem(library, invoice_id):
    response = await library.get(f"/invoices/{invoice_id}", uuid.uuid4())

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_another_users_invoice_is_not_found(library):
    owner, intruder, invoice_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await library.add(uploaded(invoice_id, owner))

    assert (await library.get(f"/invoices/{invoice_id}", intruder)).status_code == 404
    assert (await library.get("/invoices", intruder)).json()["items"] == []


async def test_an_invoice_whose_upload_is_not_known_yet_is_not_shown(library):
    owner, invoice_id = uuid.uuid4(), uuid.uuid4()
    await library.add(extracted(invoice_id, owner))

    assert (await library.get(f"/invoices/{invoice_id}", owner)).status_code == 404
    assert (await library.get("/invoices", owner)).json()["items"] == []


async def test_an_unavailable_database_is_a_503_problem(library):
    library.model.unavailable = True

    response = await library.get("/invoices", uuid.uuid4())

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_the_openapi_document_describes_the_responses(library):
    document = (await library.client.get("/openapi.json")).json()

    schemas = document["components"]["schemas"]
    assert {"InvoicePage", "InvoiceSummary", "InvoiceDetail", "ExtractionFailure"} <= set(schemas)
    assert schemas["InvoiceSummary"]["properties"]["total"]["anyOf"][0]["type"] == "string"
    operations = document["paths"]
    assert operations["/invoices/search"]["get"]["description"]
    assert {p["name"] for p in operations["/invoices"]["get"]["parameters"]} >= {
        "limit",
        "cursor",
        "status",
        "uploaded_from",
        "uploaded_to",
        "query",
    }
