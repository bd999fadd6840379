"""Built-in training data, generated from the project's own templates (not the shared data sets).

Used by `facade.train()` when the store has too few labelled tickets, so triage works on day
zero. Deterministic for a given seed.
"""

from __future__ import annotations

import random

_OPENERS = ["", "hi, ", "hello, ", "hey ", "good morning, ", "excuse me, ", "please help, "]
_CLOSERS = ["", "", " thanks", " thank you!", " please", " asap", "?"]

INTENT_TEMPLATES: dict[str, list[str]] = {
    "cancel_order": [
        "I want to cancel my order {order}",
        "how do I cancel order {order}",
        "please cancel the purchase I made yesterday",
        "can I still cancel my order",
        "I changed my mind, cancel order {order}",
        "stop my order from shipping",
        "I ordered by mistake and need to cancel it",
        "cancel purchase {order} please",
    ],
    "change_order": [
        "I need to change my order {order}",
        "can I add an item to my order",
        "I want to swap the size in order {order}",
        "remove one product from my order",
        "can I modify the order I placed",
        "change the colour of the item I ordered",
        "update the quantity in my order {order}",
        "edit my purchase before it ships",
    ],
    "place_order": [
        "how do I place an order",
        "I want to buy {product}",
        "help me order {product}",
        "I cannot find how to make a purchase",
        "how can I order this item",
        "I'd like to purchase two of these",
        "where do I complete my purchase",
        "can you help me buy something",
    ],
    "track_order": [
        "where is my order {order}",
        "track my order {order}",
        "when will order {order} arrive",
        "what is the status of my order",
        "my parcel has not arrived yet",
        "has my order shipped",
        "I want to know where my package is",
        "check the delivery status of {order}",
    ],
    "delivery_options": [
        "what delivery options do you have",
        "do you offer express shipping",
        "can I pick up my order from a store",
        "which shipping methods are available",
        "do you deliver on saturdays",
        "is next day delivery possible",
        "what are the shipping options to {country}",
        "can I choose the courier",
    ],
    "delivery_period": [
        "how long does delivery take",
        "when will my order be delivered",
        "how many days for shipping to {country}",
        "what is the delivery time",
        "how soon can I get it",
        "is delivery within a week",
        "estimated delivery date for my order",
        "how long until my package arrives",
    ],
    "change_shipping_address": [
        "I need to change the shipping address",
        "wrong delivery address on my order {order}",
        "update the address for my delivery",
        "can I send my order to a different address",
        "I moved, please change the delivery address",
        "edit the shipping address of my order",
        "my address is wrong on the order",
        "deliver to my office instead of home",
    ],
    "set_up_shipping_address": [
        "how do I add a shipping address",
        "set up a new delivery address",
        "I want to save another address",
        "where do I enter my shipping address",
        "add a second address to my account",
        "I can't save my new address",
        "create a shipping address in my profile",
        "register a delivery address",
    ],
    "check_refund_policy": [
        "what is your refund policy",
        "can I return items for a refund",
        "how many days do I have to return",
        "do you give money back",
        "what are the conditions for a refund",
        "is there a money back guarantee",
        "what is the return policy for sale items",
        "are refunds possible after 30 days",
    ],
    "get_refund": [
        "I want a refund for order {order}",
        "please refund my money",
        "I returned the item and want my money back",
        "how do I get reimbursed",
        "request a refund for {product}",
        "the item was faulty, I need a refund",
        "give me my money back for order {order}",
        "I'd like to be refunded",
    ],
    "track_refund": [
        "where is my refund",
        "I still haven't received my refund for {order}",
        "what is the status of my refund",
        "when will I get my money back",
        "has my refund been processed",
        "track the refund for order {order}",
        "my refund has not arrived on my card",
        "check my reimbursement status",
    ],
    "check_cancellation_fee": [
        "is there a fee to cancel",
        "do you charge for cancelling an order",
        "how much does it cost to cancel",
        "cancellation penalty for my order",
        "will I pay a fee if I cancel",
        "what is the cancellation charge",
        "are cancellations free",
        "check the cancellation fee",
    ],
    "check_payment_methods": [
        "which payment methods do you accept",
        "can I pay with paypal",
        "do you take american express",
        "what cards can I use",
        "is cash on delivery possible",
        "can I pay by bank transfer",
        "payment options please",
        "do you accept debit cards",
    ],
    "payment_issue": [
        "my payment failed",
        "I was charged twice for order {order}",
        "the card payment was declined",
        "problem paying for my order",
        "money was taken but no order confirmation",
        "I can't complete the payment",
        "error when paying with my card",
        "there is an unknown charge on my card",
    ],
    "check_invoice": [
        "I want to see my invoice",
        "where can I check the invoice for {order}",
        "check my bill",
        "show me the invoice of my last purchase",
        "the invoice amount looks wrong",
        "view invoice for order {order}",
        "what does my invoice say",
        "can I look at my bill",
    ],
    "get_invoice": [
        "send me the invoice for {order}",
        "I need a copy of my invoice",
        "download invoice",
        "please email me the bill for my order",
        "get an invoice with VAT",
        "I need the receipt for order {order}",
        "can I get a pdf invoice",
        "where do I download my receipt",
    ],
    "create_account": [
        "how do I create an account",
        "I want to sign up",
        "open a new account",
        "register a new user",
        "make an account for me",
        "how can I register",
        "create a profile on your shop",
        "I'd like to join",
    ],
    "delete_account": [
        "delete my account",
        "I want to close my account",
        "remove my profile and data",
        "how do I erase my account",
        "cancel my account permanently",
        "please delete all my data",
        "deactivate my user account",
        "get rid of my account",
    ],
    "edit_account": [
        "change my account details",
        "update my profile",
        "edit my name on the account",
        "I want to change my email address",
        "modify my personal information",
        "update my phone number in my account",
        "change my account settings",
        "edit the profile information",
    ],
    "recover_password": [
        "I forgot my password",
        "reset my password",
        "I can't log in, lost password",
        "how do I recover my password",
        "password reset link not working",
        "help me get back into my account",
        "I need a new password",
        "recover my login",
    ],
    "registration_problems": [
        "I can't register",
        "sign up is not working",
        "error when creating an account",
        "registration form gives an error",
        "problem signing up",
        "the sign up page keeps failing",
        "I never got the registration email",
        "can't finish registration",
    ],
    "switch_account": [
        "how do I switch accounts",
        "change to my other account",
        "log in with another user",
        "I want to use my second account",
        "switch user",
        "move to a different account",
        "swap between my accounts",
        "use another profile",
    ],
    "newsletter_subscription": [
        "subscribe me to the newsletter",
        "unsubscribe from emails",
        "stop sending me newsletters",
        "how do I sign up for the newsletter",
        "I want your promotional emails",
        "cancel my newsletter subscription",
        "too many marketing emails, unsubscribe",
        "join the mailing list",
    ],
    "contact_customer_service": [
        "how can I contact customer service",
        "what is your phone number",
        "I need to contact support",
        "how do I reach you",
        "customer service hours",
        "is there a support email",
        "who can I talk to about a problem",
        "contact details of the shop",
    ],
    "contact_human_agent": [
        "I want to talk to a human",
        "let me speak to an agent",
        "connect me to a real person",
        "I need a human not a bot",
        "transfer me to a representative",
        "can I speak with someone",
        "get me an operator",
        "talk to a live agent",
    ],
    "complaint": [
        "I want to make a complaint",
        "your service is terrible",
        "I am very unhappy with {product}",
        "this is unacceptable",
        "I want to file a complaint about the delivery",
        "worst shopping experience ever",
        "I'm disappointed with your support",
        "the product was broken and nobody helps",
    ],
    "review": [
        "I want to leave a review",
        "how do I write a review for {product}",
        "I'd like to give feedback",
        "where can I rate the product",
        "I want to review my purchase",
        "leave feedback about your service",
        "post a review",
        "can I rate my order",
    ],
}
_PRODUCTS = ["the blue dress", "these shoes", "a jacket", "the lamp", "two t-shirts", "the rug"]
_COUNTRIES = ["Germany", "France", "Spain", "Italy", "the Netherlands", "the UK"]

