from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from invoice_query.domain.listing import contains_pattern, range_end, range_start


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("acme", "%acme%"),
        ("100%", "%100\\%%"),
        ("INV_7", "%INV\\_7%"),
        ("a\\b", "%a\\\\b%"),
    ],
)
def test_wildcards_in_a_query_are_searched_for_literally(text, pattern):
    assert contains_pattern(text) == pattern


def test_a_date_range_covers_whole_days_in_utc():
    assert range_start(date(2024, 5, 1)) == datetime(2024, 5, 1, tzinfo=UTC)
    assert range_end(date(2024, 5, 1)) == datetime(2024, 5, 2, tzinfo=UTC)


def test_a_date_time_bound_is_inclusive_and_naive_means_utc():
    moment = datetime(2024, 5, 1, 12, 30)
    assert range_start(moment) == moment.replace(tzinfo=UTC)
    assert range_end(moment) == moment.replace(tzinfo=UTC) + timedelta(microseconds=1)
    zoned = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert range_start(zoned) == zoned


def test_the_last_day_there_is_does_not_overflow():
    assert range_end(date.max) == datetime.max.replace(tzinfo=UTC)
