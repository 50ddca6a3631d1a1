"""What an extraction works on and what a provider gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

from invoice_contracts.extraction import InvoiceData, TokenUsage

ContentType = Literal["application/pdf", "image/png"]


@dataclass(frozen=True)
class Document:
    """The original file of one invoice, as uploaded."""

    bytes: bytes = field(repr=False)
    content_type: ContentType
    file_name: str

    @property
    def size(self) -> int:
        return len(self.bytes)


@dataclass(frozen=True)
class UserExtractionSettings:
    """The uploading user's choices; the key is kept out of repr so no log can print it."""

    openai_api_key: str | None = field(default=None, repr=False)
    system_prompt: str | None = None
    model: str | None = None

    @property
    def has_openai_key(self) -> bool:
        return bool(self.openai_api_key)


@dataclass(frozen=True)
class ProviderResult:
    data: InvoiceData
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal | None = None
    confidence: dict[str, float] = field(default_factory=dict)
    prompt_version: str | None = None


class ExtractionProvider(Protocol):
    async def extract(
        self, document: Document, settings: UserExtractionSettings
    ) -> ProviderResult: ...
