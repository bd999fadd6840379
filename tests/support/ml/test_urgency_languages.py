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


def test_writing_again_in_anger_raises_priority_and_asking_again_does_not() -> None:
    # A furious customer on their third contact was "normal", the same as any negative
    # message; a repeat complaint with upset wording is what a help desk answers first.
    from support.ml.triage import priority_for

    repeat = urgency_score("this is the third time you have sent me a broken mug, I'm furious")
    assert priority_for(urgency=repeat.score, sentiment="negative", sentiment_confidence=0.9)[
        0
    ] == ("high")
    ask = urgency_score("could you send me the invoice again please")
    assert (
        priority_for(urgency=ask.score, sentiment="neutral", sentiment_confidence=0.9)[0] == "low"
    )
