"""The invoice event stream on NATS JetStream: creating it and appending events to it.

Appends are de-duplicated by message id (the event id) within the stream's duplicate window,
and guarded by JetStream's expected-last-sequence check over all subjects of one invoice, so
two writers of the same invoice cannot interleave: the second is rejected, not appended.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import nats.errors
import nats.js.errors
from faststream.nats import NatsBroker
from invoice_contracts.events import (
    ALL_INVOICE_SUBJECTS,
    STREAM_NAME,
    InvoiceExtracted,
    InvoiceExtractionFailed,
    InvoiceUploaded,
    invoice_subjects,
)
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

logger = logging.getLogger(__name__)

InvoiceEventModel = InvoiceUploaded | InvoiceExtracted | InvoiceExtractionFailed
WRONG_LAST_SEQUENCE = 10071
DUPLICATE_WINDOW_SECONDS = 15 * 60


class BusUnavailable(Exception):
    """JetStream did not take the event: not connected, no answer, or the stream is missing."""


class ConcurrentAppend(Exception):
    """Another event of this invoice was appended first; this append was rejected."""


@dataclass(frozen=True)
class Appended:
    stream_sequence: int
    duplicate: bool


def invoice_stream_config(replicas: int = 1) -> StreamConfig:
    # The stream is the system of record, so it keeps everything (limits retention, no age
    # limit) on disk; read models are rebuilt from it.
    return StreamConfig(
        name=STREAM_NAME,
        subjects=[ALL_INVOICE_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        allow_direct=True,
    )


async def ensure_invoice_stream(broker: NatsBroker, replicas: int = 1) -> None:
    """Create the stream, or bring its configuration up to date. Safe from any service."""
    js = broker.config.connection_state.stream
    config = invoice_stream_config(replicas)
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)
    except (nats.errors.Error, TimeoutError) as exc:
        raise BusUnavailable(f"cannot create stream {STREAM_NAME}: {exc}") from exc


class EventAppender:
    def __init__(self, broker: NatsBroker, timeout: float = 5.0) -> None:
        self.broker = broker
        self.timeout = timeout

    async def append(
        self, event: InvoiceEventModel, *, expected_invoice_sequence: int | None = None
    ) -> Appended:
        """Append one event. ``expected_invoice_sequence`` is the stream sequence of the last
        event of this invoice the writer has seen (0 for a new invoice); the append is rejected
        with ConcurrentAppend if anything else was appended for the invoice since."""
        headers = {"Nats-Msg-Id": event.id, "Ce-Type": event.type, "Ce-Id": event.id}
        if event.traceparent:
            headers["traceparent"] = event.traceparent
        if expected_invoice_sequence is not None:
            headers["Nats-Expected-Last-Subject-Sequence"] = str(expected_invoice_sequence)
            headers["Nats-Expected-Last-Subject-Sequence-Subject"] = invoice_subjects(event.subject)
        body = event.model_dump_json().encode()
        try:
            ack: Any = await self.broker.publish(
                body,
                event.nats_subject,
                headers=headers,
                stream=STREAM_NAME,
                timeout=self.timeout,
            )
        except nats.js.errors.BadRequestError as exc:
            if exc.err_code == WRONG_LAST_SEQUENCE:
                # JetStream checks the expected sequence before the duplicate window, so a
                # retried append of an event that did land is rejected too: look it up.
                earlier = await self._already_appended(event)
                if earlier is not None:
                    return Appended(stream_sequence=earlier, duplicate=True)
                raise ConcurrentAppend(
                    f"invoice {event.subject} has events this writer has not seen"
                ) from exc
            raise BusUnavailable(f"JetStream refused {event.type}: {exc.description}") from exc
        except (nats.errors.Error, TimeoutError) as exc:
            raise BusUnavailable(f"JetStream did not take {event.type}: {exc!r}") from exc
        return Appended(stream_sequence=ack.seq, duplicate=bool(ack.duplicate))

    async def _already_appended(self, event: InvoiceEventModel) -> int | None:
        js = self.broker.config.connection_state.stream
        try:
            last = await js.get_last_msg(STREAM_NAME, event.nats_subject)
        except nats.js.errors.NotFoundError:
            return None
        except (nats.errors.Error, TimeoutError) as exc:
            raise BusUnavailable(f"cannot read back {event.type}: {exc!r}") from exc
        if last.headers and last.headers.get("Nats-Msg-Id") == event.id:
            return int(last.seq)
        return None


def make_broker(nats_url: str, service: str, **kwargs: Any) -> NatsBroker:
    """A FastStream NATS broker that reconnects forever and names the service to the server."""
    return NatsBroker(
        nats_url,
        name=f"invoice-{service}",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        logger=logging.getLogger(f"invoice_{service}.bus"),
        **kwargs,
    )


async def ping_bus(broker: NatsBroker) -> None:
    """Readiness: connected, and the invoice stream answers."""
    js = broker.config.connection_state.stream
    try:
        await js.stream_info(STREAM_NAME)
    except (nats.errors.Error, TimeoutError) as exc:
        raise BusUnavailable(f"stream {STREAM_NAME} does not answer: {exc!r}") from exc
