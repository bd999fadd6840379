"""Fixed text the store sends to customers (automatic-answer footer, reply e-mail lines), in the
ticket's detected language: a French ticket answered from a French past reply must not end in
English. Hand-written for the store's languages (`support.ml.language.SUPPORTED`); any other
language, or none, gets English.

"Talk to a person" stays in English in every language: it is the help page's button label,
and the help page is English only.
"""

from __future__ import annotations

from typing import Literal

TextKey = Literal[
    "footer",
    "human_taking_over",
    "email_hello",
    "email_automatic_intro",
    "email_reply_intro",
    "email_answer_on_help_page",
    "email_sign_in",
    "email_signature",
    "email_request",
]

# {subject}, {help_url}, {store_name} are filled by the caller
TEXTS: dict[str, dict[TextKey, str]] = {
    "en": {
        "footer": (
            'If this does not answer your question, just reply or press "Talk to a person" '
            "and one of our agents will take over."
        ),
        "human_taking_over": "Thanks, an agent will take over and reply within one working day.",
        "email_hello": "Hello,",
        "email_automatic_intro": 'Here is an answer to your request "{subject}":',
        "email_reply_intro": 'We have replied to your request "{subject}":',
        "email_answer_on_help_page": "To answer, reply on our help page: {help_url}",
        "email_sign_in": '(sign in with this e-mail address and open "Your requests").',
        "email_signature": "{store_name} customer service",
        "email_request": "Request",
    },
    "de": {
        "footer": (
            "Falls das Ihre Frage nicht beantwortet, antworten Sie einfach oder klicken Sie auf "
            '"Talk to a person", dann übernimmt eine Kollegin oder ein Kollege aus unserem Team.'
        ),
        "human_taking_over": (
            "Danke, ein Mitarbeiter übernimmt und antwortet innerhalb eines Werktags."
        ),
        "email_hello": "Guten Tag,",
        "email_automatic_intro": 'hier ist eine Antwort auf Ihre Anfrage "{subject}":',
        "email_reply_intro": 'wir haben auf Ihre Anfrage "{subject}" geantwortet:',
        "email_answer_on_help_page": "Antworten Sie bitte auf unserer Hilfeseite: {help_url}",
        "email_sign_in": '(mit dieser E-Mail-Adresse anmelden und "Your requests" öffnen).',
        "email_signature": "Ihr Kundenservice von {store_name}",
        "email_request": "Anfrage",
    },
    "fr": {
        "footer": (
            "Si cela ne répond pas à votre question, répondez simplement à ce message ou "
            "cliquez sur « Talk to a person » : un de nos conseillers prendra le relais."
        ),
        "human_taking_over": (
            "Merci, un conseiller prend le relais et vous répondra sous un jour ouvré."
        ),
        "email_hello": "Bonjour,",
        "email_automatic_intro": "Voici une réponse à votre demande « {subject} » :",
        "email_reply_intro": "Nous avons répondu à votre demande « {subject} » :",
        "email_answer_on_help_page": "Pour répondre, rendez-vous sur notre page d'aide : {help_url}",
        "email_sign_in": "(connectez-vous avec cette adresse e-mail et ouvrez « Your requests »).",
        "email_signature": "Le service client {store_name}",
        "email_request": "Demande",
    },
    "es": {
        "footer": (
            "Si esto no responde a tu pregunta, contesta a este mensaje o pulsa "
            "«Talk to a person» y uno de nuestros agentes se encargará."
        ),
        "human_taking_over": (
            "Gracias, un agente se encargará y te responderá en un día laborable."
        ),
        "email_hello": "Hola:",
        "email_automatic_intro": "Esta es una respuesta a tu solicitud «{subject}»:",
        "email_reply_intro": "Hemos respondido a tu solicitud «{subject}»:",
        "email_answer_on_help_page": "Para contestar, hazlo en nuestra página de ayuda: {help_url}",
        "email_sign_in": "(inicia sesión con esta dirección de correo y abre «Your requests»).",
        "email_signature": "Atención al cliente de {store_name}",
        "email_request": "Solicitud",
    },
    "it": {
        "footer": (
            "Se questo non risponde alla tua domanda, rispondi pure a questo messaggio o premi "
            "«Talk to a person» e uno dei nostri operatori se ne occuperà."
        ),
        "human_taking_over": (
            "Grazie, un operatore prenderà in carico la richiesta e risponderà entro un giorno "
            "lavorativo."
        ),
        "email_hello": "Buongiorno,",
        "email_automatic_intro": "ecco una risposta alla tua richiesta «{subject}»:",
        "email_reply_intro": "abbiamo risposto alla tua richiesta «{subject}»:",
        "email_answer_on_help_page": "Per rispondere, usa la nostra pagina di assistenza: {help_url}",
        "email_sign_in": "(accedi con questo indirizzo e-mail e apri «Your requests»).",
        "email_signature": "Servizio clienti {store_name}",
        "email_request": "Richiesta",
    },
    "nl": {
        "footer": (
            "Beantwoordt dit je vraag niet? Reageer dan gewoon of klik op "
            '"Talk to a person", dan neemt een van onze medewerkers het over.'
        ),
        "human_taking_over": (
            "Bedankt, een medewerker neemt het over en antwoordt binnen één werkdag."
        ),
        "email_hello": "Hallo,",
        "email_automatic_intro": 'Hier is een antwoord op je vraag "{subject}":',
        "email_reply_intro": 'We hebben je vraag "{subject}" beantwoord:',
        "email_answer_on_help_page": "Reageren kan op onze hulppagina: {help_url}",
        "email_sign_in": '(log in met dit e-mailadres en open "Your requests").',
        "email_signature": "Klantenservice {store_name}",
        "email_request": "Vraag",
    },
    "pt": {
        "footer": (
            "Se isto não responder à sua pergunta, basta responder a esta mensagem ou carregar "
            "em «Talk to a person» e um dos nossos assistentes tratará do seu pedido."
        ),
        "human_taking_over": (
            "Obrigado, um assistente vai tratar do seu pedido e responder num dia útil."
        ),
        "email_hello": "Olá,",
        "email_automatic_intro": "Aqui está uma resposta ao seu pedido «{subject}»:",
        "email_reply_intro": "Respondemos ao seu pedido «{subject}»:",
        "email_answer_on_help_page": "Para responder, use a nossa página de ajuda: {help_url}",
        "email_sign_in": "(inicie sessão com este endereço de e-mail e abra «Your requests»).",
        "email_signature": "Apoio ao cliente {store_name}",
        "email_request": "Pedido",
    },
}


def customer_texts(language: str) -> dict[TextKey, str]:
    """All fixed customer texts in ``language`` (ISO 639-1, as detected), else English."""
    return TEXTS.get((language or "").lower()[:2], TEXTS["en"])


def customer_text(key: TextKey, language: str, **values: str) -> str:
    """One fixed customer text in ``language`` (English fallback), with ``values`` filled."""
    text = customer_texts(language)[key]
    return text.format(**values) if values else text
