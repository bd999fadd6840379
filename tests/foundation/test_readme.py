from pathlib import Path

from orders.services import DECLINED_TEST_CARD
from tests.factories import GOOD_CARD

README = Path(__file__).resolve().parents[2] / "README.md"


def _spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def test_readme_names_the_simulated_card_numbers_checkout_honours() -> None:
    # A newcomer reaching checkout in `make demo` finds the test cards in the README.
    text = README.read_text()
    assert _spaced(GOOD_CARD) in text and "accepted" in text
    assert _spaced(DECLINED_TEST_CARD) in text and "declined" in text
