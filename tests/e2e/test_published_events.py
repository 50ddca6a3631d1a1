"""What the services publish on the stream matches the published contracts, and leaks nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import jsonschema
import nats
from invoice_contracts.events import ALL_INVOICE_SUBJECTS, STREAM_NAME
from invoice_contracts.published import SCHEMAS_DIR

from tests.documents import scanned_pdf_without_text, text_invoice_pdf

SCHEMA_FILES = {
    "invoice.uploaded": "invoice.uploaded.v1.json",
    "invoice.extracted": "invoice.extracted.v1.json",
    "invoice.extraction_failed": "invoice.extraction_failed.v1.json",
}
CLOUDEVENTS_REQUIRED = ("specversion", "id", "source", "type", "subject", "time")


async def _all_events(nats_url: str) -> list[tuple[str, dict[str, str], bytes]]:
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(
            ALL_INVOICE_SUBJECTS, stream=STREAM_NAME, ordered_consumer=True
        )
        messages = []
        while True:
            try:
                message = await subscription.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                return messages
            messages.append((message.subject, dict(message.headers or {}), message.data))
    finally:
        await connection.close()


def test_every_event_on_the_stream_matches_its_published_schema(frontend, stack):
    offline_user, keyed_user = frontend().sign_up(), frontend().sign_up()
    keyed_user.put("/settings", json={"openai_api_key": "sk-fake-invalid-contract-check-5555"})
    uploads = [
        (offline_user, offline_user.upload("ok.pdf", text_invoice_pdf(), "application/pdf")),
        (keyed_user, keyed_user.upload("scan.pdf", scanned_pdf_without_text(), "application/pdf")),
    ]
    ids = [response.json()["invoice_id"] for _, response in uploads]
    for (user, _), invoice_id in zip(uploads, ids, strict=True):
        user.wait_until_settled(invoice_id)

    validators = {
        event_type: jsonschema.Draft202012Validator(
            json.loads((SCHEMAS_DIR / file_name).read_text())
        )
        for event_type, file_name in SCHEMA_FILES.items()
    }
    events = asyncio.run(_all_events(stack.nats.url))
    seen_types: set[str] = set()
    for subject, headers, body in events:
        assert b"sk-fake" not in body, f"an API key reached the stream on {subject}"
        document: dict[str, Any] = json.loads(body)
        for attribute in CLOUDEVENTS_REQUIRED:
            assert document.get(attribute), f"{subject} lacks CloudEvents '{attribute}'"
        validators[document["type"]].validate(document)
        kind = document["type"].removeprefix("invoice.")
        assert subject == f"invoices.{document['subject']}.{kind}"
        assert headers.get("Nats-Msg-Id") == document["id"], "de-duplication uses the event id"
        seen_types.add(document["type"])
    assert seen_types == set(SCHEMA_FILES)
    assert {event[0].split(".")[1] for event in events} >= set(ids)


def test_every_service_answers_health_readiness_and_metrics(stack):
    for name, service in stack.services.items():
        for path in ("/healthz", "/readyz", "/metrics"):
            response = httpx.get(f"{service.url}{path}", timeout=5.0)
            assert response.status_code == 200, f"{name}{path}: {response.text[:300]}"
        assert "http_requests_total" in httpx.get(f"{service.url}/metrics").text
