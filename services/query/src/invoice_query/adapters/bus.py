"""The projection's JetStream consumer: its configuration, its reset for a replay, its lag."""

from __future__ import annotations

import logging

import nats.errors
import nats.js.errors
from faststream.nats import NatsBroker
from invoice_contracts.events import ALL_INVOICE_SUBJECTS, STREAM_NAME
from invoice_platform.bus import BusUnavailable
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

logger = logging.getLogger(__name__)


def projection_consumer_config(durable: str, ack_wait_seconds: float) -> ConsumerConfig:
    """The durable consumer that feeds the projection, from the first event of the stream.

    max_ack_pending=1 keeps the projection in stream order even while an event is retried: the
    server hands out nothing else until that one is acknowledged, so the events of one invoice
    (and of all invoices) are applied in the order they were appended. max_deliver=-1 because
    an event must never be given up on; undecodable ones are acknowledged as dead letters.
    """
    return ConsumerConfig(
        name=durable,
        durable_name=durable,
        description="invoice-query projection of all invoice events",
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait_seconds,
        max_ack_pending=1,
        max_deliver=-1,
        filter_subject=ALL_INVOICE_SUBJECTS,
    )


async def reset_projection_consumer(
    broker: NatsBroker, durable: str, ack_wait_seconds: float
) -> None:
    """Delete the durable consumer and create it anew, delivering from sequence 1.

    A projector that is running keeps fetching from the consumer by name, so it picks up the
    new one without a restart.
    """
    js = broker.config.connection_state.stream
    try:
        await js.delete_consumer(STREAM_NAME, durable)
        logger.info("deleted consumer %s of stream %s", durable, STREAM_NAME)
    except nats.js.errors.NotFoundError:
        logger.info("consumer %s did not exist", durable)
    except (nats.errors.Error, TimeoutError) as exc:
        raise BusUnavailable(f"could not delete consumer {durable}: {exc!r}") from exc
    try:
        await js.add_consumer(STREAM_NAME, projection_consumer_config(durable, ack_wait_seconds))
    except (nats.errors.Error, TimeoutError) as exc:
        raise BusUnavailable(f"could not create consumer {durable}: {exc!r}") from exc
    logger.info("consumer %s will deliver stream %s from sequence 1", durable, STREAM_NAME)


async def projection_lag(broker: NatsBroker, durable: str) -> int:
    """The stream's last sequence minus the last one the projection applied.

    The consumer's acknowledgement floor is the last applied sequence: events are acknowledged
    only after their transaction commits, strictly in order, and the consumer sees the whole
    stream. After a reset it starts again from 0, so a replay shows as lag.
    """
    js = broker.config.connection_state.stream
    try:
        stream = await js.stream_info(STREAM_NAME)
        try:
            consumer = await js.consumer_info(STREAM_NAME, durable)
            applied = consumer.ack_floor.stream_seq if consumer.ack_floor else 0
        except nats.js.errors.NotFoundError:
            applied = 0
    except (nats.errors.Error, TimeoutError) as exc:
        raise BusUnavailable(f"cannot measure the lag of {durable}: {exc!r}") from exc
    return max(0, int(stream.state.last_seq) - int(applied or 0))
