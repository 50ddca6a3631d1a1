"""The extractor's providers as the evaluation kit calls them: bytes in, InvoiceData out.

    uv run python -m invoice_evaluation.run --provider offline
    uv run python -m invoice_evaluation.run --provider openai --option answers_from=eval/dataset

Without a base_url, the openai provider talks to the project's fake OpenAI server, primed with
each dataset document's ground truth as its answer. Its scores then measure how the extractor
builds requests and reads answers, not a model: anything below 1.0 is ours to fix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from invoice_contracts.extraction import InvoiceData

from invoice_extractor.adapters.key_slots import KeySlots
from invoice_extractor.adapters.offline_provider import OfflineProvider
from invoice_extractor.adapters.openai_provider import (
    OpenAIClients,
    OpenAIProvider,
    openai_client,
)
from invoice_extractor.domain.model import (
    ContentType,
    Document,
    ExtractionProvider,
    UserExtractionSettings,
)

logger = logging.getLogger(__name__)

EXPECTED_SUFFIX = ".expected.json"
DOCUMENT_SUFFIXES = (".pdf", ".png")
DEFAULT_MODEL = "gpt-4o-mini"
# Selects the fake server's plain answers; never a real key.
EVALUATION_KEY = "sk-fake-ok-evaluation"


class EvaluationExtract:
    """An async callable (document bytes, content type, file name) -> InvoiceData."""

    def __init__(
        self,
        provider: ExtractionProvider,
        settings: UserExtractionSettings,
        on_close: list[Callable[[], object]] | None = None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self._on_close = on_close or []

    async def __call__(self, content: bytes, content_type: str, file_name: str) -> InvoiceData:
        document = Document(
            bytes=content, content_type=cast(ContentType, content_type), file_name=file_name
        )
        result = await self.provider.extract(document, self.settings)
        return result.data

    def close(self) -> None:
        """Stop what was started for the run (the fake server, reading threads)."""
        for close in reversed(self._on_close):
            close()
        self._on_close.clear()


def make_extract(provider_name: str, **options: str) -> EvaluationExtract:
    """The extraction callable for `offline` or `openai`.

    openai options: base_url (any OpenAI-compatible server; without it the fake server runs),
    api_key (else $OPENAI_API_KEY), model, timeout_seconds, and answers_from, the dataset
    folder whose ground truth the fake server answers with.
    """
    if provider_name == "offline":
        unknown = set(options)
        if unknown:
            raise ValueError(f"the offline provider takes no options, got {sorted(unknown)}")
        offline = OfflineProvider()
        return EvaluationExtract(offline, UserExtractionSettings(), [offline.close])
    if provider_name == "openai":
        return _openai_extract(**options)
    raise ValueError(f"unknown provider {provider_name!r}: choose offline or openai")


def _openai_extract(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    model: str = DEFAULT_MODEL,
    timeout_seconds: str | float = 60.0,
    answers_from: str | None = None,
) -> EvaluationExtract:
    on_close: list[Callable[[], object]] = []
    if base_url is None:
        if answers_from is None:
            raise ValueError(
                "without base_url the fake OpenAI server answers, and it needs the dataset's "
                "ground truth: pass answers_from=<dataset folder>"
            )
        base_url, stop = _start_fake_openai(Path(answers_from))
        on_close.append(stop)
        api_key = api_key or EVALUATION_KEY
    api_key = api_key or os.environ.get("OPENAI_API_KEY")
    if not api_key:
        raise ValueError("pass api_key=... or set OPENAI_API_KEY for the server at base_url")

    timeout = float(timeout_seconds)
    clients = OpenAIClients(
        lambda key: openai_client(key, base_url=base_url, timeout_seconds=timeout)
    )
    provider = OpenAIProvider(
        clients, default_model=model, timeout_seconds=timeout, slots=KeySlots(per_key=8)
    )
    settings = UserExtractionSettings(openai_api_key=api_key, model=model)
    return EvaluationExtract(provider, settings, on_close)


def ground_truth_answers(folder: Path) -> dict[str, dict[str, Any]]:
    """Each document's SHA-256 with its ground truth, in the complete shape a strict answer has."""
    answers: dict[str, dict[str, Any]] = {}
    for expected in sorted(folder.glob("*" + EXPECTED_SUFFIX)):
        stem = expected.name.removesuffix(EXPECTED_SUFFIX)
        documents = [folder / (stem + suffix) for suffix in DOCUMENT_SUFFIXES]
        found = [path for path in documents if path.is_file()]
        if len(found) != 1:
            raise ValueError(f"{expected.name} needs exactly one of {stem}.pdf or {stem}.png")
        truth = InvoiceData.model_validate_json(expected.read_bytes())
        digest = hashlib.sha256(found[0].read_bytes()).hexdigest()
        answers[digest] = json.loads(truth.model_dump_json())
    if not answers:
        raise ValueError(f"no *{EXPECTED_SUFFIX} files in {folder}")
    return answers


def _start_fake_openai(folder: Path) -> tuple[str, Callable[[], None]]:
    # The devstack is a development tool, not a dependency of the service: imported only here.
    from invoice_devstack.fake_openai import FakeOpenAI

    answers = ground_truth_answers(folder)
    fake = FakeOpenAI()
    for digest, answer in answers.items():
        fake.set_answer(digest, answer)
    fake.start()
    logger.info("fake OpenAI at %s answers %d documents of %s", fake.base_url, len(answers), folder)
    return fake.base_url, fake.stop