SENTIMENT_TEMPLATES: dict[str, list[str]] = {
    "negative": [
        "{product} arrived broken and I am furious",
        "terrible quality, it fell apart",
        "very disappointed, nothing fits",
        "awful service, still waiting for my money",
        "this is the worst purchase I have made",
        "the colour is nothing like the photo, horrible",
        "I hate it, returning it",
        "poor quality and rude support",
        "it broke after one day",
        "completely useless, waste of money",
        # help-desk wording: an upset customer, not a review
        "this is the second time my parcel came damaged, I am really annoyed",
        "still no refund after three weeks, this is ridiculous",
        "you sent the wrong size again, I am fed up with this shop",
        "nobody answers my emails, worst customer service ever",
        "I am so angry, the package got lost and nobody cares",
        "absolutely unacceptable, you charged me twice and ignore me",
        "I am sick of waiting for {product}, never again",
        "extremely frustrated, order {order} is late yet again",
        "your support is a joke, I want my money back now",
        "how many times do I have to ask, this is a disgrace",
    ],
    "neutral": [
        "{product} is okay, nothing special",
        "it is fine but a bit small",
        "average quality for the price",
        "the fit is so-so",
        "not bad, not great",
        "it does the job",
        "delivery was on time, the product is ordinary",
        "some things good, some not",
        "I have a question about {product}",
        "where can I find the size chart",
    ],
    "positive": [
        "I love {product}, thank you",
        "great quality and fast delivery",
        "perfect fit, very happy",
        "excellent service, thanks a lot",
        "beautiful and comfortable",
        "best purchase this year",
        "amazing, I will buy again",
        "super friendly support, problem solved",
        "lovely colour and soft fabric",
        "exactly what I wanted, wonderful",
        "thank you so much for the quick help",
        "the problem is solved, you are great",
        "thanks, {product} arrived today and it is perfect",
        "really happy with how you handled my return",
        "brilliant support, much appreciated",
        "you were very helpful, thanks again",
        "I got my refund, thank you for sorting it out",
        "wonderful service, I will order again",
        "great news, thanks for letting me know",
        "many thanks, everything arrived in perfect condition",
    ],
}


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        order=str(rng.randint(10**7, 10**8 - 1)),
        product=rng.choice(_PRODUCTS),
        country=rng.choice(_COUNTRIES),
    )


