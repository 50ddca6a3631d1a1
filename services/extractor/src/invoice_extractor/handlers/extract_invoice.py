"""The use case: turn one delivered InvoiceUploaded into exactly one outcome event.

Every delivery ends in one of: an appended outcome and an ack, a nak with a delay (a transient
failure with deliveries left), or a logged term (a message that is not an invoice event at all).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from invoice_contracts.events import (
    InvoiceExtracted,
    InvoiceExtractedData,
    InvoiceExtractionFailed,
    InvoiceExtractionFailedData,
    InvoiceUploaded,
    event_source,
    parse_event,
)
from invoice_contracts.extraction import Extraction, ProviderName
from invoice_platform.bus import BusUnavailable, ConcurrentAppend
from invoice_platform.logs import log_context
from invoice_platform.tracing import context_from_traceparent
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from invoice_extractor.domain import errors
from invoice_extractor.domain.backoff import redelivery_delay
from invoice_extractor.domain.checks import check_invoice
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import Document, ExtractionProvider, UserExtractionSettings
from invoice_extractor.handlers.ports import (
    Delivery,
    DocumentSource,
    OutcomeAppender,
    SettingsSource,
)
from invoice_extractor.metrics import (
    EXTRACTION_DURATION,
    EXTRACTIONS,
    NAKS,
    POISON_MESSAGES,
)

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("invoice_extractor")

SOURCE = event_source("extractor")
Outcome = Literal["extracted", "failed", "retry", "already_decided", "poison"]
OutcomeEvent = InvoiceExtracted | InvoiceExtractionFailed


@dataclass(frozen=True)
class RetryPolicy:
    max_deliver: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 60.0
    append_attempts: int = 3
    append_pause_seconds: float = 0.5

    def delay(self, attempt: int, uniform: Callable[[], float]) -> float:
        return redelivery_delay(
            attempt, base_seconds=self.base_seconds, cap_seconds=self.cap_seconds, uniform=uniform
        )


def choose_provider(settings: UserExtractionSettings) -> ProviderName:
    return "openai" if settings.has_openai_key else "offline"


class ExtractInvoice:
    def __init__(
        self,
        *,
        documents: DocumentSource,
        settings: SettingsSource,
        providers: Mapping[ProviderName, ExtractionProvider],
        appender: OutcomeAppender,
        retry: RetryPolicy | None = None,
        uniform: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.documents = documents
        self.settings = settings
        self.providers = providers
        self.appender = appender
        self.retry = retry or RetryPolicy()
        self.uniform = uniform
        self.clock = clock

    async def __call__(self, delivery: Delivery) -> Outcome:
        try:
            event = parse_event(delivery.body)
        except ValueError as exc:
            # Only the error's type is logged: its text may quote the message body.
            return await self._poison(delivery, f"not an invoice event ({exc.__class__.__name__})")
        if not isinstance(event, InvoiceUploaded):
            return await self._poison(delivery, f"a {event.type} event on an upload subject")

        with (
            log_context(
                invoice_id=event.subject,
                user_id=event.userid,
                event_id=event.id,
                stream_sequence=delivery.stream_sequence,
            ),
            tracer.start_as_current_span(
                "extract invoice",
                context=cast(Any, context_from_traceparent(event.traceparent)),
                kind=SpanKind.CONSUMER,
                attributes={"invoice.id": event.subject, "messaging.delivery": delivery.attempt},
            ),
        ):
            return await self._extract(delivery, event)

    async def _extract(self, delivery: Delivery, upload: InvoiceUploaded) -> Outcome:
        provider: ProviderName | Literal["none"] = "none"
        if delivery.attempt > self.retry.max_deliver:
            # Every earlier delivery ended unsettled: the process stopped or lost the lease while
            # working on this file, or the failure could not be written. Extracting again could
            # crash again, so the invoice is reported as failed without another try.
            return await self._give_up(delivery, upload, errors.interrupted(), provider)
        try:
            try:
                document = await self.documents.fetch(upload.data)
                user_settings = await self.settings.for_user(upload.data.user_id)
                provider = choose_provider(user_settings)
                extraction = await self._run(provider, document, user_settings)
            except ExtractionError:
                raise
            except Exception as exc:
                # A bug must not lose the invoice: it is retried, then reported as failed.
                logger.exception("unexpected failure while extracting")
                raise errors.internal_error() from exc
        except ExtractionError as error:
            if error.transient:
                return await self._retry_later(delivery, upload, error, provider)
            logger.info("extraction failed for good: %s", error.error_code)
            failed = _failed_event(upload, error, delivery.attempt)
            return await self._record(delivery, upload, failed, provider, "failed")

        extracted = InvoiceExtracted(
            source=SOURCE,
            subject=upload.subject,
            userid=upload.userid,
            traceparent=upload.traceparent,
            data=InvoiceExtractedData(
                invoice_id=upload.data.invoice_id,
                user_id=upload.data.user_id,
                extraction=extraction,
            ),
        )
        return await self._record(delivery, upload, extracted, provider, "extracted")

    async def _run(
        self, provider: ProviderName, document: Document, user_settings: UserExtractionSettings
    ) -> Extraction:
        started = self.clock()
        try:
            result = await self.providers[provider].extract(document, user_settings)
        finally:
            elapsed = max(self.clock() - started, 0.0)
            EXTRACTION_DURATION.labels(provider).observe(elapsed)
        return Extraction(
            data=result.data,
            provider=provider,
            model=result.model,
            prompt_version=result.prompt_version,
            duration_ms=round(elapsed * 1000),
            usage=result.usage,
            cost_usd=result.cost_usd,
            confidence=result.confidence,
            warnings=check_invoice(result.data),
        )

    async def _record(
        self,
        delivery: Delivery,
        upload: InvoiceUploaded,
        event: OutcomeEvent,
        provider: str,
        outcome: Outcome,
    ) -> Outcome:
        # The expected sequence makes the append conditional on the upload still being the
        # invoice's last event: of two deliveries racing on one invoice, only one outcome lands.
        try:
            await self._append(event, delivery)
        except ConcurrentAppend:
            return await self._already_decided(delivery, provider)
        except BusUnavailable as exc:
            logger.warning("could not append %s: %s", event.type, exc)
            return await self._retry_later(delivery, upload, errors.bus_unavailable(), provider)
        # Acked only now: a crash before this line redelivers, and the redelivery finds the
        # outcome already appended (ConcurrentAppend above) instead of writing a second one.
        await delivery.ack()
        EXTRACTIONS.labels(provider, outcome).inc()
        logger.info("appended %s after %d deliveries", event.type, delivery.attempt)
        return outcome

    async def _append(self, event: OutcomeEvent, delivery: Delivery) -> None:
        """Append, riding out a short bus outage (the client reconnects within seconds)
        rather than redoing a finished, possibly paid-for extraction on a redelivery."""
        for attempt in range(1, self.retry.append_attempts + 1):
            try:
                await self.appender.append(
                    event, expected_invoice_sequence=delivery.stream_sequence
                )
                return
            except BusUnavailable:
                if attempt == self.retry.append_attempts:
                    raise
                await asyncio.sleep(self.retry.append_pause_seconds * attempt)

    async def _retry_later(
        self, delivery: Delivery, upload: InvoiceUploaded, error: ExtractionError, provider: str
    ) -> Outcome:
        attempt = delivery.attempt
        if attempt < self.retry.max_deliver:
            # A wait the failure asks for (OpenAI's Retry-After, an exhausted retry budget) is a
            # floor: coming back sooner would only fail again and spend a delivery.
            delay = max(self.retry.delay(attempt, self.uniform), error.retry_after_seconds or 0.0)
            logger.warning(
                "transient failure %s on delivery %d of %d; retrying in %.1f s",
                error.error_code,
                attempt,
                self.retry.max_deliver,
                delay,
            )
            NAKS.labels(error.error_code).inc()
            EXTRACTIONS.labels(provider, "retry").inc()
            await delivery.nak(delay)
            return "retry"

        return await self._give_up(delivery, upload, error, provider)

    async def _give_up(
        self, delivery: Delivery, upload: InvoiceUploaded, error: ExtractionError, provider: str
    ) -> Outcome:
        attempt = delivery.attempt
        logger.warning("giving up after %d deliveries; last failure %s", attempt, error.error_code)
        failed = _failed_event(upload, errors.retries_exhausted(attempt, error), attempt)
        try:
            await self._append(failed, delivery)
        except ConcurrentAppend:
            return await self._already_decided(delivery, provider)
        except BusUnavailable as exc:
            # The consumer delivers without limit, so the message comes back after the delay
            # and this delivery's successor writes the failure once the bus answers again.
            logger.error(
                "could not record the failure of the upload at stream sequence %d after %d "
                "deliveries (%s); it is retried later",
                delivery.stream_sequence,
                attempt,
                exc,
            )
            NAKS.labels(errors.bus_unavailable().error_code).inc()
            EXTRACTIONS.labels(provider, "retry").inc()
            await delivery.nak(self.retry.delay(attempt, self.uniform))
            return "retry"
        await delivery.ack()
        EXTRACTIONS.labels(provider, "failed").inc()
        logger.info("appended %s after %d deliveries", failed.type, attempt)
        return "failed"

    async def _already_decided(self, delivery: Delivery, provider: str) -> Outcome:
        logger.info(
            "the invoice already has an outcome (an earlier delivery appended it); acknowledging"
        )
        await delivery.ack()
        EXTRACTIONS.labels(provider, "already_decided").inc()
        return "already_decided"

    async def _poison(self, delivery: Delivery, why: str) -> Outcome:
        logger.error(
            "terminating the message at stream sequence %d: %s", delivery.stream_sequence, why
        )
        POISON_MESSAGES.inc()
        await delivery.term()
        return "poison"


def _failed_event(
    upload: InvoiceUploaded, error: ExtractionError, attempts: int
) -> InvoiceExtractionFailed:
    return InvoiceExtractionFailed(
        source=SOURCE,
        subject=upload.subject,
        userid=upload.userid,
        traceparent=upload.traceparent,
        data=InvoiceExtractionFailedData(
            invoice_id=upload.data.invoice_id,
            user_id=upload.data.user_id,
            error_code=error.error_code,
            reason=error.reason,
            attempts=max(attempts, 1),
        ),
    )
