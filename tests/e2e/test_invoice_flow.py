"""The invoice flow driven through the gateway, with the five services as separate processes."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.documents import invoice_png, scanned_pdf_without_text, sha256, text_invoice_pdf

PNG_ANSWER = {
    "invoice_number": "PNG-77",
    "purchase_order": None,
    "issue_date": "2024-06-01",
    "due_date": None,
    "service_period": None,
    "currency": "USD",
    "language": "en",
    "vendor": {
        "name": "Pixel Print Co",
        "address": None,
        "tax_id": None,
        "email": None,
        "phone": None,
    },
    "customer": None,
    "subtotal": "100.00",
    "tax_total": "8.25",
    "tax_breakdown": [],
    "discount_total": None,
    "shipping": None,
    "total": "108.25",
    "amount_due": "108.25",
    "amount_paid": None,
    "line_items": [],
    "payment": None,
}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_pdf_is_extracted_offline_and_png_through_openai(frontend, fake_openai):
    alice, bob = frontend().sign_up(), frontend().sign_up()

    png = invoice_png()
    fake_openai.set_answer(sha256(png), PNG_ANSWER)
    settings = alice.put("/settings", json={"openai_api_key": "sk-fake-ok-alice-1234"})
    assert settings.status_code == 200, settings.text
    assert settings.json()["openai_api_key"].endswith("1234")
    assert "alice" not in settings.json()["openai_api_key"]

    png_upload = alice.upload("receipt.png", png, "image/png")
    assert png_upload.status_code == 202, png_upload.text
    assert png_upload.json()["status"] == "processing"

    pdf = text_invoice_pdf(vendor="Acme Office Supplies Ltd", number="INV-2024-0042")
    pdf_upload = bob.upload("acme-march.pdf", pdf, "application/pdf")
    assert pdf_upload.status_code == 202, pdf_upload.text

    png_detail = alice.wait_until_settled(png_upload.json()["invoice_id"])
    assert png_detail["status"] == "extracted", png_detail
    extraction = png_detail["extraction"]
    assert extraction["provider"] == "openai"
    assert extraction["data"]["invoice_number"] == "PNG-77"
    assert Decimal(extraction["data"]["total"]) == Decimal("108.25")
    assert extraction["usage"]["input_tokens"] > 0

    # What the frontend reads is exactly what the LLM was asked to fill.
    [request] = [r for r in fake_openai.requests if r.get("document_sha256") == sha256(png)]
    sent = request["response_format"]["json_schema"]
    assert sent["strict"] is True
    published = alice.http.get("/schemas/invoice-data")  # no token: it is public
    assert published.status_code == 200
    assert published.json() == sent["schema"]

    pdf_detail = bob.wait_until_settled(pdf_upload.json()["invoice_id"])
    assert pdf_detail["status"] == "extracted", pdf_detail
    data = pdf_detail["extraction"]["data"]
    assert pdf_detail["extraction"]["provider"] == "offline"
    assert data["invoice_number"] == "INV-2024-0042"
    assert Decimal(data["total"]) == Decimal("1234.56")
    assert data["issue_date"] == "2024-03-05"

    # The original comes back byte for byte, to its owner only.
    download = bob.get(f"/invoices/{pdf_upload.json()['invoice_id']}/file")
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert_problem(alice.get(f"/invoices/{pdf_upload.json()['invoice_id']}/file"), 404)


def test_each_user_sees_only_their_own_invoices(frontend):
    alice, bob = frontend().sign_up(), frontend().sign_up()
    alice_ids = [
        alice.upload(f"alice-{n}.pdf", text_invoice_pdf(number=f"A-{n}"), "application/pdf").json()[
            "invoice_id"
        ]
        for n in range(3)
    ]
    bob_id = bob.upload("bob.pdf", text_invoice_pdf(number="B-1"), "application/pdf").json()[
        "invoice_id"
    ]
    for invoice_id in alice_ids:
        alice.wait_until_settled(invoice_id)
    bob.wait_until_settled(bob_id)

    first = alice.get("/invoices", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = alice.get("/invoices", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    listed = [item["invoice_id"] for item in first["items"] + second["items"]]
    assert listed == list(reversed(alice_ids)), "newest first, each once"
    assert bob_id not in listed

    summary = first["items"][0]
    assert summary["status"] == "extracted"
    assert summary["invoice_number"] == "A-2"
    assert summary["vendor_name"] and summary["total"] and summary["currency"] == "EUR"

    found = alice.get("/invoices/search", params={"query": "a-1"}).json()["items"]
    assert [item["invoice_id"] for item in found] == [alice_ids[1]]
    assert bob.get("/invoices/search", params={"query": "alice"}).json()["items"] == []

    assert_problem(bob.get(f"/invoices/{alice_ids[0]}"), 404)
    assert [i["invoice_id"] for i in bob.get("/invoices").json()["items"]] == [bob_id]


def test_extraction_failure_is_shown_with_a_reason(frontend):
    carol = frontend().sign_up()
    upload = carol.upload("scan.pdf", scanned_pdf_without_text(), "application/pdf")
    assert upload.status_code == 202
    detail = carol.wait_until_settled(upload.json()["invoice_id"])
    assert detail["status"] == "failed"
    assert detail["extraction"] is None
    # OCR reads pages without a text layer; a page with only a drawing has no text at all.
    assert detail["failure"]["code"] == "no_text_found"
    assert "Settings" in detail["failure"]["reason"]


def test_a_rejected_openai_key_fails_with_a_reason_and_never_leaks(frontend):
    dave = frontend().sign_up()
    dave.put("/settings", json={"openai_api_key": "sk-fake-invalid-dave-secret-9876"})
    upload = dave.upload("inv.pdf", text_invoice_pdf(), "application/pdf")
    detail = dave.wait_until_settled(upload.json()["invoice_id"])
    assert detail["status"] == "failed"
    assert detail["failure"]["code"] == "invalid_api_key"
    assert "Settings" in detail["failure"]["reason"]
    assert "secret" not in str(detail)


def test_bad_input_and_bad_tokens_get_problem_documents(frontend, stack):
    erin = frontend().sign_up()
    body = assert_problem(erin.upload("notes.pdf", b"just some text", "application/pdf"), 415)
    assert "PDF" in body["detail"]
    assert_problem(httpx.get(f"{stack.gateway_url}/invoices"), 401)
    assert_problem(
        httpx.get(f"{stack.gateway_url}/invoices", headers={"Authorization": "Bearer nope"}), 401
    )
    assert_problem(erin.get("/invoices/not-a-uuid"), 404)
    assert erin.get("/invoices").json()["items"] == [], "a refused upload leaves nothing behind"


def test_session_lifecycle_through_the_gateway(frontend):
    frank = frontend().sign_up()
    refreshed = frank.http.post("/auth/refresh", json={"refresh_token": frank.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    new_refresh = refreshed.json()["refresh_token"]
    assert new_refresh != frank.refresh_token
    assert frank.http.post("/auth/logout", json={"refresh_token": new_refresh}).status_code == 204
    assert_problem(frank.http.post("/auth/refresh", json={"refresh_token": new_refresh}), 401)
