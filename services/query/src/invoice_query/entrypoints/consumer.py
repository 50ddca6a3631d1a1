"""The projection's bus consumer: every invoice event, one at a time, in stream order.

A pull subscription fetching one message at a time, on a consumer with max_ack_pending=1
(adapters/bus.py), so a message is fully applied and acknowledged before the next is even
handed out, and an event being retried holds back those after it. Acknowledgement is manual:
FastStream's default policy would terminate a message whose handler raised, which would lose
the event for this projection.
"""

from __future__ import annotations

import logging
from typing import Any

from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from faststream.nats.message import NatsMessage as ReceivedMessage
from faststream.nats.subscriber.usecases import LogicSubscriber
from invoice_contracts.events import ALL_INVOICE_SUBJECTS, STREAM_NAME

from invoice_query.adapters.bus import projection_consumer_config
from invoice_query.handlers.ports import ReadModelUnavailable
from invoice_query.handlers.projection import DeliveredEvent, Projector

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 5.0


async def _raw_body(message: ReceivedMessage) -> bytes:
    # The projector decodes events itself: a message that is not JSON must reach it (to
    # become a dead letter) instead of failing in FastStream's decoder, unacknowledged.
    return bytes(message.body)


def register_projection_consumer(
    broker: NatsBroker,
    projector: Projector,
    *,
    durable: str,
    ack_wait_seconds: float,
    retry_delay_seconds: float,
) -> LogicSubscriber[Any]:
    subscriber = broker.subscriber(
        ALL_INVOICE_SUBJECTS,
        stream=JStream(STREAM_NAME, declare=False),
        durable=durable,
        config=projection_consumer_config(durable, ack_wait_seconds),
        pull_sub=PullSub(batch_size=1, timeout=FETCH_TIMEOUT_SECONDS),
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_body,
        title="invoice-query projection",
        description="Every invoice event, projected into the query read model",
    )

    async def project_invoice_event(message: NatsMessage) -> None:
        raw = message.raw_message
        sequence = int(raw.metadata.sequence.stream)
        delivered = DeliveredEvent(
            raw=bytes(raw.data), subject=raw.subject, stream_sequence=sequence
        )
        try:
            await projector.project(delivered)
        except ReadModelUnavailable as exc:
            logger.warning(
                "event at stream sequence %d not projected, retrying in %g s: %s",
                sequence,
                retry_delay_seconds,
                exc,
            )
            await message.nack(delay=retry_delay_seconds)
            return
        except Exception:
            # An unforeseen failure is retried too: skipping the event would leave the read
            # model wrong for good, a stalled projection shows in the lag gauge.
            logger.exception(
                "event at stream sequence %d not projected, retrying in %g s",
                sequence,
                retry_delay_seconds,
            )
            await message.nack(delay=retry_delay_seconds)
            return
        await message.ack()

    subscriber(project_invoice_event)
    return subscriber
