"""One suite, run against the in-memory fake and the PostgreSQL read model alike, so that the
fake the unit tests rely on keeps the real one's rules."""

import uuid
from datetime import timedelta

import pytest
from invoice_query.adapters.database import SqlReadModel
from invoice_query.domain.cursor import Cursor
from invoice_query.domain.listing import InvoiceListing, range_end, range_start
from invoice_query.handlers.projection import DeliveredEvent, Projector
from query_testkit import BASE_TIME, MemoryReadModel, extracted, extraction_failed, uploaded


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.infra)])
def read_model(request):
    if request.param == "memory":
        return MemoryReadModel()
    return SqlReadModel(request.getfixturevalue("database_engine"))


class Feed:
    def __init__(self, read_model):
        self.projector = Projector(read_model)
        self.sequence = 0

    async def __call__(self, *events):
        for event in events:
            self.sequence += 1
            raw = event.model_dump_json().encode()
            await self.projector.project(DeliveredEvent(raw, event.nats_subject, self.sequence))


async def listed_ids(read_model, user_id, **filters):
    rows = await read_model.list_invoices(user_id, InvoiceListing(**filters))
    return [row.invoice_id for row in rows]


async def test_listing_is_newest_first_with_ties_broken_by_id(read_model):
    owner = uuid.uuid4()
    same_time = sorted(uuid.uuid4() for _ in range(3))
    newest = uuid.uuid4()
    await Feed(read_model)(
        *(uploaded(i, owner) for i in same_time),
        uploaded(newest, owner, at=BASE_TIME + timedelta(seconds=1)),
    )

    assert await listed_ids(read_model, owner) == [newest, *reversed(same_time)]
    after = Cursor(BASE_TIME, same_time[2])
    assert await listed_ids(read_model, owner, after=after) == [same_time[1], same_time[0]]
    assert await listed_ids(read_model, owner, limit=1) == [newest, same_time[2]]


async def test_listing_filters_status_dates_and_text(read_model):
    owner = uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await Feed(read_model)(
        uploaded(a, owner, file_name="a_b.pdf", at=BASE_TIME),
        uploaded(b, owner, file_name="axb.pdf", at=BASE_TIME + timedelta(days=1)),
        uploaded(c, owner, file_name="c.pdf", at=BASE_TIME + timedelta(days=2)),
        extracted(b, owner, vendor="Ärger GmbH", invoice_number="50%"),
        extraction_failed(c, owner),
    )

    assert await listed_ids(read_model, owner, status="failed") == [c]
    assert await listed_ids(read_model, owner, text="A_B") == [a]
    assert await listed_ids(read_model, owner, text="50%") == [b]
    assert await listed_ids(read_model, owner, text="gmbh") == [b]
    assert await listed_ids(
        read_model,
        owner,
        uploaded_from=range_start(BASE_TIME.date() + timedelta(days=1)),
        uploaded_before=range_end(BASE_TIME.date() + timedelta(days=1)),
    ) == [b]
    summary = (await read_model.list_invoices(owner, InvoiceListing(text="gmbh")))[0]
    assert (summary.total, summary.status, summary.currency) == ("119.00", "extracted", "EUR")


async def test_invoices_are_scoped_to_their_user_and_hidden_until_uploaded(read_model):
    owner, other = uuid.uuid4(), uuid.uuid4()
    shown, pending = uuid.uuid4(), uuid.uuid4()
    await Feed(read_model)(uploaded(shown, owner), extracted(pending, owner))

    assert await listed_ids(read_model, owner) == [shown]
    assert await listed_ids(read_model, other) == []
    assert (await read_model.get_invoice(owner, shown)).file_name == "invoice.pdf"
    assert await read_model.get_invoice(other, shown) is None
    assert await read_model.get_invoice(owner, pending) is None
