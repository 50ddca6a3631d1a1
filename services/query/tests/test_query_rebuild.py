"""A read model rebuilt from the stream equals the one the live projection built."""

import asyncio
import os
import sys
import uuid
from typing import Any

import pytest
from invoice_query.adapters.tables import applied_events, dead_letters, invoices
from query_testkit import eventually, extracted, extraction_failed, uploaded
from sqlalchemy import select, text

pytestmark = pytest.mark.infra


async def snapshot(engine, invoice_ids: list[uuid.UUID], poison: int) -> dict[str, Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(invoices)
            .where(invoices.c.invoice_id.in_(invoice_ids))
            .order_by(invoices.c.invoice_id)
        )
        claims = await connection.execute(
            select(applied_events)
            .where(applied_events.c.invoice_id.in_(invoice_ids))
            .order_by(applied_events.c.stream_sequence)
        )
        letters = await connection.execute(
            select(
                dead_letters.c.stream_sequence, dead_letters.c.subject, dead_letters.c.raw
            ).where(dead_letters.c.stream_sequence == poison)
        )
        return {
            "invoices": [dict(row) for row in rows.mappings()],
            "applied_events": [dict(row) for row in claims.mappings()],
            "dead_letters": [dict(row) for row in letters.mappings()],
        }


async def run_command(*arguments: str, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invoice_query",
        *arguments,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode(errors="replace")


async def test_rebuild_gives_the_same_read_model_as_live_projection(query_service):
    alice, bob = uuid.uuid4(), uuid.uuid4()
    done, failed, waiting, both = (uuid.uuid4() for _ in range(4))
    events = [
        uploaded(done, alice, file_name="done.pdf"),
        uploaded(failed, alice),
        extracted(done, alice, total="88.10"),
        uploaded(waiting, bob),
        extraction_failed(failed, alice),
        uploaded(both, bob),
        extracted(both, bob, vendor="Twice"),
        extraction_failed(both, bob, code="provider_error", attempts=5),
    ]
    invoice_ids = [done, failed, waiting, both]
    await query_service.append(*events)
    redelivery = events[2]
    await query_service.publish_raw(redelivery.model_dump_json().encode(), redelivery.nats_subject)
    poison = await query_service.publish_raw(b"\x00\x01 not an event", f"invoices.{done}.uploaded")
    last = await query_service.append(uploaded(uuid.uuid4(), alice))
    await query_service.acked_through(last[0])
    engine = query_service.service.engine
    live = await snapshot(engine, invoice_ids, poison)
    assert len(live["invoices"]) == 4 and len(live["applied_events"]) == len(events)
    assert len(live["dead_letters"]) == 1

    # Damage the read model: only a real replay from the stream can repair it.
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE invoices SET vendor_name = 'tampered', status = 'processing'")
        )
        await connection.execute(text("DELETE FROM dead_letters"))
    assert await snapshot(engine, invoice_ids, poison) != live

    settings = query_service.settings
    await run_command(
        "rebuild",
        env={
            "QUERY_DATABASE_URL": settings.database_url,
            "NATS_URL": settings.nats_url,
            "QUERY_DURABLE": settings.durable,
            "APP_ENV": "test",
        },
    )

    async def rebuilt() -> bool:
        return await snapshot(engine, invoice_ids, poison) == live

    await eventually(rebuilt, within=30)
    detail = await query_service.get(f"/invoices/{done}", alice)
    assert detail.json()["extraction"]["data"]["total"] == "88.10"
