import pytest
from hypothesis import given
from hypothesis import strategies as st

from support.ml.pii import contains_pii, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("write to jane.doe+shop@example.co.uk please", "jane.doe+shop@example.co.uk"),
        ("call me on +49 30 1234567", "1234567"),
        ("my number is 020 7946 0958", "7946 0958"),
        ("US line (415) 555-2671", "555-2671"),
        ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111"),
        ("card 4242424242424242", "4242424242424242"),
        ("IBAN DE89 3704 0044 0532 0130 00 for the refund", "3704 0044 0532"),
        ("IBAN GB82WEST12345698765432", "GB82WEST12345698765432"),
        ("send it to 221B Baker Street, London", "Baker Street"),
        ("neue Adresse: Hauptstraße 5, Berlin", "Hauptstraße 5"),
        ("j'habite 12 rue de la Paix", "rue de la Paix"),
        ("vivo en Calle Mayor 3", "Mayor 3"),
    ],
)
def test_redact_removes_personal_data(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert "[" in out


@pytest.mark.parametrize(
    "text",
    [
        "where is order 113542617735902?",
        "order #12345 arrived broken",
        "refund for order 00004587345 please",
        "I paid 25.99 EUR on 12/03/2024 for 2 shirts",
    ],
)
def test_redact_keeps_order_numbers_and_amounts(text: str) -> None:
    assert redact(text) == text


@given(st.text(max_size=300))
def test_redact_is_total_and_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def test_contains_pii() -> None:
    assert contains_pii("mail me: a@b.io")
    assert not contains_pii("my parcel is late")
