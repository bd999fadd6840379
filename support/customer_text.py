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
    "email_solved_intro",
    "rating_question",
    "rating_good",
    "rating_bad",
    "rating_title",
    "rating_comment",
    "rating_send",
    "rating_thanks",
    "rating_reopened",
    "rating_can_change",
    "rating_closed",
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
        "email_solved_intro": 'Your request "{subject}" is now solved.',
        "rating_question": "How did we do?",
        "rating_good": "Good, I'm satisfied",
        "rating_bad": "Bad, I'm not satisfied",
        "rating_title": "Rate our help",
        "rating_comment": "Anything you would like to tell us? (optional)",
        "rating_send": "Send my rating",
        "rating_thanks": "Thank you, your rating has been saved.",
        "rating_reopened": "Sorry the automatic answer did not help: a person from our team will look at your request and reply.",
        "rating_can_change": "You can change your rating for {days} days.",
        "rating_closed": "This rating can no longer be changed: ratings can be changed for {days} days after the first one.",
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
        "email_solved_intro": 'Ihre Anfrage "{subject}" ist jetzt erledigt.',
        "rating_question": "Wie zufrieden sind Sie mit uns?",
        "rating_good": "Gut, ich bin zufrieden",
        "rating_bad": "Schlecht, ich bin nicht zufrieden",
        "rating_title": "Bewerten Sie unsere Hilfe",
        "rating_comment": "Möchten Sie uns noch etwas sagen? (optional)",
        "rating_send": "Bewertung senden",
        "rating_thanks": "Danke, Ihre Bewertung wurde gespeichert.",
        "rating_reopened": "Schade, dass die automatische Antwort nicht geholfen hat: Ein Mitarbeiter sieht sich Ihre Anfrage an und antwortet Ihnen.",
        "rating_can_change": "Sie können Ihre Bewertung {days} Tage lang ändern.",
        "rating_closed": "Diese Bewertung kann nicht mehr geändert werden: Bewertungen lassen sich nur {days} Tage nach der ersten ändern.",
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
        "email_solved_intro": "Votre demande « {subject} » est maintenant résolue.",
        "rating_question": "Comment avons-nous fait ?",
        "rating_good": "Bien, je suis satisfait",
        "rating_bad": "Mal, je ne suis pas satisfait",
        "rating_title": "Évaluez notre aide",
        "rating_comment": "Souhaitez-vous nous dire quelque chose ? (facultatif)",
        "rating_send": "Envoyer mon évaluation",
        "rating_thanks": "Merci, votre évaluation a été enregistrée.",
        "rating_reopened": "Désolés que la réponse automatique ne vous ait pas aidé : un conseiller va examiner votre demande et vous répondre.",
        "rating_can_change": "Vous pouvez modifier votre évaluation pendant {days} jours.",
        "rating_closed": "Cette évaluation ne peut plus être modifiée : une évaluation peut être modifiée pendant {days} jours après la première.",
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
        "email_solved_intro": "Tu solicitud «{subject}» ya está resuelta.",
        "rating_question": "¿Qué tal lo hemos hecho?",
        "rating_good": "Bien, estoy satisfecho",
        "rating_bad": "Mal, no estoy satisfecho",
        "rating_title": "Valora nuestra ayuda",
        "rating_comment": "¿Quieres contarnos algo más? (opcional)",
        "rating_send": "Enviar mi valoración",
        "rating_thanks": "Gracias, hemos guardado tu valoración.",
        "rating_reopened": "Sentimos que la respuesta automática no te haya ayudado: una persona de nuestro equipo revisará tu solicitud y te responderá.",
        "rating_can_change": "Puedes cambiar tu valoración durante {days} días.",
        "rating_closed": "Ya no se puede cambiar esta valoración: las valoraciones se pueden cambiar durante {days} días después de la primera.",
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
        "email_solved_intro": "La tua richiesta «{subject}» è stata risolta.",
        "rating_question": "Come siamo andati?",
        "rating_good": "Bene, sono soddisfatto",
        "rating_bad": "Male, non sono soddisfatto",
        "rating_title": "Valuta il nostro aiuto",
        "rating_comment": "Vuoi dirci qualcos'altro? (facoltativo)",
        "rating_send": "Invia la mia valutazione",
        "rating_thanks": "Grazie, la tua valutazione è stata salvata.",
        "rating_reopened": "Ci dispiace che la risposta automatica non ti sia stata utile: un operatore esaminerà la tua richiesta e ti risponderà.",
        "rating_can_change": "Puoi modificare la tua valutazione per {days} giorni.",
        "rating_closed": "Questa valutazione non può più essere modificata: le valutazioni si possono modificare per {days} giorni dopo la prima.",
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
        "email_solved_intro": 'Je vraag "{subject}" is nu opgelost.',
        "rating_question": "Hoe hebben we het gedaan?",
        "rating_good": "Goed, ik ben tevreden",
        "rating_bad": "Slecht, ik ben niet tevreden",
        "rating_title": "Beoordeel onze hulp",
        "rating_comment": "Wil je ons nog iets laten weten? (optioneel)",
        "rating_send": "Beoordeling versturen",
        "rating_thanks": "Bedankt, je beoordeling is opgeslagen.",
        "rating_reopened": "Jammer dat het automatische antwoord niet hielp: een medewerker bekijkt je vraag en antwoordt je.",
        "rating_can_change": "Je kunt je beoordeling {days} dagen lang wijzigen.",
        "rating_closed": "Deze beoordeling kan niet meer worden gewijzigd: een beoordeling kan tot {days} dagen na de eerste worden gewijzigd.",
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
        "email_solved_intro": "O seu pedido «{subject}» está resolvido.",
        "rating_question": "Como nos saímos?",
        "rating_good": "Bem, estou satisfeito",
        "rating_bad": "Mal, não estou satisfeito",
        "rating_title": "Avalie a nossa ajuda",
        "rating_comment": "Quer dizer-nos mais alguma coisa? (opcional)",
        "rating_send": "Enviar a minha avaliação",
        "rating_thanks": "Obrigado, a sua avaliação foi guardada.",
        "rating_reopened": "Lamentamos que a resposta automática não tenha ajudado: um assistente vai analisar o seu pedido e responder.",
        "rating_can_change": "Pode alterar a sua avaliação durante {days} dias.",
        "rating_closed": "Esta avaliação já não pode ser alterada: as avaliações podem ser alteradas durante {days} dias após a primeira.",
    },
}


def customer_texts(language: str) -> dict[TextKey, str]:
    """All fixed customer texts in ``language`` (ISO 639-1, as detected), else English."""
    return TEXTS.get((language or "").lower()[:2], TEXTS["en"])


def customer_text(key: TextKey, language: str, **values: str) -> str:
    """One fixed customer text in ``language`` (English fallback), with ``values`` filled."""
    text = customer_texts(language)[key]
    return text.format(**values) if values else text
