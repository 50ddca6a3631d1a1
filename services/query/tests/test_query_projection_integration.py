"""The projection against a real PostgreSQL and a real NATS JetStream."""

import asyncio
import uuid

import pytest
from invoice_contracts.events import STREAM_NAME
from invoice_query.adapters.bus import projection_lag
from invoice_query.adapters.database import SqlReadModel
from invoice_query.adapters.tables import applied_events, dead_letters
from invoice_query.handlers.projection import DeliveredEvent, Outcome, Projector
from query_testkit import MemoryReadModel, eventually, extracted, extraction_failed, uploaded
from sqlalchemy import func, select, text

pytestmark = pytest.mark.infra


def delivered(event, sequence):
    return DeliveredEvent(event.model_dump_json().encode(), event.nats_subject, sequence)


async def test_an_upload_becomes_a_processing_invoice(query_service):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = uploaded(invoice_id, user_id, file_name="march.pdf")

    [sequence] = await query_service.append(event)
    await query_service.wait_applied(event)

    row = await query_service.row(invoice_id)
    assert row["status"] == "processing"
    assert row["user_id"] == user_id
    assert row["file_name"] == "march.pdf"
    assert row["sha256"] == event.data.sha256
    assert row["size_bytes"] == 1234
    assert row["uploaded_at"] == event.time
    assert row["last_event_sequence"] == sequence


async def test_an_extraction_fills_the_summary_and_the_detail(query_service):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    events = [
        uploaded(invoice_id, user_id),
        extracted(invoice_id, user_id, vendor="Acme", invoice_number="A-1", total="1234.5678"),
    ]

    await query_service.append(*events)
    await query_service.wait_applied(*events)

    row = await query_service.row(invoice_id)
    assert (row["status"], row["vendor_name"], row["invoice_number"]) == (
        "extracted",
        "Acme",
        "A-1",
    )
    assert str(row["total"]) == "1234.5678"
    assert row["extraction"]["data"]["total"] == "1234.5678"
    detail = (await query_service.get(f"/invoices/{invoice_id}", user_id)).json()
    assert detail["status"] == "extracted"
    assert detail["extraction"]["data"]["vendor"]["name"] == "Acme"
    assert detail["extraction"]["data"]["total"] == "1234.5678"
    assert detail["extraction"]["data"]["subtotal"] == "100.00"
    assert detail["updated_at"] == events[1].time.isoformat().replace("+00:00", "Z")


async def test_the_same_event_delivered_twice_changes_the_invoice_once(query_service):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    upload, extraction = uploaded(invoice_id, user_id), extracted(invoice_id, user_id)
    await query_service.append(upload, extraction)
    await query_service.wait_applied(extraction)
    before = await query_service.row(invoice_id)

    # Published again without a message id, as a retrying publisher past the duplicate
    # window would: the stream now holds the event twice.
    again = await query_service.publish_raw(
        extraction.model_dump_json().encode(), extraction.nats_subject
    )
    await query_service.acked_through(again)

    assert await query_service.row(invoice_id) == before
    async with query_service.service.engine.connect() as connection:
        claims = (
            await connection.execute(
                select(applied_events.c.stream_sequence).where(
                    applied_events.c.event_id == extraction.id
                )
            )
        ).all()
    assert len(claims) == 1
    assert claims[0].stream_sequence < again


async def test_a_failure_shows_in_the_detail(query_service):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    events = [uploaded(invoice_id, user_id), extraction_failed(invoice_id, user_id, attempts=2)]

    await query_service.append(*events)
    await query_service.wait_applied(*events)

    detail = (await query_service.get(f"/invoices/{invoice_id}", user_id)).json()
    assert detail["status"] == "failed"
    assert detail["extraction"] is None
    assert detail["failure"] == {
        "code": "unreadable_file",
        "reason": "The file has no readable text; upload a clearer scan.",
        "attempts": 2,
    }


async def test_a_poison_message_is_a_dead_letter_and_the_projection_goes_on(query_service):
    poison_subject = f"invoices.{uuid.uuid4()}.uploaded"
    poison = await query_service.publish_raw(b'{"type": "invoice.uploaded", "oops', poison_subject)
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    after = uploaded(invoice_id, user_id)
    await query_service.append(after)

    await query_service.wait_applied(after)

    async with query_service.service.engine.connect() as connection:
        letter = (
            (
                await connection.execute(
                    select(dead_letters).where(dead_letters.c.stream_sequence == poison)
                )
            )
            .mappings()
            .one()
        )
    assert letter["subject"] == poison_subject
    assert letter["raw"] == b'{"type": "invoice.uploaded", "oops'
    assert "not an invoice event" in letter["error"]
    metrics = (await query_service.client.get("/metrics")).text
    assert "query_dead_letters_total" in metrics


