"""Demo support tickets from the project's own templates (no external text is copied).

Every intent of the Bitext customer-service taxonomy is covered, in the styles customers
write: polite, terse, angry, with typos, and some in German, French, Spanish, Dutch and
Italian. Tickets are tied to real demo orders and customers; old ones are solved (their
intent confirmed by an agent), recent ones wait in the queue. The true intent, language
and style are ground truth (kind ``ticket``, keyed by the ticket's external id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from demo import texts

US_PER_DAY = 86_400_000_000

CATEGORY = {
    "create_account": "ACCOUNT",
    "delete_account": "ACCOUNT",
    "edit_account": "ACCOUNT",
    "recover_password": "ACCOUNT",
    "registration_problems": "ACCOUNT",
    "switch_account": "ACCOUNT",
    "check_cancellation_fee": "CANCELLATION_FEE",
    "contact_customer_service": "CONTACT",
    "contact_human_agent": "CONTACT",
    "delivery_options": "DELIVERY",
    "delivery_period": "DELIVERY",
    "complaint": "FEEDBACK",
    "review": "FEEDBACK",
    "check_invoice": "INVOICE",
    "get_invoice": "INVOICE",
    "newsletter_subscription": "NEWSLETTER",
    "cancel_order": "ORDER",
    "change_order": "ORDER",
    "place_order": "ORDER",
    "track_order": "ORDER",
    "check_payment_methods": "PAYMENT",
    "payment_issue": "PAYMENT",
    "check_refund_policy": "REFUND",
    "get_refund": "REFUND",
    "track_refund": "REFUND",
    "change_shipping_address": "SHIPPING_ADDRESS",
    "set_up_shipping_address": "SHIPPING_ADDRESS",
}
# relative frequency: order and delivery questions dominate a shop's inbox
WEIGHT = {
    "track_order": 9,
    "delivery_period": 6,
    "get_refund": 6,
    "cancel_order": 6,
    "change_order": 4,
    "track_refund": 4,
    "complaint": 4,
    "payment_issue": 3,
    "change_shipping_address": 3,
    "contact_human_agent": 3,
    "get_invoice": 2,
    "check_refund_policy": 2,
    "delivery_options": 2,
}

EN: dict[str, list[str]] = {
    "cancel_order": [
        "Please cancel my order {order}, I ordered the wrong {product}.",
        "I'd like to cancel order {order} before it ships.",
        "Can I still cancel {order}? Placed it by mistake.",
    ],
    "change_order": [
        "Can I add another {product} to order {order}?",
        "I need to change the size on my order {order}.",
        "Please swap the {product} in {order} for a different colour.",
    ],
    "place_order": [
        "How do I order the {product} for delivery to {city}?",
        "I'm trying to buy a {product} but checkout won't let me.",
        "Can I place an order by phone instead of online?",
    ],
    "track_order": [
        "Where is my order {order}? It's been {days} days.",
        "Can you tell me when {order} will arrive?",
        "Tracking for {order} hasn't updated since {weekday}.",
    ],
    "delivery_options": [
        "Do you offer next-day delivery to {city}?",
        "What delivery options are there for a {product}?",
        "Can I collect my order instead of having it delivered?",
    ],
    "delivery_period": [
        "How long does delivery to {city} usually take?",
        "If I order today will the {product} arrive by {weekday}?",
        "What are your delivery times at the moment?",
    ],
    "change_shipping_address": [
        "I've moved, please send order {order} to my new address in {city}.",
        "Wrong address on {order}, can you change it?",
        "Can I update the delivery address for {order}?",
    ],
    "set_up_shipping_address": [
        "How do I add a second delivery address to my account?",
        "I can't save my shipping address, it keeps erroring.",
        "Where do I set a default delivery address?",
    ],
    "check_refund_policy": [
        "What is your returns policy for a {product}?",
        "How many days do I have to return something?",
        "Do you refund delivery costs if I send it back?",
    ],
    "get_refund": [
        "I returned the {product} from {order} and want my money back.",
        "The {product} arrived broken, I'd like a refund please.",
        "Please refund order {order}, it never arrived.",
    ],
    "track_refund": [
        "You said my refund for {order} was processed but I haven't received {amount}.",
        "When will the refund for {order} reach my card?",
        "Still waiting on my refund from {order}.",
    ],
    "check_cancellation_fee": [
        "Is there a fee if I cancel order {order}?",
        "Do you charge anything for cancelling?",
        "Will I lose money if I cancel my order now?",
    ],
    "check_payment_methods": [
        "Do you accept PayPal or only cards?",
        "Can I pay with Apple Pay?",
        "Which payment methods do you take?",
    ],
    "payment_issue": [
        "My card was charged twice for {order}!",
        "Payment keeps failing at checkout even though my card works elsewhere.",
        "I was charged {amount} but the order {order} says cancelled.",
    ],
    "check_invoice": [
        "The invoice for {order} shows the wrong amount.",
        "Can you check my invoice, VAT looks wrong?",
        "Why does my invoice for {order} list a different address?",
    ],
    "get_invoice": [
        "Please send me a VAT invoice for order {order}.",
        "I need an invoice for {order} for my company.",
        "Where can I download the invoice for {order}?",
    ],
    "create_account": [
        "How do I open an account with you?",
        "I want to create an account to track my orders.",
        "Can I make an account after buying as a guest?",
    ],
    "delete_account": [
        "Please delete my account and all my data.",
        "I want to close my account permanently.",
        "Remove my account and stop emailing me.",
    ],
    "edit_account": [
        "How do I change the email on my account?",
        "I need to update my name and phone number.",
        "Can I edit my account details?",
    ],
    "recover_password": [
        "I forgot my password and the reset email never comes.",
        "Can't log in, need to reset my password.",
        "Password reset link says expired.",
    ],
    "registration_problems": [
        "Sign up form says my email is invalid but it isn't.",
        "I can't register, the page just reloads.",
        "Registration keeps failing with an error.",
    ],
    "switch_account": [
        "I have two accounts, how do I switch between them?",
        "Can I move my orders to my other account?",
        "How do I log into my partner's account instead?",
    ],
    "newsletter_subscription": [
        "Please unsubscribe me from the newsletter.",
        "How do I sign up for your offers emails?",
        "I keep getting marketing emails, stop them please.",
    ],
    "contact_customer_service": [
        "What's your customer service phone number?",
        "What hours is customer support open?",
        "How can I contact you about an order?",
    ],
    "contact_human_agent": [
        "I want to talk to a real person, not a bot.",
        "Please get a human to call me about {order}.",
        "Connect me to an agent please.",
    ],
    "complaint": [
        "Really unhappy with the {product}, it is nothing like the photos.",
        "The courier left {order} in the rain and everything is ruined.",
        "Your service has been terrible, third time I'm writing about {order}.",
    ],
    "review": [
        "Just wanted to say the {product} is lovely, thank you!",
        "Where can I leave a review for the {product}?",
        "I'd like to give feedback about my last order.",
    ],
}
FOREIGN: dict[str, dict[str, list[str]]] = {
    "de": {
        "track_order": ["Wo ist meine Bestellung {order}? Ich warte schon {days} Tage."],
        "cancel_order": ["Bitte stornieren Sie meine Bestellung {order}."],
        "get_refund": ["Der Artikel war kaputt, ich möchte mein Geld zurück für {order}."],
        "change_shipping_address": ["Bitte ändern Sie die Lieferadresse für {order}."],
        "complaint": ["Ich bin sehr unzufrieden, die Lieferung {order} war beschädigt."],
        "delivery_period": ["Wie lange dauert der Versand nach Deutschland?"],
        "get_invoice": ["Können Sie mir bitte eine Rechnung für {order} schicken?"],
        "payment_issue": ["Meine Karte wurde zweimal belastet für {order}."],
    },
    "fr": {
        "track_order": ["Où est ma commande {order} ? J'attends depuis {days} jours."],
        "cancel_order": ["Je voudrais annuler ma commande {order}, s'il vous plaît."],
        "get_refund": ["Le produit est arrivé cassé, je veux être remboursé pour {order}."],
        "track_refund": ["Je n'ai toujours pas reçu mon remboursement pour {order}."],
        "complaint": ["Très déçu, le colis {order} est arrivé abîmé."],
        "contact_human_agent": ["Je veux parler à une vraie personne, merci."],
        "delivery_options": ["Livrez-vous en France et combien coûte la livraison ?"],
    },
    "es": {
        "track_order": ["¿Dónde está mi pedido {order}? Llevo {days} días esperando."],
        "cancel_order": ["Quiero cancelar mi pedido {order}, por favor."],
        "get_refund": ["El producto llegó roto, quiero un reembolso del pedido {order}."],
        "payment_issue": ["Me han cobrado dos veces el pedido {order}."],
        "change_order": ["¿Puedo cambiar la talla en mi pedido {order}?"],
    },
    "nl": {
        "track_order": ["Waar blijft mijn bestelling {order}? Ik wacht al {days} dagen."],
        "cancel_order": ["Ik wil mijn bestelling {order} annuleren."],
        "get_refund": ["Het product was kapot, ik wil mijn geld terug voor {order}."],
        "change_shipping_address": ["Kunt u het bezorgadres van {order} wijzigen?"],
        "complaint": ["Ik ben erg ontevreden over de levering van {order}."],
    },
    "it": {
        "track_order": ["Dov'è il mio ordine {order}? Aspetto da {days} giorni."],
        "cancel_order": ["Vorrei annullare l'ordine {order}, per favore."],
        "get_refund": ["Il prodotto è arrivato rotto, voglio un rimborso per {order}."],
        "get_invoice": ["Potete inviarmi la fattura per l'ordine {order}?"],
        "complaint": ["Sono molto insoddisfatto, il pacco {order} era danneggiato."],
    },
}
LANG_OF_COUNTRY = {"DE": "de", "FR": "fr", "ES": "es", "NL": "nl", "IT": "it"}
SUBJECTS = {
    "ORDER": ["Order {order}", "My order", "Question about an order", ""],
    "DELIVERY": ["Delivery", "Delivery question", ""],
    "REFUND": ["Refund", "Refund for {order}", "Money back", ""],
    "PAYMENT": ["Payment problem", "Charged twice", "Payment", ""],
    "INVOICE": ["Invoice", "Invoice request {order}", ""],
    "ACCOUNT": ["Account", "Login problem", "My account", ""],
    "SHIPPING_ADDRESS": ["Address change", "Delivery address", ""],
    "FEEDBACK": ["Feedback", "Complaint", "Not happy", ""],
    "CONTACT": ["Contact", "Help", ""],
    "NEWSLETTER": ["Newsletter", "Emails", ""],
    "CANCELLATION_FEE": ["Cancellation", ""],
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AGENT_REPLY = {
    "ORDER": "Thanks for getting in touch about your order. I've checked it and updated it as you asked.",
    "DELIVERY": "Thanks for your message. Your parcel is with the courier and should arrive within 2-3 working days.",
    "REFUND": "Thanks for your patience. Your refund has been processed and should reach your card within 5 working days.",
    "PAYMENT": "Sorry for the trouble with your payment. I've looked into it and corrected the charge.",
    "INVOICE": "Please find your invoice attached. Let us know if anything needs correcting.",
    "ACCOUNT": "I've updated your account as requested. You can sign in again now.",
    "SHIPPING_ADDRESS": "Done: the delivery address has been updated.",
    "FEEDBACK": "Thank you for telling us. I've passed this on to the team and we're sorry it wasn't right.",
    "CONTACT": "You can reach us here any time; an agent replies within one working day.",
    "NEWSLETTER": "Your e-mail preferences have been updated.",
    "CANCELLATION_FEE": "There's no fee for cancelling an order before it has been dispatched.",
}


def _lower(text: str) -> str:
    """Lower-case, but leave order numbers as written."""
    return " ".join(w if any(ch.isdigit() for ch in w) else w.lower() for w in text.split())


ANGRY_OK = {
    "complaint",
    "payment_issue",
    "track_order",
    "track_refund",
    "get_refund",
    "delivery_period",
    "cancel_order",
    "contact_human_agent",
    "recover_password",
    "registration_problems",
}
INTENT_SUBJECTS = {
    "complaint": ["Complaint", "Not happy", ""],
    "review": ["Feedback", "Review", ""],
}


def _style(text: str, style: str, r: np.random.Generator) -> str:
    if style == "terse":
        words = text.rstrip(".!?").split()
        keep = [
            w
            for w in words
            if w.lower()
            not in {"please", "i'd", "like", "to", "the", "you", "can", "my", "a", "is"}
        ]
        return _lower(" ".join(keep[: max(3, len(keep) - 2)]))
    if style == "angry":
        extra = [
            "This is unacceptable!!",
            "Sort it out NOW.",
            "Worst service ever.",
            "I'm furious.",
        ]
        if r.random() < 0.3:
            return " ".join(w if any(ch.isdigit() for ch in w) else w.upper() for w in text.split())
        return f"{text} {extra[int(r.integers(len(extra)))]}"
    if style == "typos":
        words = text.split()
        for _ in range(max(1, len(words) // 5)):
            j = int(r.integers(len(words)))
            if not any(ch.isdigit() for ch in words[j]):
                words[j] = texts.typo(words[j], r)
        return _lower(" ".join(words))
    if style == "polite":
        openers = ["Hello,", "Hi there,", "Good morning,", "Dear team,"]
        closers = ["Many thanks.", "Thank you in advance.", "Kind regards."]
        return f"{openers[int(r.integers(4))]} {text} {closers[int(r.integers(3))]}"
    return text


def ticket_rows(sim: Any, r: np.random.Generator, n: int) -> list[dict[str, Any]]:
    """n tickets as plain dicts (order/customer by position in the simulated tables)."""
    intents = sorted(CATEGORY)
    w = np.array([WEIGHT.get(i, 1) for i in intents], float)
    w /= w.sum()
    N = len(sim.o_day)
    # tickets follow orders: more of them when more orders were placed
    which = r.integers(0, N, n)
    placed = sim.placed[which]
    delay = (r.exponential(3.0, n) + 0.05) * US_PER_DAY
    created = np.minimum(
        placed + delay.astype(np.int64), sim.anchor_us - r.integers(60, 7200, n) * 1_000_000
    )
    emails = sim.emails
    countries = list(sim.c["country"])
    from demo import vocab

    cnames = list(vocab.COUNTRIES)
    rows = []
    for k in range(n):
        o = int(which[k])
        cu = int(sim.o_cust[o])
        intent = intents[int(r.choice(len(intents), p=w))]
        lang = "en"
        if cu >= 0:
            home = cnames[int(countries[cu])]
            if home in LANG_OF_COUNTRY and r.random() < 0.7:
                lang = LANG_OF_COUNTRY[home]
        elif r.random() < 0.05:
            lang = str(r.choice(list(FOREIGN)))
        pool = FOREIGN.get(lang, {}).get(intent)
        if lang != "en" and not pool:
            lang = "en"
        pool = pool or EN[intent]
        line = sim.l_prod[np.searchsorted(sim.l_order, o)]
        fmt = {
            "order": sim.numbers[o],
            "product": str(sim.p["noun"][line]).lower(),
            "city": ["London", "Leeds", "Dublin", "Berlin", "Paris", "Bristol"][k % 6],
            "days": int(r.integers(3, 15)),
            "weekday": WEEKDAYS[int(r.integers(7))],
            "amount": f"£{sim.total[o]:.2f}",
        }
        body = pool[int(r.integers(len(pool)))].format(**fmt)
        style = "plain"
        if lang == "en":
            style = str(
                r.choice(
                    ["plain", "polite", "terse", "angry", "typos"], p=[0.3, 0.25, 0.2, 0.12, 0.13]
                )
            )
            if style == "angry" and intent not in ANGRY_OK:
                style = "plain"
            if intent == "complaint" and r.random() < 0.5:
                style = "angry"
            body = _style(body, style, r)
        cat = CATEGORY[intent]
        subj_pool = INTENT_SUBJECTS.get(intent, SUBJECTS[cat]) if lang == "en" else [""]
        subject = subj_pool[int(r.integers(len(subj_pool)))].format(**fmt)
        order_related = "{order}" in " ".join(EN[intent]) or intent in {"get_refund", "complaint"}
        rows.append(
            {
                "customer": cu,
                "order": o if order_related else -1,
                "email": emails[cu] if cu >= 0 else f"guest{o}@example.org",
                "subject": subject,
                "body": body,
                "created": int(created[k]),
                "intent": intent,
                "category": cat,
                "language": lang,
                "style": style,
            }
        )
    return rows


def tickets_write(*, sim: Any, base: dict[str, int], progress: Callable[[str], None]) -> int | None:
    try:
        from support.ml.pii import redact
        from support.ml.triage import INTENT_QUEUE
        from support.models import Message, Queue, SatisfactionRating, Ticket
    except ImportError:
        return None
    from demo.models import GroundTruth
    from demo.writer import insert, next_id

    r = np.random.default_rng(np.random.SeedSequence(sim.seed).spawn(12)[10])
    n = {"small": 150, "medium": 2500, "large": 10000}.get(sim.scale_name, 500)
    rows = ticket_rows(sim, r, n)
    rows.sort(key=lambda x: x["created"])
    queues = dict(Queue.objects.values_list("slug", "pk"))
    age = (sim.anchor_us - np.array([x["created"] for x in rows])) / US_PER_DAY
    # The desk keeps up: everything older than two days is solved, and about half of the
    # latest tickets still wait (a queue of days-old tickets, not months-old strays).
    latest = np.arange(n) >= n - max(8, n // 100)
    solved = (age > 2.0) & ~(latest & (r.random(n) < 0.5))
    # SLA priorities from their own stream (the tickets' generator stays as it was); the desk
    # answers urgent and high tickets faster, not always fast enough
    sla_r = np.random.default_rng(np.random.SeedSequence([sim.seed, 5_1_4]))
    priority = sla_r.choice([1, 2, 3, 4], size=n, p=[0.05, 0.2, 0.6, 0.15])
    speed = np.select([priority == 1, priority == 2, priority == 3], [0.05, 0.2, 0.5], 1.0)
    first_resp = (
        np.array([x["created"] for x in rows])
        + (r.exponential(0.4, n) * speed * US_PER_DAY).astype(np.int64)
        + 600_000_000
    )
    first_resp = np.minimum(first_resp, sim.anchor_us - 1)
    solved_at = np.minimum(
        first_resp + (r.exponential(1.0, n) * US_PER_DAY).astype(np.int64), sim.anchor_us - 1
    )
    ext = [f"demo-{sim.seed}-{i:06d}" for i in range(n)]
    base.setdefault("tickets", next_id(Ticket))
    base.setdefault("messages", next_id(Message))
    ml_text = [redact(f"{x['subject']}\n{x['body']}" if x["subject"] else x["body"]) for x in rows]
    t = {
        "customer": ("fk", "customers", np.array([x["customer"] for x in rows])),
        "order": ("fk", "orders", np.array([x["order"] for x in rows])),
        "contact_email": [x["email"] for x in rows],
        "subject": [x["subject"] or x["body"][:60] for x in rows],
        "channel": ["email" if i % 3 == 0 else "web" for i in range(n)],
        "external_id": ext,
        "status": ["solved" if s else "new" for s in solved.tolist()],
        "ml_text": ml_text,
        # agents confirmed the intent of solved tickets; open ones wait for triage
        "intent": [x["intent"] if s else "" for x, s in zip(rows, solved.tolist(), strict=True)],
        "language": [
            x["language"] if s else "" for x, s in zip(rows, solved.tolist(), strict=True)
        ],
        "queue": [
            queues.get(INTENT_QUEUE.get(x["intent"], "general")) if s else None
            for x, s in zip(rows, solved.tolist(), strict=True)
        ],
        "created_at": np.array([x["created"] for x in rows]),
        "updated_at": np.where(solved, solved_at, np.array([x["created"] for x in rows])),
        "first_response_at": np.where(solved, first_resp, -1),
        "solved_at": np.where(solved, solved_at, -1),
        **_sla_columns(
            priority=priority, rows=rows, solved=solved, first_resp=first_resp, solved_at=solved_at
        ),
    }
    count = insert(Ticket, t, id_base=base, key="tickets")
    # first message from the customer, an agent reply on solved tickets
    m_ticket = list(range(n)) + [i for i in range(n) if solved[i]]
    m_author = ["customer"] * n + ["agent"] * int(solved.sum())
    m_body = [x["body"] for x in rows] + [
        AGENT_REPLY[rows[i]["category"]] for i in range(n) if solved[i]
    ]
    m_time = np.r_[t["created_at"], first_resp[solved]]
    insert(
        Message,
        {
            "ticket": ("fk", "tickets", np.array(m_ticket)),
            "author": m_author,
            "body": m_body,
            "created_at": m_time,
        },
        id_base=base,
        key="messages",
    )
    base["ticket_truth"] = next_id(GroundTruth)
    insert(
        GroundTruth,
        {
            "kind": ["ticket"] * n,
            "key": ext,
            "value": [
                json.dumps({k: x[k] for k in ("intent", "category", "language", "style")})
                for x in rows
            ],
        },
        id_base=base,
        key="ticket_truth",
    )
    rated = _ratings_write(
        model=SatisfactionRating,
        r=r,
        rows=rows,
        t=t,
        solved=solved,
        solved_at=solved_at,
        anchor_us=sim.anchor_us,
        base=base,
    )
    progress(
        f"  wrote {count:>9,} support tickets ({int(solved.sum()):,} solved, {n - int(solved.sum())} open)"
        f", {rated:,} rated"
    )
    return count


def _sla_columns(
    *,
    priority: np.ndarray,
    rows: list[dict[str, Any]],
    solved: np.ndarray,
    first_resp: np.ndarray,
    solved_at: np.ndarray,
) -> dict[str, Any]:
    """Priority and SLA fields as the help desk would have kept them: due times from the
    shipped policies (business hours for normal and low), the agent's reply as the first
    reply, the solve stopping the resolution clock. Open demo tickets have no reply yet."""
    from django.utils import timezone

    from support.models import SlaPolicy
    from support.sla import clock_add

    zone = timezone.get_default_timezone()
    policies = {p.priority: p for p in SlaPolicy.objects.all()}

    def us(moment: Any) -> int:
        return int(moment.timestamp() * 1_000_000)

    first_due, resolution_due = [], []
    for x, prio in zip(rows, priority.tolist(), strict=True):
        policy = policies.get(prio)
        if policy is None:
            first_due.append(-1)
            resolution_due.append(-1)
            continue
        created = dt.datetime.fromtimestamp(x["created"] / 1_000_000, tz=dt.UTC)
        business = policy.business_hours
        first_due.append(
            us(
                clock_add(
                    created, policy.first_reply_target.total_seconds(), business=business, zone=zone
                )
            )
        )
        resolution_due.append(
            us(
                clock_add(
                    created, policy.resolution_target.total_seconds(), business=business, zone=zone
                )
            )
        )
    return {
        "priority": priority,
        "first_reply_due_at": np.array(first_due, dtype=np.int64),
        "resolution_due_at": np.array(resolution_due, dtype=np.int64),
        "first_replied_at": np.where(solved, first_resp, -1),
        "sla_paused_at": np.where(solved, solved_at, -1),
    }


GOOD_COMMENTS = [
    "Quick and friendly, thank you.",
    "Solved in one reply.",
    "Thanks, that was exactly what I needed.",
]
BAD_COMMENTS = [
    "Took too long to get an answer.",
    "The answer did not match my question.",
    "I had to explain everything twice.",
]


def _ratings_write(
    *,
    model: Any,
    r: np.random.Generator,
    rows: list[dict[str, Any]],
    t: dict[str, Any],
    solved: np.ndarray,
    solved_at: np.ndarray,
    anchor_us: int,
    base: dict[str, int],
) -> int:
    """About a quarter of the shoppers whose ticket was solved answer "How did we do?"
    (a usual help-desk response rate), most of them happily; angry writers are harder to
    please. Demo tickets are all solved by agents, so no rating is for an automatic answer.
    A few English ratings carry a comment. Drawn last from the tickets' generator: the
    tickets themselves do not change."""
    from demo.writer import insert, next_id

    idx = np.flatnonzero(solved & (r.random(len(rows)) < 0.25))
    if len(idx) == 0:
        return 0
    angry = np.array([rows[i]["style"] == "angry" for i in idx], dtype=bool)
    good = r.random(len(idx)) < np.where(angry, 0.55, 0.9)
    rated_at = np.minimum(
        solved_at[idx] + (r.exponential(0.5, len(idx)) * US_PER_DAY).astype(np.int64),
        anchor_us - 1,
    )
    say = r.random(len(idx))
    pick = r.integers(0, 3, len(idx))
    comments = [
        (
            (GOOD_COMMENTS if g else BAD_COMMENTS)[int(k)]
            if rows[i]["language"] == "en" and c < 0.35
            else ""
        )
        for i, g, c, k in zip(idx.tolist(), good.tolist(), say.tolist(), pick.tolist(), strict=True)
    ]
    base.setdefault("ratings", next_id(model))
    return insert(
        model,
        {
            "ticket": ("fk", "tickets", idx),
            "score": ["good" if g else "bad" for g in good.tolist()],
            "comment": comments,
            "automatic": np.zeros(len(idx), dtype=bool),
            "queue": [t["queue"][i] for i in idx.tolist()],
            "intent": [t["intent"][i] for i in idx.tolist()],
            "created_at": rated_at,
            "updated_at": rated_at,
        },
        id_base=base,
        key="ratings",
    )
