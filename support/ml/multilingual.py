"""Hand-written request phrases in the store's other languages, as extra intent training data.

The seed templates (`support.seed_data`) are English only, so a French "annuler ma commande"
shared no n-grams with cancel_order and landed on whatever intent was closest by characters.
These phrases cover the requests customers write most (cancel, refund, where is my order,
change address, payment problem, return an item, talk to a person, password, account) in
German, French, Spanish, Italian, Dutch and Portuguese. Written for this project; pure Python.
"""

from __future__ import annotations

import random

# intent -> language -> phrases; {order} is filled with an order number
PHRASES: dict[str, dict[str, list[str]]] = {
    "cancel_order": {
        "de": [
            "ich möchte meine Bestellung stornieren",
            "bitte stornieren Sie die Bestellung {order}",
            "wie kann ich meine Bestellung stornieren",
            "Bestellung {order} bitte stornieren, ich habe mich vertan",
        ],
        "fr": [
            "je veux annuler ma commande",
            "merci d'annuler la commande {order}",
            "comment annuler ma commande",
            "est-ce que je peux encore annuler ma commande {order}",
        ],
        "es": [
            "quiero cancelar mi pedido",
            "por favor cancelen el pedido {order}",
            "cómo puedo cancelar mi pedido",
            "necesito anular mi compra {order}",
        ],
        "it": [
            "voglio annullare il mio ordine",
            "per favore annullate l'ordine {order}",
            "come posso cancellare il mio ordine",
            "vorrei disdire l'ordine {order}",
        ],
        "nl": [
            "ik wil mijn bestelling annuleren",
            "annuleer alstublieft bestelling {order}",
            "hoe kan ik mijn bestelling annuleren",
            "kan ik mijn order {order} nog annuleren",
        ],
        "pt": [
            "quero cancelar a minha encomenda",
            "por favor cancelem o pedido {order}",
            "como posso cancelar o meu pedido",
            "preciso cancelar a encomenda {order}",
        ],
    },
    "get_refund": {
        "de": [
            "ich möchte mein Geld zurück",
            "wann bekomme ich eine Rückerstattung",
            "bitte erstatten Sie mir den Betrag für {order}",
            "ich will eine Erstattung für meine Bestellung",
        ],
        "fr": [
            "je veux être remboursé",
            "je demande le remboursement de la commande {order}",
            "rendez-moi mon argent s'il vous plaît",
            "comment obtenir un remboursement",
        ],
        "es": [
            "quiero que me devuelvan el dinero",
            "solicito el reembolso del pedido {order}",
            "cómo consigo un reembolso",
            "necesito el reembolso de mi compra",
        ],
        "it": [
            "voglio un rimborso",
            "rivoglio indietro i miei soldi",
            "chiedo il rimborso dell'ordine {order}",
            "come ottengo il rimborso",
        ],
        "nl": [
            "ik wil mijn geld terug",
            "ik wil een terugbetaling voor bestelling {order}",
            "hoe krijg ik mijn geld terug",
            "graag een restitutie van mijn aankoop",
        ],
        "pt": [
            "quero o meu dinheiro de volta",
            "peço o reembolso da encomenda {order}",
            "como obtenho um reembolso",
            "quero ser reembolsado",
        ],
    },
    "track_order": {
        "de": [
            "wo ist meine Bestellung",
            "mein Paket ist noch nicht angekommen",
            "wo bleibt meine Lieferung {order}",
            "können Sie mir die Sendungsverfolgung schicken",
        ],
        "fr": [
            "où est ma commande",
            "mon colis n'est toujours pas arrivé",
            "où en est la livraison de la commande {order}",
            "je n'ai pas reçu mon colis",
        ],
        "es": [
            "dónde está mi pedido",
            "mi paquete todavía no ha llegado",
            "quiero saber dónde está el pedido {order}",
            "no he recibido mi pedido",
        ],
        "it": [
            "dov'è il mio ordine",
            "il mio pacco non è ancora arrivato",
            "a che punto è la spedizione dell'ordine {order}",
            "non ho ricevuto il mio pacco",
        ],
        "nl": [
            "waar is mijn bestelling",
            "mijn pakket is nog niet aangekomen",
            "wat is de status van bestelling {order}",
            "ik heb mijn pakket niet ontvangen",
        ],
        "pt": [
            "onde está a minha encomenda",
            "o meu pacote ainda não chegou",
            "qual é o estado do pedido {order}",
            "não recebi a minha encomenda",
        ],
    },
    "change_shipping_address": {
        "de": [
            "ich möchte meine Lieferadresse ändern",
            "bitte ändern Sie die Adresse für Bestellung {order}",
            "ich bin umgezogen, neue Lieferanschrift",
            "falsche Adresse angegeben, kann ich sie ändern",
        ],
        "fr": [
            "je voudrais changer mon adresse de livraison",
            "merci de modifier l'adresse de la commande {order}",
            "j'ai déménagé, nouvelle adresse de livraison",
            "je me suis trompé d'adresse, pouvez-vous la corriger",
        ],
        "es": [
            "quiero cambiar mi dirección de envío",
            "por favor modifiquen la dirección del pedido {order}",
            "me he mudado, nueva dirección de entrega",
            "puse mal la dirección, se puede cambiar",
        ],
        "it": [
            "vorrei cambiare l'indirizzo di spedizione",
            "per favore modificate l'indirizzo dell'ordine {order}",
            "ho traslocato, nuovo indirizzo di consegna",
            "ho sbagliato indirizzo, posso correggerlo",
        ],
        "nl": [
            "ik wil mijn bezorgadres wijzigen",
            "graag het adres van bestelling {order} aanpassen",
            "ik ben verhuisd, nieuw afleveradres",
            "verkeerd adres opgegeven, kan ik het veranderen",
        ],
        "pt": [
            "quero mudar o meu endereço de entrega",
            "por favor alterem a morada do pedido {order}",
            "mudei de casa, novo endereço de envio",
            "enganei-me no endereço, posso corrigir",
        ],
    },
    "payment_issue": {
        "de": [
            "meine Zahlung ist fehlgeschlagen",
            "die Kartenzahlung funktioniert nicht",
            "mir wurde zweimal abgebucht",
            "Problem mit der Bezahlung von Bestellung {order}",
        ],
        "fr": [
            "mon paiement a échoué",
            "ma carte bancaire est refusée",
            "j'ai été débité deux fois",
            "problème de paiement sur la commande {order}",
        ],
        "es": [
            "mi pago ha fallado",
            "me rechazan la tarjeta",
            "me han cobrado dos veces",
            "problema con el pago del pedido {order}",
        ],
        "it": [
            "il mio pagamento non è andato a buon fine",
            "la carta di credito viene rifiutata",
            "mi avete addebitato due volte",
            "problema con il pagamento dell'ordine {order}",
        ],
        "nl": [
            "mijn betaling is mislukt",
            "mijn creditcard wordt geweigerd",
            "er is twee keer afgeschreven",
            "probleem met de betaling van bestelling {order}",
        ],
        "pt": [
            "o meu pagamento falhou",
            "o cartão foi recusado",
            "fui cobrado duas vezes",
            "problema com o pagamento da encomenda {order}",
        ],
    },
    "check_refund_policy": {
        "de": [
            "wie kann ich einen Artikel zurücksenden",
            "ich möchte etwas zurückschicken",
            "wie lange habe ich Zeit für eine Rücksendung",
            "kann ich die Ware umtauschen oder retournieren",
        ],
        "fr": [
            "comment retourner un article",
            "je souhaite renvoyer un produit",
            "combien de jours pour faire un retour",
            "quelle est votre politique de retour",
        ],
        "es": [
            "cómo devuelvo un artículo",
            "quiero devolver un producto",
            "cuántos días tengo para hacer una devolución",
            "cuál es la política de devoluciones",
        ],
        "it": [
            "come posso restituire un articolo",
            "vorrei fare un reso",
            "quanti giorni ho per il reso",
            "qual è la vostra politica di reso",
        ],
        "nl": [
            "hoe kan ik een artikel retourneren",
            "ik wil iets terugsturen",
            "hoeveel dagen heb ik om te retourneren",
            "wat is jullie retourbeleid",
        ],
        "pt": [
            "como devolvo um artigo",
            "quero devolver um produto",
            "quantos dias tenho para fazer uma devolução",
            "qual é a política de devoluções",
        ],
    },
    "contact_human_agent": {
        "de": [
            "ich möchte mit einem Mitarbeiter sprechen",
            "bitte verbinden Sie mich mit einem Menschen",
            "kann ich mit einer echten Person reden",
            "ich will keinen Bot, sondern einen Menschen",
        ],
        "fr": [
            "je veux parler à un conseiller",
            "passez-moi un humain s'il vous plaît",
            "je voudrais parler à une vraie personne",
            "mettez-moi en relation avec un agent",
        ],
        "es": [
            "quiero hablar con una persona",
            "pásenme con un agente humano",
            "necesito hablar con alguien de verdad",
            "no quiero un robot, quiero un humano",
        ],
        "it": [
            "voglio parlare con un operatore",
            "passatemi una persona vera",
            "vorrei parlare con un essere umano",
            "mettetemi in contatto con un agente",
        ],
        "nl": [
            "ik wil met een medewerker praten",
            "verbind me door met een echt persoon",
            "kan ik iemand spreken",
            "ik wil een mens aan de lijn, geen bot",
        ],
        "pt": [
            "quero falar com uma pessoa",
            "passem-me a um atendente humano",
            "preciso falar com alguém de verdade",
            "quero falar com um agente",
        ],
    },
    "recover_password": {
        "de": [
            "ich habe mein Passwort vergessen",
            "wie setze ich mein Kennwort zurück",
            "ich kann mich nicht anmelden, Passwort vergessen",
            "neues Passwort anfordern",
        ],
        "fr": [
            "j'ai oublié mon mot de passe",
            "comment réinitialiser mon mot de passe",
            "je n'arrive plus à me connecter, mot de passe perdu",
            "envoyez-moi un nouveau mot de passe",
        ],
        "es": [
            "he olvidado mi contraseña",
            "cómo restablezco mi contraseña",
            "no puedo iniciar sesión, olvidé la contraseña",
            "necesito una contraseña nueva",
        ],
        "it": [
            "ho dimenticato la password",
            "come reimposto la mia password",
            "non riesco ad accedere, password dimenticata",
            "mandatemi una nuova password",
        ],
        "nl": [
            "ik ben mijn wachtwoord vergeten",
            "hoe reset ik mijn wachtwoord",
            "ik kan niet inloggen, wachtwoord kwijt",
            "graag een nieuw wachtwoord",
        ],
        "pt": [
            "esqueci a minha senha",
            "como redefino a palavra-passe",
            "não consigo entrar, esqueci a senha",
            "preciso de uma nova senha",
        ],
    },
    "edit_account": {
        "de": [
            "ich möchte meine Kontodaten ändern",
            "wie ändere ich die E-Mail in meinem Konto",
            "Profil bearbeiten, mein Name ist falsch",
            "Telefonnummer im Kundenkonto aktualisieren",
        ],
        "fr": [
            "je veux modifier les informations de mon compte",
            "comment changer l'e-mail de mon compte",
            "modifier mon profil, mon nom est mal écrit",
            "mettre à jour mon numéro de téléphone dans mon compte",
        ],
        "es": [
            "quiero modificar los datos de mi cuenta",
            "cómo cambio el correo de mi cuenta",
            "editar mi perfil, mi nombre está mal",
            "actualizar el teléfono de mi cuenta",
        ],
        "it": [
            "vorrei modificare i dati del mio account",
            "come cambio l'e-mail del mio account",
            "modificare il profilo, il mio nome è sbagliato",
            "aggiornare il numero di telefono nel mio account",
        ],
        "nl": [
            "ik wil mijn accountgegevens wijzigen",
            "hoe verander ik het e-mailadres van mijn account",
            "profiel bewerken, mijn naam klopt niet",
            "telefoonnummer in mijn account bijwerken",
        ],
        "pt": [
            "quero alterar os dados da minha conta",
            "como mudo o e-mail da minha conta",
            "editar o meu perfil, o meu nome está errado",
            "atualizar o telefone na minha conta",
        ],
    },
}

