"""The bus entrypoint: a JetStream pull consumer feeding a bounded set of extraction workers.

Several extractor processes bind the same durable consumer, so JetStream hands each upload to
one of them. Within a process, the subscriber fetches one message at a time and hands it to a
worker; it fetches the next only once a worker has taken the last, so no process holds more
messages than it can work on while others sit idle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import nats.errors
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from faststream.nats.subscriber.usecases import PullStreamSubscriber
from invoice_contracts.events import STREAM_NAME, kind_subjects
from invoice_platform.bus import BusUnavailable
from nats.js.api import AckPolicy as JetStreamAckPolicy

from invoice_extractor.adapters.nats_delivery import NatsDelivery
from invoice_extractor.handlers.lease import lease_kept
from invoice_extractor.handlers.ports import Delivery
from invoice_extractor.metrics import IN_FLIGHT

logger = logging.getLogger(__name__)

UPLOADED_SUBJECTS = kind_subjects("uploaded")
FETCH_TIMEOUT_SECONDS = 5.0


class ExtractionWorkers:
    """Runs up to `concurrency` deliveries at once, renewing each one's lease meanwhile."""

    def __init__(
        self,
        handle: Callable[[Delivery], Awaitable[object]],
        *,
        concurrency: int,
        lease_interval_seconds: float,
    ) -> None:
        self.handle = handle
        self.lease_interval_seconds = lease_interval_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def dispatch(self, delivery: Delivery) -> None:
        """Return once a worker has started on the delivery."""
        started = asyncio.Event()
        task = asyncio.create_task(self._work(delivery, started))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        waiting = asyncio.create_task(started.wait())
        try:
            await asyncio.wait([waiting, task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()

    async def _work(self, delivery: Delivery, started: asyncio.Event) -> None:
        # The lease starts before the wait for a free worker: the message is already ours.
        async with lease_kept(delivery, self.lease_interval_seconds):
            try:
                async with self._slots:
                    started.set()
                    IN_FLIGHT.inc()
                    try:
                        await self.handle(delivery)
                    finally:
                        IN_FLIGHT.dec()
            except asyncio.CancelledError:
                await _hand_back(delivery)
                raise
            except Exception:
                # The handler settles every delivery itself; reaching this means settling
                # failed too (the connection dropped), and JetStream redelivers after ack wait.
                logger.exception(
                    "could not settle the delivery at stream sequence %d",
                    delivery.stream_sequence,
                )

    async def close(self, grace_seconds: float) -> None:
        """Let running extractions finish for a while, then hand the rest back to JetStream."""
        if not self._tasks:
            return
        logger.info("waiting up to %.0f s for %d extractions", grace_seconds, len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)


async def _hand_back(delivery: Delivery) -> None:
    # Lets another extractor take the message now instead of after the ack wait.
    try:
        await asyncio.shield(delivery.nak(0))
    except Exception as exc:
        logger.info("could not hand back stream sequence %d: %r", delivery.stream_sequence, exc)


def consumer_config(
    *, durable: str, subject: str, ack_wait_seconds: float, max_deliver: int
) -> ConsumerConfig:
    return ConsumerConfig(
        name=durable,
        durable_name=durable,
        filter_subject=subject,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=JetStreamAckPolicy.EXPLICIT,
        ack_wait=ack_wait_seconds,
        max_deliver=max_deliver,
    )


async def declare_consumer(broker: NatsBroker, config: ConsumerConfig) -> None:
    """Create the durable consumer, or update it to this configuration (ack wait, deliveries).

    The subscriber would only create a missing consumer; declaring it here makes a changed
    EXTRACTOR_ACK_WAIT_SECONDS or EXTRACTOR_MAX_DELIVER take effect on restart.
    """
    js = broker.config.connection_state.stream
    try:
        await js.add_consumer(STREAM_NAME, config=config)
    except (nats.errors.Error, TimeoutError) as exc:
        raise BusUnavailable(f"cannot declare consumer {config.durable_name}: {exc!r}") from exc


def subscribe_uploads(
    broker: NatsBroker,
    workers: ExtractionWorkers,
    config: ConsumerConfig,
) -> PullStreamSubscriber:
    """Register the pull subscriber; it starts fetching when the broker starts."""
    assert config.durable_name and config.filter_subject
    subscriber = broker.subscriber(
        config.filter_subject,
        stream=JStream(STREAM_NAME, declare=False),
        durable=config.durable_name,
        config=config,
        pull_sub=PullSub(batch_size=1, timeout=FETCH_TIMEOUT_SECONDS),
        # FastStream's default would terminate a message whose handler raised, so it would
        # never be redelivered; every delivery is settled explicitly by the handler instead.
        ack_policy=AckPolicy.MANUAL,
        title="extractor",
        description="Extracts each uploaded invoice and appends the outcome",
    )

    @subscriber
    async def on_invoice_uploaded(message: NatsMessage) -> None:
        await workers.dispatch(NatsDelivery(message))

    return subscriber
