"""The log filter removes personal data but leaves dates and ids readable."""

import logging

import pytest

from storefront.logging import RedactPiiFilter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("call me on +44 20 7946 0958 please", "7946 0958"),
        ("phone 020 7946 0958.", "7946 0958"),
        ("mobile (415) 555-2671", "555-2671"),
        ("mail jane.doe@example.com now", "jane.doe@example.com"),
        ("card 4111 1111 1111 1111 declined", "4111 1111"),
    ],
)
def test_personal_data_is_removed(text: str, secret: str) -> None:
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "rollups {'from': '2025-11-25', 'through': '2026-11-24', 'rows': 99586}",
        "run at 2026-11-25 06:04:44,577 finished",
        "task dashboard_refresh[778e5eeb-d123-4567-89c6-ef201046a09b] succeeded in 58.2s",
        "sku NW-0000125-2024 restocked",
    ],
)
def test_dates_and_ids_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_filter_rewrites_the_record_without_dropping_it() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "order for %s", ("a@b.example",), None
    )
    assert RedactPiiFilter().filter(record) is True
    assert record.getMessage() == "order for [email]"