_OPENERS: dict[str, list[str]] = {
    "de": ["", "Hallo, ", "Guten Tag, "],
    "fr": ["", "Bonjour, ", "Bonsoir, "],
    "es": ["", "Hola, ", "Buenos días, "],
    "it": ["", "Ciao, ", "Buongiorno, "],
    "nl": ["", "Hallo, ", "Goedendag, "],
    "pt": ["", "Olá, ", "Bom dia, "],
}
_CLOSERS: dict[str, list[str]] = {
    "de": ["", " danke", " bitte"],
    "fr": ["", " merci", " s'il vous plaît"],
    "es": ["", " gracias", " por favor"],
    "it": ["", " grazie", " per favore"],
    "nl": ["", " bedankt", " alstublieft"],
    "pt": ["", " obrigado", " por favor"],
}


def multilingual_intent_examples(per_phrase: int = 2, seed: int = 0) -> list[tuple[str, str]]:
    """(text, intent) pairs: every phrase ``per_phrase`` times with a greeting/closing of its
    language and a random order number. Deterministic for a given seed."""
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for intent, by_lang in PHRASES.items():
        for lang, phrases in by_lang.items():
            for phrase in phrases:
                for _ in range(per_phrase):
                    text = phrase.format(order=str(rng.randint(10**7, 10**8 - 1)))
                    text = rng.choice(_OPENERS[lang]) + text + rng.choice(_CLOSERS[lang])
                    rows.append((text.strip(), intent))
    return rows