def _variants(templates: dict[str, list[str]], per_label: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for label, items in templates.items():
        for i in range(per_label):
            text = rng.choice(_OPENERS) + _fill(items[i % len(items)], rng) + rng.choice(_CLOSERS)
            if rng.random() < 0.3:
                text = text.capitalize()
            rows.append((text.strip(), label))
    return rows


def intent_examples(
    per_intent: int = 24, seed: int = 0, multilingual: bool = True
) -> list[tuple[str, str]]:
    """(text, intent) pairs covering every intent of `support.ml.triage.INTENTS`, plus (unless
    ``multilingual=False``) the common requests in the store's other languages: the English
    templates alone left a French "annuler ma commande" to chance."""
    rows = _variants(INTENT_TEMPLATES, per_intent, seed)
    if multilingual:
        from support.ml.multilingual import multilingual_intent_examples

        rows += multilingual_intent_examples(seed=seed)
    return rows


def sentiment_examples(per_label: int = 30, seed: int = 0) -> list[tuple[str, str]]:
    """(text, negative|neutral|positive) pairs. Besides the review-like neutral texts, neutral
    holds ``per_label`` calm help-desk requests (the intent templates, complaints left out):
    most tickets are plain questions, and a classifier that never saw one reads them as an
    opinion."""
    calm = {i: t for i, t in INTENT_TEMPLATES.items() if i != "complaint"}
    rng = random.Random(seed + 1)
    requests = [(t, "neutral") for t, _ in _variants(calm, 8, seed + 1)]
    return _variants(SENTIMENT_TEMPLATES, per_label, seed) + rng.sample(requests, per_label)
