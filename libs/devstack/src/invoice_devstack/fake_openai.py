"""An OpenAI-compatible Chat Completions server for tests, with scenarios chosen by API key.

The openai client cannot be intercepted in-process, so tests point its base_url here. The key
picks the behaviour, which lets an end-to-end test give each user its own scenario:

    sk-fake-ok...         200 with the answer (so does any key not listed below)
    sk-fake-invalid...    401 invalid_api_key
    sk-fake-quota...      429 insufficient_quota
    sk-fake-ratelimit...  429 rate_limit_exceeded with Retry-After: 1 on a document's first
                          request, then 200
    sk-fake-error...      500 always
    sk-fake-flaky...      500 on a document's first request, then 200
    sk-fake-slow...       200 after `slow_seconds`
    sk-fake-malformed...  200 whose content is not JSON
    sk-fake-refusal...    200 with a refusal and no content
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import hashlib
import json
import logging
import threading
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from invoice_devstack.asgi import ThreadedAsgiServer
from invoice_devstack.lifecycle import Managed

logger = logging.getLogger(__name__)

MODEL_ID = "gpt-4o-mini"
REFUSAL = "I'm sorry, but I can't help with extracting data from this document."
MALFORMED_CONTENT = '{"invoice_number": "INV-1", "total": '

_SCENARIOS = (
    "invalid",
    "quota",
    "ratelimit",
    "error",
    "flaky",
    "slow",
    "malformed",
    "refusal",
    "ok",
)

DEFAULT_ANSWER: dict[str, Any] = {
    "invoice_number": "FAKE-0001",
    "purchase_order": None,
    "issue_date": "2024-03-01",
    "due_date": "2024-03-31",
    "service_period": None,
    "currency": "EUR",
    "language": "en",
    "vendor": {
        "name": "Fake Supplies Ltd",
        "address": "1 Test Street, Testville",
        "tax_id": "DE123456789",
        "email": None,
        "phone": None,
    },
    "customer": None,
    "subtotal": "100.00",
    "tax_total": "19.00",
    "tax_breakdown": [{"rate": "19", "base": "100.00", "amount": "19.00"}],
    "discount_total": None,
    "shipping": None,
    "total": "119.00",
    "amount_due": "119.00",
    "amount_paid": None,
    "line_items": [
        {
            "description": "Test widget",
            "code": None,
            "quantity": "2",
            "unit": "pcs",
            "unit_price": "50.00",
            "tax_rate": "19",
            "amount": "100.00",
        }
    ],
    "payment": None,
}


def scenario_for_key(api_key: str) -> str:
    """The scenario an API key selects; unknown keys behave like sk-fake-ok."""
    for name in _SCENARIOS:
        if api_key.startswith(f"sk-fake-{name}"):
            return name
    return "ok"


def _error(status: int, message: str, type_: str, code: str | None, **headers: str) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def _masked(api_key: str) -> str:
    return f"{api_key[:8]}{'*' * 12}{api_key[-4:]}" if len(api_key) > 12 else "*" * 8


def _decode_data_url(value: str) -> bytes:
    _, comma, payload = value.partition(",")
    return base64.b64decode(payload if comma else value, validate=True)


def find_document(messages: Any) -> bytes | None:
    """The decoded bytes of the first file or image part in the messages, if any."""
    if not isinstance(messages, list):
        return None
    for message in messages:
        parts = message.get("content") if isinstance(message, dict) else None
        if not isinstance(parts, list):
            continue
        for part in parts:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "file":
                data = (part.get("file") or {}).get("file_data")
            elif part.get("type") == "image_url":
                data = (part.get("image_url") or {}).get("url")
            else:
                continue
            if isinstance(data, str) and (data.startswith("data:") or part["type"] == "file"):
                return _decode_data_url(data)
    return None


def _text_length(messages: list[Any]) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(
                len(part.get("text") or "")
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
    return total


class FakeOpenAI(Managed):
    """The fake server, run by uvicorn in a background thread on a free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[dict[str, Any]] = []
        self.default_answer: dict[str, Any] = copy.deepcopy(DEFAULT_ANSWER)
        self.slow_seconds: float = 5.0
        self.delay_seconds: float = 0.0
        self._answers: dict[str, dict[str, Any]] = {}
        self._attempts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._http = ThreadedAsgiServer(self.app, "fake-openai", host=host)

    @property
    def port(self) -> int:
        if not self._http.running:
            raise RuntimeError("the fake OpenAI server has not been started")
        return self._http.port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def set_answer(self, sha256_hex: str, content: dict[str, Any]) -> None:
        """Answer `content` to requests whose document has this SHA-256."""
        with self._lock:
            self._answers[sha256_hex.lower()] = copy.deepcopy(content)

    def reset(self) -> None:
        """Forget requests, answers and attempts, and restore the default settings."""
        with self._lock:
            self.requests.clear()
            self._answers.clear()
            self._attempts.clear()
            self.default_answer = copy.deepcopy(DEFAULT_ANSWER)
            self.slow_seconds = 5.0
            self.delay_seconds = 0.0

    def start(self, timeout: float = 10.0) -> None:
        if self._http.running:
            return
        self._http.start(timeout)
        logger.info("fake OpenAI listening on %s", self.base_url)

    def stop(self, timeout: float = 10.0) -> None:
        if not self._http.running:
            return
        port = self._http.port
        self._http.stop(timeout)
        logger.info("stopped the fake OpenAI on port %s", port)

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="fake OpenAI", openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/v1/models")
        async def list_models() -> dict[str, Any]:
            """The one model this fake serves."""
            return {
                "object": "list",
                "data": [
                    {"id": MODEL_ID, "object": "model", "created": 1700000000, "owned_by": "fake"}
                ],
            }

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> JSONResponse:
            """Chat Completions, answered per the scenario the API key selects."""
            return await self._complete(request)

        return app

    async def _complete(self, request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization", "")
        api_key = authorization.removeprefix("Bearer ").strip()
        if not api_key:
            return _error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
                None,
            )
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                raise ValueError("messages missing")
            document = find_document(body["messages"])
        except (ValueError, binascii.Error):
            return _error(
                400,
                "We could not parse the JSON body of your request, or its messages.",
                "invalid_request_error",
                None,
            )

        if document is not None:
            document_id = hashlib.sha256(document).hexdigest()
        else:
            document_id = hashlib.sha256(
                json.dumps(body["messages"], sort_keys=True).encode()
            ).hexdigest()
        # Only the key's last four characters are kept: a full key must never be stored.
        self.requests.append(
            {**body, "authorization": api_key[-4:], "document_sha256": document_id}
        )
        key_id = hashlib.sha256(api_key.encode()).hexdigest()
        with self._lock:
            attempt = self._attempts.get((key_id, document_id), 0) + 1
            self._attempts[(key_id, document_id)] = attempt
            answer = self._answers.get(document_id, self.default_answer)

        if self.delay_seconds > 0:
            await asyncio.sleep(self.delay_seconds)
        scenario = scenario_for_key(api_key)
        if scenario == "invalid":
            return _error(
                401,
                f"Incorrect API key provided: {_masked(api_key)}. You can find your API key "
                "at https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
        if scenario == "quota":
            return _error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            )
        if scenario == "ratelimit" and attempt == 1:
            return _error(
                429,
                f"Rate limit reached for {body.get('model', MODEL_ID)} on requests per min "
                "(RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.",
                "requests",
                "rate_limit_exceeded",
                **{"Retry-After": "1"},
            )
        if scenario == "error" or (scenario == "flaky" and attempt == 1):
            return _error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
            )
        if scenario == "slow":
            await asyncio.sleep(self.slow_seconds)

        content: str | None = json.dumps(answer)
        refusal: str | None = None
        if scenario == "malformed":
            content = MALFORMED_CONTENT
        elif scenario == "refusal":
            content, refusal = None, REFUSAL
        return JSONResponse(self._completion(body, document, content, refusal))

    def _completion(
        self,
        body: dict[str, Any],
        document: bytes | None,
        content: str | None,
        refusal: str | None,
    ) -> dict[str, Any]:
        # Token counts are deterministic estimates so tests can assert on cost accounting.
        prompt_tokens = 50 + _text_length(body["messages"]) // 4
        if document is not None:
            prompt_tokens += 1000
        completion_tokens = 1 + len(content or refusal or "") // 4
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": refusal,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_fake",
        }
