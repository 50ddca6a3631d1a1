"""History, search and detail through HTTP, fed by events on a real JetStream."""

import uuid
from datetime import timedelta

import pytest
from query_testkit import BASE_TIME, extracted, uploaded

pytestmark = pytest.mark.infra


async def test_history_is_newest_first_across_three_pages(query_service):
    owner = uuid.uuid4()
    invoice_ids = [uuid.uuid4() for _ in range(7)]
    events = [
        uploaded(invoice_id, owner, at=BASE_TIME + timedelta(hours=hour))
        for hour, invoice_id in enumerate(invoice_ids)
    ]
    await query_service.append(*events)
    await query_service.wait_applied(*events)

    pages, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await query_service.get("/invoices", owner, **params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["invoice_id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    newest_first = [str(i) for i in reversed(invoice_ids)]
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:]]
    first = (await query_service.get("/invoices", owner, limit=1)).json()["items"][0]
    assert first["uploaded_at"] == "2024-05-01T15:00:00Z"
    assert first["status"] == "processing"


async def test_search_matches_vendor_number_and_file_name_ignoring_case(query_service):
    owner = uuid.uuid4()
    by_vendor, by_number, by_file, unrelated = (uuid.uuid4() for _ in range(4))
    events = [
        uploaded(by_vendor, owner, file_name="scan-001.pdf"),
        extracted(by_vendor, owner, vendor="Nordwind Logistik AG", invoice_number="77"),
        uploaded(by_number, owner, file_name="scan-002.pdf"),
        extracted(by_number, owner, vendor="Someone", invoice_number="RE_2024%nordwind"),
        uploaded(by_file, owner, file_name="NORDWIND-March.pdf"),
        uploaded(unrelated, owner, file_name="other.pdf"),
        extracted(unrelated, owner, vendor="Südwind", invoice_number="RE-2024-X"),
    ]
    await query_service.append(*events)
    await query_service.wait_applied(*events)

    async def found(query: str, path: str = "/invoices/search") -> set[uuid.UUID]:
        response = await query_service.get(path, owner, query=query)
        assert response.status_code == 200, response.text
        return {uuid.UUID(item["invoice_id"]) for item in response.json()["items"]}

    assert await found("nordWIND") == {by_vendor, by_number, by_file}
    assert await found("logistik") == {by_vendor}
    assert await found("re_2024%") == {by_number}
    assert await found("RE_") == {by_number}
    assert await found("2024-x") == {unrelated}
    assert await found("march.PDF") == {by_file}
    assert await found("nothing like it") == set()
    assert await found("nordwind", path="/invoices") == {by_vendor, by_number, by_file}
    extracted_only = await query_service.get(
        "/invoices/search", owner, query="nordwind", status="extracted"
    )
    assert {item["invoice_id"] for item in extracted_only.json()["items"]} == {
        str(by_vendor),
        str(by_number),
    }


async def test_users_see_only_their_own_invoices(query_service):
    alice, bob = uuid.uuid4(), uuid.uuid4()
    alices = uuid.uuid4()
    events = [
        uploaded(alices, alice, file_name="alice-secret.pdf"),
        extracted(alices, alice, vendor="Shared Vendor"),
    ]
    await query_service.append(*events)
    await query_service.wait_applied(*events)

    assert (await query_service.get("/invoices", bob)).json() == {"items": [], "next_cursor": None}
    search = await query_service.get("/invoices/search", bob, query="Shared Vendor")
    assert search.json()["items"] == []
    response = await query_service.get(f"/invoices/{alices}", bob)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert (await query_service.get(f"/invoices/{alices}", alice)).status_code == 200
    assert len((await query_service.get("/invoices", alice)).json()["items"]) == 1
