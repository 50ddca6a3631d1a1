"""The per-key client cache: reuse, bounded size, and closing only idle clients."""

from __future__ import annotations

from invoice_extractor.adapters.openai_provider import OpenAIClients


class FakeClient:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.closed = False

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


async def test_closing_the_cache_closes_every_client() -> None:
    clients, created = cache(capacity=4)
    for key in ("sk-a", "sk-b"):
        async with clients.lease(key):
            pass

    await clients.close()

    assert all(client.closed for client in created)
    assert len(clients) == 0
