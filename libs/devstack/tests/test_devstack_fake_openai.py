import asyncio
import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from invoice_contracts.extraction import InvoiceData
from invoice_devstack.fake_openai import REFUSAL, FakeOpenAI
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

pytestmark = pytest.mark.infra


@pytest.fixture(autouse=True)
def clean_fake(fake_openai: FakeOpenAI) -> Iterator[FakeOpenAI]:
    fake_openai.reset()
    yield fake_openai
    fake_openai.reset()


def new_pdf() -> bytes:
    # Unique bytes per test, so per-document scenarios start from a first request.
    return b"%PDF-1.7\n% devstack " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"


def file_messages(document: bytes) -> list[dict[str, Any]]:
    encoded = base64.b64encode(document).decode()
    return [
        {"role": "system", "content": "Extract the invoice."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Here is the invoice."},
                {
                    "type": "file",
                    "file": {
                        "filename": "invoice.pdf",
                        "file_data": f"data:application/pdf;base64,{encoded}",
                    },
                },
            ],
        },
    ]


def image_messages(image: bytes) -> list[dict[str, Any]]:
    encoded = base64.b64encode(image).decode()
    url = f"data:image/png;base64,{encoded}"
    return [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]


def client_for(fake: FakeOpenAI, key: str, **options: Any) -> openai.AsyncOpenAI:
    options.setdefault("max_retries", 0)
    return openai.AsyncOpenAI(api_key=key, base_url=fake.base_url, **options)


async def extract(client: openai.AsyncOpenAI, messages: list[dict[str, Any]]) -> ChatCompletion:
    # The wire shapes are built by hand on purpose; the client's TypedDicts would only echo them.
    wire_messages: Any = messages
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {"name": "invoice", "schema": {"type": "object"}, "strict": True},
    }
    return await client.chat.completions.create(
        model="gpt-4o-mini", messages=wire_messages, response_format=response_format
    )


