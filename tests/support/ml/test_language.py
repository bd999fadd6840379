import pytest

from support.ml.language import SUPPORTED, detect_language
from tests.support.fixtures.language_heldout import LANGUAGE_HELDOUT


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello, my parcel has not arrived yet and I would like to know where it is.", "en"),
        ("Hallo, mein Paket ist noch nicht angekommen. Wo ist meine Bestellung?", "de"),
        ("Bonjour, mon colis n'est toujours pas arrivé. Où est ma commande ?", "fr"),
        ("Hola, mi paquete todavía no ha llegado. ¿Dónde está mi pedido?", "es"),
        ("Hallo, mijn pakket is nog steeds niet aangekomen. Waar is mijn bestelling?", "nl"),
        ("Ciao, il mio pacco non è ancora arrivato. Dov'è il mio ordine?", "it"),
        ("Olá, a minha encomenda ainda não chegou. Onde está o meu pedido?", "pt"),
    ],
)
def test_ticket_language_is_detected_for_every_store_language(text: str, code: str) -> None:
    guess = detect_language(text)
    assert guess.code == code
    assert guess.confidence > 0.5


def test_store_languages_are_the_seven_required() -> None:
    # Portuguese added deliberately: the intent model reads Portuguese requests, and without it
    # they were tagged Spanish (9 of 10 held-out pt requests)
    assert set(SUPPORTED) == {"en", "de", "fr", "es", "nl", "it", "pt"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Quero cancelar a minha encomenda, já não preciso dela.", "pt"),
        ("Quiero cancelar mi pedido, ya no lo necesito.", "es"),
        ("Esqueci-me da palavra-passe, como faço para a recuperar?", "pt"),
        ("He olvidado mi contraseña, ¿cómo puedo recuperarla?", "es"),
        # two or three words: lingua alone read these as the other language
        ("he olvidado mi", "es"),
        ("me he mudado", "es"),
        ("quero devolver um", "pt"),
    ],
)
def test_portuguese_and_spanish_requests_are_told_apart(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_text_without_letters_has_no_language() -> None:
    assert detect_language("12345 !!! ???").code == "und"


def test_held_out_short_messages_are_detected_in_every_store_language() -> None:
    wrong = [(t, c, g) for c, t in LANGUAGE_HELDOUT if (g := detect_language(t).code) != c]
    assert {c for c, _ in LANGUAGE_HELDOUT} == set(SUPPORTED)
    assert wrong == []
