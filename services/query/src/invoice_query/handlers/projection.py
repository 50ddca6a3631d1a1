"""Projecting one delivered event into the read model.

The bus consumer calls ``Projector.project`` for each message and acknowledges it only after
this returns, that is after the database transaction has committed. An event that can never be
applied (not decodable, or refused for its content) is kept as a dead letter and reported as
handled, so that one bad message does not stop the projection; anything else that goes wrong
raises ReadModelUnavailable and the consumer asks for the event again later.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass

from invoice_contracts.events import parse_event
from invoice_platform.logs import log_context
from invoice_platform.tracing import context_from_traceparent
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from invoice_query.domain.projection import ForeignInvoiceEvent, InvoiceEvent, apply_event
from invoice_query.handlers.ports import (
    DEAD_LETTER_MAX_BYTES,
    DeadLetter,
    EventRejected,
    ReadModelStore,
)
from invoice_query.metrics import DEAD_LETTERS, EVENTS_PROJECTED

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

MAX_ERROR_LENGTH = 2000


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class DeliveredEvent:
    """A message as the bus handed it over: its bytes and where it sits in the stream."""

    raw: bytes
    subject: str
    stream_sequence: int


class UndecodableEvent(ValueError):
    """The message is not an invoice event this service understands."""


def decode_event(raw: bytes, subject: str) -> InvoiceEvent:
    """The event in ``raw``, checked against the subject it was found on."""
    try:
        event = parse_event(raw)
    except (ValidationError, ValueError) as exc:
        raise UndecodableEvent(f"not an invoice event: {exc}") from exc
    try:
        invoice_id = uuid.UUID(event.subject)
        user_id = uuid.UUID(event.userid)
    except ValueError as exc:
        raise UndecodableEvent("the envelope's subject or userid is not a UUID") from exc
    if invoice_id != event.data.invoice_id or user_id != event.data.user_id:
        raise UndecodableEvent("the envelope and the data name different invoices or users")
    if subject != event.nats_subject:
        raise UndecodableEvent(f"a {event.type} event does not belong on subject {subject}")
    return event


def _printable(text: str) -> str:
    # PostgreSQL text cannot hold NUL characters; an error message must not be refused.
    return text.replace("\x00", "\\x00")[:MAX_ERROR_LENGTH]


class Projector:
    def __init__(self, store: ReadModelStore) -> None:
        self.store = store

    async def project(self, delivered: DeliveredEvent) -> Outcome:
        """Apply the event once; raises ReadModelUnavailable when it should be retried."""
        try:
            event = decode_event(delivered.raw, delivered.subject)
        except UndecodableEvent as exc:
            return await self._dead_letter(delivered, str(exc))

        with (
            log_context(
                invoice_id=event.subject,
                user_id=event.userid,
                event_id=event.id,
                stream_sequence=delivered.stream_sequence,
            ),
            tracer.start_as_current_span(
                f"project {event.type}",
                context=_parent(event.traceparent),
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": delivered.subject,
                    "messaging.message.id": event.id,
                    "invoice.id": event.subject,
                },
            ),
        ):
            try:
                outcome = await self._apply(event, delivered.stream_sequence)
            except (ForeignInvoiceEvent, EventRejected) as exc:
                return await self._dead_letter(delivered, str(exc))
            EVENTS_PROJECTED.labels(event.type, outcome.value).inc()
            if outcome is Outcome.DUPLICATE:
                logger.info(
                    "%s at stream sequence %d was applied before; nothing to do",
                    event.type,
                    delivered.stream_sequence,
                )
            else:
                logger.debug(
                    "applied %s at stream sequence %d", event.type, delivered.stream_sequence
                )
            return outcome

    async def _apply(self, event: InvoiceEvent, sequence: int) -> Outcome:
        async with self.store.transaction() as tx:
            # Claiming the event id and changing the record commit together: after a crash
            # either both happened or neither did, so a redelivery is recognised exactly.
            if not await tx.claim(event.id, sequence, event.data.invoice_id, event.type):
                return Outcome.DUPLICATE
            current = await tx.load(event.data.invoice_id)
            await tx.save(apply_event(current, event, sequence))
        return Outcome.APPLIED

    async def _dead_letter(self, delivered: DeliveredEvent, error: str) -> Outcome:
        logger.error(
            "dead letter at stream sequence %d on %s: %s",
            delivered.stream_sequence,
            delivered.subject,
            error,
        )
        await self.store.record_dead_letter(
            DeadLetter(
                stream_sequence=delivered.stream_sequence,
                subject=_printable(delivered.subject),
                error=_printable(error),
                raw=delivered.raw[:DEAD_LETTER_MAX_BYTES],
                raw_size=len(delivered.raw),
            )
        )
        DEAD_LETTERS.inc()
        return Outcome.DEAD_LETTERED


def _parent(traceparent: str | None) -> Context | None:
    if not traceparent:
        return None
    context = context_from_traceparent(traceparent)
    return context if isinstance(context, Context) else None
