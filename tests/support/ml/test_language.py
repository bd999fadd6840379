import pytest

from support.ml.language import SUPPORTED, detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello, my parcel has not arrived yet and I would like to know where it is.", "en"),
        ("Hallo, mein Paket ist noch nicht angekommen. Wo ist meine Bestellung?", "de"),
        ("Bonjour, mon colis n'est toujours pas arrivé. Où est ma commande ?", "fr"),
        ("Hola, mi paquete todavía no ha llegado. ¿Dónde está mi pedido?", "es"),
        ("Hallo, mijn pakket is nog steeds niet aangekomen. Waar is mijn bestelling?", "nl"),
        ("Ciao, il mio pacco non è ancora arrivato. Dov'è il mio ordine?", "it"),
    ],
)
def test_ticket_language_is_detected_for_every_store_language(text: str, code: str) -> None:
    guess = detect_language(text)
    assert guess.code == code
    assert guess.confidence > 0.5


def test_store_languages_are_the_six_required() -> None:
    assert set(SUPPORTED) == {"en", "de", "fr", "es", "nl", "it"}


def test_text_without_letters_has_no_language() -> None:
    assert detect_language("12345 !!! ???").code == "und"
