import uuid

import pytest
from invoice_query.handlers.ports import ReadModelUnavailable
from invoice_query.handlers.projection import DeliveredEvent, Outcome, Projector
from invoice_query.metrics import DEAD_LETTERS, EVENTS_PROJECTED
from query_testkit import MemoryReadModel, extracted, uploaded


def delivered(event, sequence: int) -> DeliveredEvent:
    return DeliveredEvent(
        raw=event.model_dump_json().encode(), subject=event.nats_subject, stream_sequence=sequence
    )


@pytest.fixture
def read_model() -> MemoryReadModel:
    return MemoryReadModel()


@pytest.fixture
def projector(read_model: MemoryReadModel) -> Projector:
    return Projector(read_model)


async def test_an_event_is_applied_and_remembered(projector, read_model):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    event = uploaded(invoice_id, user_id)
    before = EVENTS_PROJECTED.labels("invoice.uploaded", "applied")._value.get()

    outcome = await projector.project(delivered(event, 5))

    assert outcome is Outcome.APPLIED
    assert read_model.records[invoice_id].status == "processing"
    assert read_model.applied[event.id] == (5, invoice_id, "invoice.uploaded")
    assert EVENTS_PROJECTED.labels("invoice.uploaded", "applied")._value.get() == before + 1


async def test_a_redelivered_event_changes_nothing(projector, read_model):
    invoice_id, user_id = uuid.uuid4(), uuid.uuid4()
    await projector.project(delivered(uploaded(invoice_id, user_id), 1))
    event = extracted(invoice_id, user_id)
    await projector.project(delivered(event, 2))
    after_first = read_model.records[invoice_id]

    outcome = await projector.project(delivered(event, 2))

    assert outcome is Outcome.DUPLICATE
    assert read_model.records[invoice_id] == after_first


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"{}", b'{"type": "invoice.archived"}', b"\xff" * 70_000],
)
async def test_an_undecodable_event_becomes_a_dead_letter(projector, read_model, raw):
    before = DEAD_LETTERS._value.get()

    outcome = await projector.project(DeliveredEvent(raw, "invoices.x.uploaded", 41))

    assert outcome is Outcome.DEAD_LETTERED
    letter = read_model.dead_letters[41]
    assert letter.subject == "invoices.x.uploaded"
    assert letter.raw == raw[: 64 * 1024]
    assert letter.raw_size == len(raw)
    assert letter.error
    assert read_model.records == {}
    assert DEAD_LETTERS._value.get() == before + 1


async def test_an_event_on_the_wrong_subject_is_a_dead_letter(projector, read_model):
    event = uploaded(uuid.uuid4(), uuid.uuid4())
    wrong = DeliveredEvent(event.model_dump_json().encode(), f"invoices.{uuid.uuid4()}.uploaded", 3)

    assert await projector.project(wrong) is Outcome.DEAD_LETTERED
    assert "does not belong on subject" in read_model.dead_letters[3].error


async def test_an_event_naming_another_owner_is_a_dead_letter(projector, read_model):
    invoice_id = uuid.uuid4()
    await projector.project(delivered(uploaded(invoice_id, uuid.uuid4()), 1))
    intruder = extracted(invoice_id, uuid.uuid4())

    outcome = await projector.project(delivered(intruder, 2))

    assert outcome is Outcome.DEAD_LETTERED
    assert read_model.records[invoice_id].status == "processing"
    assert intruder.id not in read_model.applied


async def test_data_the_database_refuses_is_a_dead_letter(projector, read_model):
    read_model.refuse_data = True
    event = uploaded(uuid.uuid4(), uuid.uuid4())

    assert await projector.project(delivered(event, 8)) is Outcome.DEAD_LETTERED
    assert "SQLSTATE 22021" in read_model.dead_letters[8].error
    assert event.id not in read_model.applied


async def test_an_unavailable_database_is_raised_so_the_event_is_retried(projector, read_model):
    read_model.unavailable = True
    event = uploaded(uuid.uuid4(), uuid.uuid4())

    with pytest.raises(ReadModelUnavailable):
        await projector.project(delivered(event, 1))
    with pytest.raises(ReadModelUnavailable):
        await projector.project(DeliveredEvent(b"garbage", "invoices.x.uploaded", 2))

    read_model.unavailable = False
    assert await projector.project(delivered(event, 1)) is Outcome.APPLIED