async def test_an_event_is_retried_until_the_database_takes_it(query_service):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = uploaded(invoice_id, user_id)
    engine = query_service.service.engine
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE invoices RENAME TO invoices_away"))

    await query_service.append(event)
    js = query_service.bus.config.connection_state.stream

    async def redelivered() -> bool:
        # The projection replays the whole stream: whichever event it is at is being retried.
        info = await js.consumer_info(STREAM_NAME, query_service.settings.durable)
        return (info.num_redelivered or 0) > 0

    await eventually(redelivered)
    assert not await query_service.is_applied(event.id)
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE invoices_away RENAME TO invoices"))

    await query_service.wait_applied(event)
    assert (await query_service.row(invoice_id))["status"] == "processing"


async def test_readiness_and_lag_are_reported(query_service):
    event = uploaded(uuid.uuid4(), uuid.uuid4())
    [sequence] = await query_service.append(event)
    await query_service.acked_through(sequence)

    ready = await query_service.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}
    assert await eventually(lambda: _lag_is_zero(query_service.service), within=10)
    # A projection that has applied nothing lags by the whole stream.
    assert await projection_lag(query_service.bus, "query-never-started") >= sequence
    metrics = (await query_service.client.get("/metrics")).text
    assert "query_projection_lag_events 0.0" in metrics
    assert 'query_events_projected_total{outcome="applied",type="invoice.uploaded"}' in metrics


async def _lag_is_zero(service) -> bool:
    return await service.measure_lag() == 0


async def test_events_out_of_order_end_in_the_right_state(database_engine):
    projector = Projector(SqlReadModel(database_engine))
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    upload, extraction = (
        uploaded(invoice_id, user_id, file_name="late.pdf"),
        extracted(invoice_id, user_id),
    )

    assert await projector.project(delivered(extraction, 11)) is Outcome.APPLIED
    assert await projector.project(delivered(upload, 10)) is Outcome.APPLIED

    record = await SqlReadModel(database_engine).get_invoice(user_id, invoice_id)
    assert record.status == "extracted"
    assert record.file_name == "late.pdf"
    assert record.uploaded_at == upload.time
    assert record.updated_at == extraction.time
    assert record.last_event_sequence == 11


async def test_a_redelivery_changes_nothing_in_the_database(database_engine):
    read_model = SqlReadModel(database_engine)
    projector = Projector(read_model)
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    await projector.project(delivered(uploaded(invoice_id, user_id), 1))
    extraction = extracted(invoice_id, user_id)
    await projector.project(delivered(extraction, 2))
    before = await read_model.get_invoice(user_id, invoice_id)

    assert await projector.project(delivered(extraction, 2)) is Outcome.DUPLICATE

    assert await read_model.get_invoice(user_id, invoice_id) == before
    async with database_engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(applied_events))
    assert count == 2


async def test_a_replay_racing_the_live_projection_gives_the_same_invoice(database_engine):
    read_model = SqlReadModel(database_engine)
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    events = [
        (uploaded(invoice_id, user_id), 1),
        (extracted(invoice_id, user_id), 2),
        (extraction_failed(invoice_id, user_id), 3),
    ]
    live, replay = Projector(read_model), Projector(read_model)

    await asyncio.gather(
        *(live.project(delivered(e, s)) for e, s in events),
        *(replay.project(delivered(e, s)) for e, s in reversed(events)),
    )

    expected = MemoryReadModel()
    for event, sequence in events:
        await Projector(expected).project(delivered(event, sequence))
    assert await read_model.get_invoice(user_id, invoice_id) == expected.records[invoice_id]


async def test_data_the_database_refuses_becomes_a_dead_letter(database_engine):
    read_model = SqlReadModel(database_engine)
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    # PostgreSQL text cannot hold NUL: the event can never be stored as it is.
    event = uploaded(invoice_id, user_id, file_name="bad\x00name.pdf")

    assert await Projector(read_model).project(delivered(event, 5)) is Outcome.DEAD_LETTERED

    async with database_engine.connect() as connection:
        letter = (await connection.execute(select(dead_letters))).mappings().one()
        claimed = await connection.scalar(select(func.count()).select_from(applied_events))
    assert letter["stream_sequence"] == 5
    assert "SQLSTATE 22" in letter["error"]
    assert claimed == 0
    await eventually(lambda: _nothing_for(read_model, user_id, invoice_id))


async def _nothing_for(read_model, user_id, invoice_id) -> bool:
    return await read_model.get_invoice(user_id, invoice_id) is None
