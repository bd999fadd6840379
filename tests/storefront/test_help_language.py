"""The help page speaks the shopper's language (Accept-Language), in the seven languages
support answers in; the quick answers stay English and the page says so."""

import json
import re

import pytest
from django.test import Client

from storefront.help_texts import LANGUAGES, TEXTS
from support.ml.language import SUPPORTED

pytestmark = pytest.mark.django_db


def _texts(html: str) -> dict[str, str]:
    found = re.search(r'<script id="help-texts" type="application/json">(.*?)</script>', html)
    assert found
    return dict(json.loads(found.group(1)))


def test_a_german_browser_gets_the_german_page_and_button(client: Client) -> None:
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert "<h1>Wie können wir helfen?</h1>" in html
    assert "Nachricht senden" in html and "Schnelle Antworten" in html
    assert "Diese schnellen Antworten gibt es bisher nur auf Englisch." in html
    # the button the ticket list and the answer draw (shop.js reads these words)
    assert _texts(html)["talk_to_person"] == "Mit einem Menschen sprechen"
    assert "Accept-Language" in response["Vary"]


def test_the_first_language_the_page_has_wins_and_anything_else_is_english(
    client: Client,
) -> None:
    html = client.get("/help/", HTTP_ACCEPT_LANGUAGE="ja, fr-CA;q=0.8, de;q=0.5").content
    assert "Comment pouvons-nous vous aider ?" in html.decode()
    english = client.get("/help/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="en">' in english and "<h1>How can we help?</h1>" in english
    assert _texts(english)["talk_to_person"] == "Talk to a person"
    assert '<p class="muted" lang=' not in english  # no "only in English" note in English


def test_every_language_support_answers_in_has_every_word() -> None:
    assert set(LANGUAGES) == set(SUPPORTED) == set(TEXTS)
    for language, texts in TEXTS.items():
        assert set(texts) == set(TEXTS["en"]), language
        assert all(texts[k] for k in texts if k != "english_note"), language
