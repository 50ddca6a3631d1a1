"""A JetStream message as the handler's Delivery."""

from __future__ import annotations

from faststream.nats.message import NatsMessage


class NatsDelivery:
    def __init__(self, message: NatsMessage) -> None:
        self.message = message
        self._metadata = message.raw_message.metadata

    @property
    def body(self) -> bytes:
        return self.message.raw_message.data

    @property
    def stream_sequence(self) -> int:
        return int(self._metadata.sequence.stream)

    @property
    def attempt(self) -> int:
        return int(self._metadata.num_delivered)

    async def ack(self) -> None:
        await self.message.ack()

    async def nak(self, delay_seconds: float) -> None:
        await self.message.nack(delay=delay_seconds)

    async def term(self) -> None:
        await self.message.reject()

    async def in_progress(self) -> None:
        await self.message.in_progress()