async def test_ok_answers_the_default_in_the_wire_format(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-ok-user1")

    completion = await extract(client, file_messages(new_pdf()))

    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.refusal is None
    assert json.loads(choice.message.content or "") == fake_openai.default_answer
    assert completion.usage is not None
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    InvoiceData.model_validate_json(choice.message.content or "")


async def test_answers_registered_per_document_hash(fake_openai: FakeOpenAI) -> None:
    pdf, png = new_pdf(), b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes
    fake_openai.set_answer(hashlib.sha256(pdf).hexdigest(), {"invoice_number": "PDF-1"})
    fake_openai.set_answer(hashlib.sha256(png).hexdigest(), {"invoice_number": "PNG-1"})
    client = client_for(fake_openai, "sk-fake-ok")

    from_pdf = await extract(client, file_messages(pdf))
    from_png = await extract(client, image_messages(png))
    from_other = await extract(client, file_messages(new_pdf()))

    assert json.loads(from_pdf.choices[0].message.content or "") == {"invoice_number": "PDF-1"}
    assert json.loads(from_png.choices[0].message.content or "") == {"invoice_number": "PNG-1"}
    assert json.loads(from_other.choices[0].message.content or "") == fake_openai.default_answer


async def test_requests_are_recorded_without_the_full_key(fake_openai: FakeOpenAI) -> None:
    key = "sk-fake-ok-secret-1234567890abcd"
    pdf = new_pdf()

    await extract(client_for(fake_openai, key), file_messages(pdf))

    [recorded] = fake_openai.requests
    assert recorded["authorization"] == "abcd"
    assert recorded["model"] == "gpt-4o-mini"
    assert recorded["document_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert key not in json.dumps(fake_openai.requests)


async def test_invalid_key_is_an_authentication_error(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-invalid-0001")

    with pytest.raises(openai.AuthenticationError) as caught:
        await extract(client, file_messages(new_pdf()))

    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "Incorrect API key provided" in caught.value.message
    assert "sk-fake-invalid-0001" not in caught.value.message


async def test_quota_is_a_rate_limit_error_with_its_own_code(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-quota")

    with pytest.raises(openai.RateLimitError) as caught:
        await extract(client, file_messages(new_pdf()))

    assert caught.value.code == "insufficient_quota"


async def test_rate_limit_applies_to_the_first_request_only(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-ratelimit")
    messages = file_messages(new_pdf())

    with pytest.raises(openai.RateLimitError) as caught:
        await extract(client, messages)
    completion = await extract(client, messages)

    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "1"
    assert json.loads(completion.choices[0].message.content or "") == (fake_openai.default_answer)


async def test_the_client_retry_honours_retry_after(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-ratelimit", max_retries=1)

    started = time.monotonic()
    completion = await extract(client, file_messages(new_pdf()))

    assert time.monotonic() - started >= 0.9
    assert completion.choices[0].message.content is not None
    assert len(fake_openai.requests) == 2


async def test_error_always_fails(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-error")
    messages = file_messages(new_pdf())

    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as caught:
            await extract(client, messages)
        assert caught.value.status_code == 500


async def test_flaky_fails_once_per_document(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-flaky")
    messages = file_messages(new_pdf())

    with pytest.raises(openai.InternalServerError):
        await extract(client, messages)
    completion = await extract(client, messages)
    with pytest.raises(openai.InternalServerError):
        await extract(client, file_messages(new_pdf()))

    assert completion.choices[0].message.content is not None


async def test_slow_answers_after_slow_seconds(fake_openai: FakeOpenAI) -> None:
    fake_openai.slow_seconds = 0.3
    messages = file_messages(new_pdf())

    with pytest.raises(openai.APITimeoutError):
        await extract(client_for(fake_openai, "sk-fake-slow", timeout=0.1), messages)
    started = time.monotonic()
    completion = await extract(client_for(fake_openai, "sk-fake-slow"), messages)

    assert time.monotonic() - started >= 0.3
    assert completion.choices[0].message.content is not None


async def test_delay_lets_concurrent_requests_overlap(fake_openai: FakeOpenAI) -> None:
    fake_openai.delay_seconds = 0.5
    client = client_for(fake_openai, "sk-fake-ok")

    started = time.monotonic()
    completions = await asyncio.gather(
        *(extract(client, file_messages(new_pdf())) for _ in range(20))
    )

    assert time.monotonic() - started < 2.5
    assert all(c.choices[0].message.content for c in completions)


async def test_malformed_content_is_not_json(fake_openai: FakeOpenAI) -> None:
    completion = await extract(
        client_for(fake_openai, "sk-fake-malformed"), file_messages(new_pdf())
    )

    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.choices[0].message.content or "")


class Invoice(BaseModel):
    invoice_number: str | None


async def test_refusal_has_no_content(fake_openai: FakeOpenAI) -> None:
    client = client_for(fake_openai, "sk-fake-refusal")

    completion = await client.chat.completions.parse(
        model="gpt-4o-mini",
        messages=file_messages(new_pdf()),  # type: ignore[arg-type]
        response_format=Invoice,
    )

    message = completion.choices[0].message
    assert message.refusal == REFUSAL
    assert message.content is None
    assert message.parsed is None


async def test_models_lists_one_model(fake_openai: FakeOpenAI) -> None:
    models = [model.id async for model in client_for(fake_openai, "sk-fake-ok").models.list()]

    assert models == ["gpt-4o-mini"]


async def test_missing_key_and_bad_body_are_rejected(fake_openai: FakeOpenAI) -> None:
    async with httpx.AsyncClient(base_url=fake_openai.base_url) as http:
        unauthenticated = await http.post("/chat/completions", json={"messages": []})
        malformed = await http.post(
            "/chat/completions",
            content=b"{not json",
            headers={"Authorization": "Bearer sk-fake-ok"},
        )

    assert unauthenticated.status_code == 401
    assert malformed.status_code == 400
    assert malformed.json()["error"]["type"] == "invalid_request_error"
    assert fake_openai.requests == []
