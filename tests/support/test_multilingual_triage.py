"""Non-English tickets: the right intent, no English automatic answer, no invented sentiment."""

import pytest

from support import selectors, services
from support.ml.triage import SupportTriager
from support.models import Message, Ticket
from tests.support.factories import model_activate
from tests.support.fixtures.multilingual_heldout import HELDOUT

LANGUAGES = sorted({lang for lang, _, _ in HELDOUT})


@pytest.mark.parametrize("language", LANGUAGES)
def test_clear_requests_in_other_languages_get_their_intent(
    seed_triager: SupportTriager, language: str
) -> None:
    rows = [(text, intent) for lang, text, intent in HELDOUT if lang == language]
    wrong = [
        (text, got.intent, intent)
        for text, intent in rows
        if (got := seed_triager.triage(text)).intent != intent
    ]
    assert len(rows) >= 10
    assert len(wrong) <= 1, wrong  # held-out wording: at least 9 of 10 right


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("Je voudrais annuler ma commande", "cancel_order", "fr"),
        ("Ich möchte mein Geld zurück, bitte", "get_refund", "de"),
        ("¿Dónde está mi pedido? Todavía no ha llegado", "track_order", "es"),
        ("Vorrei parlare con un operatore, per favore", "contact_human_agent", "it"),
        ("Ik ben mijn wachtwoord vergeten, hoe kan ik het resetten?", "recover_password", "nl"),
        ("Esqueci a minha senha, como posso redefini-la?", "recover_password", "pt"),
    ],
)
def test_a_clear_request_is_confident_and_tagged_with_its_language(
    seed_triager: SupportTriager, text: str, intent: str, language: str
) -> None:
    t = seed_triager.triage(text)
    assert (t.intent, t.language) == (intent, language)
    assert t.intent_confidence >= 0.5


def test_an_angry_german_ticket_is_not_given_an_english_sentiment(
    seed_triager: SupportTriager,
) -> None:
    t = seed_triager.triage("Das ist eine Frechheit, die Jacke ist kaputt und keiner antwortet!")
    assert t.language == "de"
    assert (t.sentiment, t.sentiment_confidence) == ("neutral", 0.0)


@pytest.mark.parametrize(
    "body",
    [
        "Je voudrais annuler ma commande, j'ai oublié mon mot de passe",
        "Ich habe mein Passwort vergessen, wie setze ich es zurück?",
        "He olvidado mi contraseña, cómo la restablezco?",
        "Ho dimenticato la password, come posso reimpostarla?",
        "Ik ben mijn wachtwoord vergeten, hoe reset ik het?",
        "Esqueci a minha palavra-passe, como a posso redefinir?",
    ],
)
def test_no_english_automatic_answer_goes_to_a_non_english_ticket(
    active_triager: SupportTriager, body: str
) -> None:
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, 0.0)
    model_activate(active_triager)
    ticket = services.ticket_create(body=body, email="a@b.io")
    assert ticket.language != "en"
    assert not ticket.auto_replied
    assert not ticket.messages.filter(author=Message.Author.BOT).exists()
    assert "Sentiment neutral: not judged" in " ".join(
        selectors.ticket_triage_explanation(ticket=ticket)
    )


def test_an_english_past_reply_is_not_sent_to_a_french_ticket() -> None:
    ticket = Ticket(
        intent="recover_password",
        intent_confidence=0.99,
        triage_source="model",
        language="fr",
        suggested_reply="To reset your password, open the sign-in page and click Forgot.",
    )
    decision = selectors.ticket_auto_answer_decision(ticket=ticket, threshold=0.5)
    assert not decision.answer
    assert "the customer wrote in fr" in " ".join(decision.reasons)
