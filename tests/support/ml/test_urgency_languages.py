import pytest

from support.ml.urgency import urgency_score


@pytest.mark.parametrize(
    "text",
    [
        "My parcel has not arrived yet",
        "Mein Paket ist noch nicht angekommen",
        "Mon colis n'est pas encore arrivé",
        "Mi paquete no ha llegado todavía",
        "Mijn pakket is nog niet aangekomen",
        "Il mio pacco non è ancora arrivato",
    ],
)
def test_a_parcel_that_has_not_arrived_is_as_urgent_in_every_language(text: str) -> None:
    # German, French, Spanish, Dutch and Italian shoppers were ranked below English ones
    assert urgency_score(text).score == urgency_score("My parcel has not arrived yet").score > 0


def test_arrival_words_alone_are_not_urgent() -> None:
    assert urgency_score("Il pacco è arrivato, grazie").score == 0.0
    assert urgency_score("Das Paket ist angekommen, danke").score == 0.0
