"""The per-key client cache and slots: reuse, bounded size, and forgetting only idle keys."""

from __future__ import annotations

from types import SimpleNamespace

from invoice_extractor.adapters.key_slots import KeySlots
from invoice_extractor.adapters.openai_provider import OpenAIClients


class FakeClient:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.closed = False
        self.chat = SimpleNamespace(completions=SimpleNamespace())

    async def close(self) -> None:
        self.closed = True


def cache(capacity: int) -> tuple[OpenAIClients, list[FakeClient]]:
    created: list[FakeClient] = []

    def create(api_key: str) -> FakeClient:
        created.append(FakeClient(api_key))
        return created[-1]

    return OpenAIClients(create, capacity=capacity), created  # type: ignore[arg-type]


async def test_a_key_reuses_its_client() -> None:
    clients, created = cache(capacity=2)

    async with clients.lease("sk-a") as first:
        pass
    async with clients.lease("sk-a") as second:
        pass

    assert first is second
    assert len(created) == 1


async def test_the_least_recently_used_client_is_closed_beyond_capacity() -> None:
    clients, created = cache(capacity=2)

    for key in ("sk-a", "sk-b", "sk-a", "sk-c"):
        async with clients.lease(key):
            pass

    assert [c.api_key for c in created if c.closed] == ["sk-b"]
    assert len(clients) == 2


async def test_an_evicted_client_in_use_is_closed_only_when_released() -> None:
    clients, _ = cache(capacity=1)

    async with clients.lease("sk-a") as busy:
        async with clients.lease("sk-b"):
            pass
        assert not busy.closed  # type: ignore[attr-defined]

    assert busy.closed  # type: ignore[attr-defined]


async def test_warming_up_closes_its_throwaway_client_and_caches_none() -> None:
    clients, created = cache(capacity=2)

    await clients.warm_up()

    assert [client.closed for client in created] == [True]
    assert len(clients) == 0


async def test_closing_the_cache_closes_every_client() -> None:
    clients, created = cache(capacity=4)
    for key in ("sk-a", "sk-b"):
        async with clients.lease(key):
            pass

    await clients.close()

    assert all(client.closed for client in created)
    assert len(clients) == 0


async def test_slots_are_kept_for_a_bounded_number_of_idle_keys() -> None:
    slots = KeySlots(per_key=1, capacity=2)

    async with slots.slot("sk-in-use"):
        for api_key in ("sk-a", "sk-b", "sk-c"):
            async with slots.slot(api_key):
                pass
        # The key in use stays: forgetting it would let a second call of it start.
        assert len(slots) == 2

    async with slots.slot("sk-d"):
        pass
    assert len(slots) == 2


async def test_slots_remember_keys_by_hash_only() -> None:
    slots = KeySlots(per_key=1)

    async with slots.slot("sk-proj-a-secret-key"):
        remembered = repr(slots.__dict__)

    assert "sk-proj-a-secret-key" not in remembered
