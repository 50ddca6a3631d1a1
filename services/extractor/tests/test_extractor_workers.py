"""Lease renewal and the bounded worker pool that runs extractions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from extractor_fakes import FakeDelivery
from invoice_extractor.entrypoints.consumer import ExtractionWorkers
from invoice_extractor.handlers.lease import lease_kept
from invoice_extractor.handlers.ports import Delivery


async def wait_until(condition: Callable[[], bool], within_seconds: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_seconds
    for _ in iter(condition, True):
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_the_lease_is_renewed_while_work_runs_and_not_after() -> None:
    delivery = FakeDelivery(b"{}")

    async with lease_kept(delivery, interval_seconds=0.02):
        await wait_until(lambda: delivery.progress_reports >= 3)
    reports_when_done = delivery.progress_reports
    await asyncio.sleep(0.1)

    assert delivery.progress_reports == reports_when_done


async def test_a_failing_renewal_does_not_end_the_work() -> None:
    class FlakyDelivery(FakeDelivery):
        async def in_progress(self) -> None:
            self.progress_reports += 1
            raise ConnectionError("reconnecting")

    delivery = FlakyDelivery(b"{}")

    async with lease_kept(delivery, interval_seconds=0.01):
        await wait_until(lambda: delivery.progress_reports >= 3)


class BlockingHandler:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0
        self.most_at_once = 0
        self.handled: list[Delivery] = []

    async def __call__(self, delivery: Delivery) -> None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await self.release.wait()
            await delivery.ack()
            self.handled.append(delivery)
        finally:
            self.running -= 1


async def test_no_more_than_the_concurrency_run_at_once() -> None:
    handler = BlockingHandler()
    workers = ExtractionWorkers(handler, concurrency=2, lease_interval_seconds=0.02)
    deliveries = [FakeDelivery(b"{}", stream_sequence=n) for n in range(3)]

    await workers.dispatch(deliveries[0])
    await workers.dispatch(deliveries[1])
    third = asyncio.create_task(workers.dispatch(deliveries[2]))
    await wait_until(lambda: deliveries[2].progress_reports >= 2)

    assert not third.done(), "the third delivery was taken while both workers were busy"
    assert handler.running == 2
    handler.release.set()
    await third
    await wait_until(lambda: len(handler.handled) == 3)
    assert handler.most_at_once == 2
    assert all(d.settlement == ("ack", None) for d in deliveries)


async def test_closing_hands_unfinished_deliveries_back() -> None:
    handler = BlockingHandler()
    workers = ExtractionWorkers(handler, concurrency=1, lease_interval_seconds=1.0)
    running, waiting = FakeDelivery(b"{}"), FakeDelivery(b"{}")
    await workers.dispatch(running)
    queued = asyncio.create_task(workers.dispatch(waiting))
    await asyncio.sleep(0)

    await workers.close(grace_seconds=0.05)

    assert running.settlement == ("nak", 0)
    assert waiting.settlement == ("nak", 0)
    assert workers.busy == 0
    await queued


async def test_closing_waits_for_extractions_that_finish_within_the_grace_period() -> None:
    handler = BlockingHandler()
    workers = ExtractionWorkers(handler, concurrency=1, lease_interval_seconds=1.0)
    delivery = FakeDelivery(b"{}")
    await workers.dispatch(delivery)

    closing = asyncio.create_task(workers.close(grace_seconds=5.0))
    handler.release.set()
    await closing

    assert delivery.settlement == ("ack", None)
