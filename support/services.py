"""Writes for support: create and triage tickets, route, suggest and send replies, feedback,
import, training. Ticket text reaches models, training sets and logs only after
`support.ml.pii.redact`; logs carry ids, labels and confidences, never text."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from storefront.emails import email_send
from support import selectors
from support.customer_text import customer_text, customer_texts
from support.macros import placeholders_fill
from support.ml.pii import redact
from support.ml.thresholds import NEVER
from support.ml.triage import INTENT_QUEUE, Triage, build_triage
from support.models import (
    PRIORITY_BY_LABEL,
    HelpArticle,
    Macro,
    Message,
    Priority,
    Queue,
    RoutingRule,
    SatisfactionRating,
    SlaAlert,
    SlaPolicy,
    Ticket,
    TriageFeedback,
)
from support.sla import clock_add, clock_seconds
from support.validation import MAX_SUBJECT_CHARS, clean_body, looks_binary
from webhooks import facade as webhooks

logger = logging.getLogger(__name__)

_ORDER_TOKEN_RE = re.compile(r"\b[A-Z0-9][A-Z0-9\-]{5,19}\b", re.IGNORECASE)


@dataclass(frozen=True)
class TriageOutcome:
    triage: Triage
    source: str  # "model" or "fallback"
    model_version: str
    threshold: float = NEVER  # the intent's auto-answer threshold (NEVER for the fallback)


# --- triage -------------------------------------------------------------------------------


def ticket_text_triage(*, text: str, allow_auto: bool = True) -> TriageOutcome:
    """Triage one redacted-or-raw text. Uses the active model; without one (or if it fails)
    the best-matching help article's intent, with no auto-reply (threshold never reached)."""
    clean = redact(text)
    active = selectors.triager_active()
    if active is not None:
        triager, label = active
        try:
            tri = triager.triage(clean, allow_auto=allow_auto)
            threshold = triager.thresholds_.get(tri.intent, NEVER)
            return TriageOutcome(tri, "model", label, threshold)
        except Exception:  # a broken artifact must not stop ticket intake
            logger.exception("support triage model %s failed; using fallback", label)
    retriever, docs = selectors.answer_index()
    hits = retriever.search(clean, k=1)
    intent = docs[hits[0].key].intent if hits else ""
    score = hits[0].score if hits else 0.0
    triage = build_triage(
        clean,
        intent=intent or "contact_customer_service",
        intent_confidence=min(score, 0.5),
        sentiment="neutral",
        sentiment_confidence=0.0,
        threshold=NEVER,
        allow_auto=False,
    )
    return TriageOutcome(triage, "fallback", "")


def _route(*, triage: Triage, priority: int) -> tuple[Queue | None, int]:
    for rule in selectors.routing_rules():
        if rule.intent and rule.intent != triage.intent:
            continue
        if rule.language and rule.language != triage.language:
            continue
        if rule.min_priority is not None and priority > rule.min_priority:
            continue
        return rule.queue, rule.set_priority or priority
    slug = "escalations" if triage.escalate else INTENT_QUEUE.get(triage.intent, "general")
    return selectors.queue_by_slug(slug) or selectors.queue_by_slug("general"), priority


# --- order facts and suggested replies ------------------------------------------------------


def _order_for_text(
    *, text: str, customer_id: int | None, order_number: str | None, email: str = ""
) -> Any:
    """The customer's order named in the form or the text (OrderInfo), or None. A shopper who
    is not signed in proves an order as shops usually ask: its number and the e-mail it was
    placed with."""
    from orders import facade as orders

    candidates = [order_number] if order_number else []
    candidates += [
        m.group(0) for m in _ORDER_TOKEN_RE.finditer(text) if any(c.isdigit() for c in m.group(0))
    ]
    for number in candidates[:6]:
        info = orders.order_get_by_number(number.strip().upper()) or orders.order_get_by_number(
            number.strip()
        )
        if info is None:
            continue
        # only the shopper's own order: never show one shopper's order to another
        own = customer_id is not None and info.customer_id == customer_id
        proven = bool(email.strip()) and info.email.casefold() == email.strip().casefold()
        if own or proven:
            return info
    return None


def _refund_state(info: Any) -> str:
    if info is None:
        return "we will check it for you"
    if info.refunded and info.refunded >= info.total:
        return f"refunded in full ({info.refunded} {info.currency})"
    if info.refunded and info.refunded > Decimal("0"):
        return f"partly refunded ({info.refunded} {info.currency} of {info.total})"
    if info.status == "refunded":
        return "refunded"
    return "no refund has been issued yet"


_ORDER_FACTS_RE = re.compile(r"\{(order_number|order_status|refund_state)\}")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")


def reply_fill(*, template: str, order: Any) -> str:
    """Fill an article's placeholders with the order's facts. Without an order, the sentences
    that state its facts are left out ("Order your order is ..." helps nobody)."""
    if order is None:
        template = " ".join(
            sentence
            for sentence in _SENTENCE_END_RE.split(template)
            if not _ORDER_FACTS_RE.search(sentence)
        )
    facts: dict[str, str] = defaultdict(str)
    facts.update(
        order_number=order.number if order else "your order",
        order_status=(order.status.replace("_", " ") if order else "being checked by our team"),
        refund_state=_refund_state(order),
    )
    try:
        return template.format_map(facts)
    except (ValueError, IndexError, KeyError):  # a stray brace in an agent-written article
        return template


def answer_suggestions(*, text: str, intent: str | None = None, k: int = 3) -> list[dict[str, Any]]:
    """Best help articles / past replies for the text (redacted before search)."""
    retriever, docs = selectors.answer_index()
    hits = retriever.search(redact(text), intent=intent, k=k)
    out = []
    for h in hits:
        d = docs[h.key]
        out.append(
            {
                "key": d.key,
                "title": d.title,
                "body": reply_fill(template=d.body, order=None),
                "article_id": d.article_id,
                "intent": d.intent,
                "score": round(h.score, 4),
            }
        )
    return out


# --- tickets ----------------------------------------------------------------------------------


def _clean_subject(subject: object, body: str) -> str:
    if subject is None or (isinstance(subject, str) and not subject.strip()):
        return body.splitlines()[0][:MAX_SUBJECT_CHARS]
    if not isinstance(subject, str):
        raise ValidationError({"subject": ["Subject must be text."]})
    subject = subject.strip()
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ValidationError(
            {"subject": [f"Subject is longer than {MAX_SUBJECT_CHARS} characters."]}
        )
    clean_body(subject, field="subject")
    return subject


@transaction.atomic
def ticket_create(
    *,
    body: object,
    subject: object = None,
    customer_id: int | None = None,
    email: str = "",
    order_number: str | None = None,
    channel: str = Ticket.Channel.WEB,
    external_id: str = "",
    created_at: datetime | None = None,
    allow_auto: bool = True,
    notify: bool = True,
) -> Ticket:
    """Create a ticket with its first message and triage it synchronously.

    Raises ValidationError (nothing stored) on empty, oversized or binary text. The ticket is
    auto-answered only when the intent's confidence clears its threshold and nothing forbids it
    (asks for a person, negative or urgent, sensitive intent); otherwise it waits for an agent
    with a suggested reply. An automatic answer is e-mailed to the ticket's address unless
    ``notify=False`` (imported back-office mail).
    """
    text = clean_body(body)
    subj = _clean_subject(subject, text)
    full = f"{subj}\n{text}" if subj and not text.startswith(subj) else text
    outcome = ticket_text_triage(text=full, allow_auto=allow_auto)
    tri = outcome.triage
    priority = PRIORITY_BY_LABEL[tri.priority]
    queue, priority = _route(triage=tri, priority=priority)
    if tri.wants_human:  # as high as pressing "Talk to a person" later makes it
        priority = min(priority, Priority.HIGH)
    order = _order_for_text(
        text=full, customer_id=customer_id, order_number=order_number, email=email or ""
    )
    now = created_at or timezone.now()
    first_due, resolution_due = _sla_dues(priority=priority, created_at=now)
    ticket = Ticket.objects.create(
        customer_id=customer_id,
        order_id=order.id if order else None,
        contact_email=email or "",
        subject=subj,
        channel=channel,
        external_id=external_id,
        status=Ticket.Status.TRIAGED,
        ml_text=redact(full),
        intent=tri.intent,
        intent_confidence=tri.intent_confidence,
        sentiment=tri.sentiment,
        sentiment_confidence=tri.sentiment_confidence,
        urgency=tri.urgency,
        language=tri.language,
        language_confidence=tri.language_confidence,
        priority=priority,
        escalated=tri.escalate,
        wants_human=tri.wants_human,
        queue=queue,
        triage_source=outcome.source,
        model_version=outcome.model_version,
        created_at=now,
        first_reply_due_at=first_due,
        resolution_due_at=resolution_due,
    )
    Message.objects.create(ticket=ticket, author=Message.Author.CUSTOMER, body=text, created_at=now)
    _suggest(ticket=ticket, order=order, query=redact(full))
    # the same decision the agent's explanation quotes (selectors.ticket_triage_explanation)
    decision = selectors.ticket_auto_answer_decision(
        ticket=ticket, threshold=outcome.threshold, allow_auto=allow_auto
    )
    if decision.answer:
        _auto_reply(ticket=ticket, notify=notify)
    webhooks.event_emit(event="ticket.created", ticket_id=ticket.pk)
    logger.info(
        "ticket %s triaged intent=%s conf=%.3f queue=%s priority=%s source=%s auto=%s",
        ticket.pk,
        tri.intent,
        tri.intent_confidence,
        queue.slug if queue else "-",
        priority,
        outcome.source,
        ticket.auto_replied,
    )
    return ticket


def _suggest(*, ticket: Ticket, order: Any, query: str) -> None:
    retriever, docs = selectors.answer_index()
    hits = retriever.search(query, intent=ticket.intent or None, k=1)
    article_ids = [a for h in hits if (a := docs[h.key].article_id) is not None]
    article = None
    if article_ids:
        article = HelpArticle.objects.filter(pk=article_ids[0]).first()
    if article is None or article.intent != ticket.intent:
        # the intent's own article beats a lexical near-miss
        article = (
            HelpArticle.objects.filter(intent=ticket.intent, is_published=True).first() or article
        )
    if article is None and hits:
        ticket.suggested_reply = reply_fill(template=docs[hits[0].key].body, order=order)
    elif article is not None:
        ticket.suggested_article = article
        ticket.suggested_reply = reply_fill(template=article.body, order=order)
    ticket.save(update_fields=["suggested_article", "suggested_reply", "updated_at"])


def _order_info(ticket: Ticket) -> Any:
    from orders import facade as orders

    return orders.order_get(ticket.order_id) if ticket.order_id else None


def _auto_reply(*, ticket: Ticket, notify: bool = True) -> None:
    now = timezone.now()
    # the footer follows the ticket's language: the reply itself may be a French past reply
    footer = customer_text("footer", ticket.language)
    message = Message.objects.create(
        ticket=ticket, author=Message.Author.BOT, body=f"{ticket.suggested_reply}\n\n{footer}"
    )
    if notify:
        ticket_reply_email_on_commit(message_id=message.pk)
    ticket.auto_replied = True
    ticket.status = Ticket.Status.WAITING
    ticket.first_response_at = now
    if notify:  # the SLA's first reply is one the customer received (not an unsent import)
        ticket.first_replied_at = ticket.first_replied_at or now
    sla = _sla_update(ticket=ticket, now=now)
    ticket.save(
        update_fields=[
            "auto_replied",
            "status",
            "first_response_at",
            "first_replied_at",
            "updated_at",
            *sla,
        ]
    )


def _ticket_locked(ticket_id: int) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket_id)


@transaction.atomic
def ticket_human_request(*, ticket_id: int, customer_id: int | None) -> Ticket:
    """The customer asks for a person: always honoured, the ticket goes back to the agents."""
    ticket = _ticket_locked(ticket_id)
    if customer_id is not None and ticket.customer_id != customer_id:
        raise Ticket.DoesNotExist
    ticket.wants_human = True
    ticket.status = Ticket.Status.TRIAGED
    ticket.priority = min(ticket.priority, Priority.HIGH)
    sla = _sla_update(ticket=ticket, now=timezone.now())
    ticket.save(update_fields=["wants_human", "status", "priority", "updated_at", *sla])
    Message.objects.create(
        ticket=ticket,
        author=Message.Author.BOT,
        body=customer_text("human_taking_over", ticket.language),
    )
    return ticket


@transaction.atomic
def ticket_customer_reply(*, ticket_id: int, customer_id: int | None, body: object) -> Message:
    """The customer writes again: the ticket goes back to the agents (a solved one reopens).
    ``customer_id=None`` is a guest whose ticket the caller has already checked."""
    text = clean_body(body)
    ticket = _ticket_locked(ticket_id)
    if ticket.customer_id != customer_id:
        raise Ticket.DoesNotExist
    ticket.status = Ticket.Status.TRIAGED
    sla = _sla_update(ticket=ticket, now=timezone.now())
    ticket.save(update_fields=["status", "updated_at", *sla])
    return Message.objects.create(ticket=ticket, author=Message.Author.CUSTOMER, body=text)


@transaction.atomic
def ticket_reply_send(
    *,
    ticket_id: int,
    agent_id: int | None,
    body: str | None = None,
    solve: bool = False,
    macro_id: int | None = None,
) -> Message:
    """Send an agent reply; ``body=None`` sends the suggested reply as is (one click), or with
    ``macro_id`` the macro's text filled for this ticket. A macro's actions (status, priority,
    queue) apply with the reply and count as one use of it.

    Records whether the suggestion was accepted, edited or replaced (a training signal).
    """
    ticket = _ticket_locked(ticket_id)
    macro = _macro_for_ticket(macro_id=macro_id, ticket=ticket) if macro_id is not None else None
    suggested = ticket.suggested_reply.strip()
    if body is None and macro is not None:
        body = macro_render(macro=macro, ticket=ticket, agent_id=agent_id)
    text = clean_body(suggested if body is None else body)
    if suggested:
        if text == suggested:
            kind = TriageFeedback.Kind.REPLY_ACCEPTED
        elif difflib.SequenceMatcher(None, text, suggested).ratio() >= 0.5:
            kind = TriageFeedback.Kind.REPLY_EDITED
        else:
            kind = TriageFeedback.Kind.REPLY_REJECTED
        TriageFeedback.objects.create(
            ticket=ticket,
            agent_id=agent_id,
            kind=kind,
            old_value=ticket.suggested_article.slug if ticket.suggested_article else "",
            reply_text=redact(text),
        )
    message = Message.objects.create(
        ticket=ticket, author=Message.Author.AGENT, agent_id=agent_id, body=text
    )
    now = timezone.now()
    after = Ticket.Status.WAITING
    if macro is not None:
        solve = solve or macro.set_status == Macro.SetStatus.SOLVED
        if macro.set_status == Macro.SetStatus.TRIAGED:
            after = Ticket.Status.TRIAGED
        ticket.priority = macro.set_priority or ticket.priority  # before the SLA update
        ticket.queue_id = macro.set_queue_id or ticket.queue_id
        Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=now)
    if solve and ticket.status != Ticket.Status.SOLVED:
        webhooks.event_emit(event="ticket.solved", ticket_id=ticket.pk)
    ticket.first_response_at = ticket.first_response_at or now
    ticket.first_replied_at = ticket.first_replied_at or now  # a public reply meets the SLA
    ticket.status = Ticket.Status.SOLVED if solve else after
    ticket.solved_at = now if solve else ticket.solved_at
    ticket.assignee_id = ticket.assignee_id or agent_id  # who answers first owns the follow-up
    sla = _sla_update(ticket=ticket, now=now)
    ticket.save(
        update_fields=[
            "first_response_at",
            "first_replied_at",
            "status",
            "solved_at",
            "assignee",
            "priority",
            "queue",
            "updated_at",
            *sla,
        ]
    )
    ticket_reply_email_on_commit(message_id=message.pk)
    return message


# --- reply e-mails ----------------------------------------------------------------------------


def ticket_reply_email_on_commit(*, message_id: int) -> None:
    """E-mail an agent's or the automatic reply after commit; a broker or mail failure is
    logged and never undoes the reply (``robust``)."""
    from support.tasks import ticket_reply_email_send_task

    transaction.on_commit(
        lambda: ticket_reply_email_send_task.delay(message_id=message_id), robust=True
    )


def ticket_reply_email_send(*, message_id: int) -> bool:
    """Send one reply to the ticket's own address (the one given on the form or import, else
    the customer's account e-mail), with a link to the help page to answer there.

    The mail carries the reply as written (it goes to the person who wrote in; only ML
    copies are redacted). No address, no mail. A failure is logged by ticket id and
    exception type only and not raised. True when handed to the mail backend.
    """
    message = Message.objects.select_related("ticket__customer__user").filter(pk=message_id).first()
    # only what the shopper is meant to read: never their own words, never an internal note
    if message is None or message.author not in (Message.Author.AGENT, Message.Author.BOT):
        return False
    ticket = message.ticket
    address = _ticket_address(ticket)
    if not address:
        return False
    help_url = f"{settings.SITE_URL}/help/"
    # the mail's own lines in the ticket's language (English when not one of the store's)
    texts = customer_texts(ticket.language)
    automatic = message.author == Message.Author.BOT
    intro = texts["email_automatic_intro"] if automatic else texts["email_reply_intro"]
    context = {
        "ticket": ticket,
        "body": message.body,
        "automatic": automatic,
        "store_name": settings.STORE_NAME,
        "help_url": help_url,
        "hello": texts["email_hello"],
        "intro": intro.format(subject=ticket.subject),
        "answer_on_help_page": texts["email_answer_on_help_page"].format(help_url=help_url),
        "sign_in": texts["email_sign_in"],
        "signature": texts["email_signature"].format(store_name=settings.STORE_NAME),
        "request_label": texts["email_request"],
        # the reply that solves the ticket asks how we did (still solved when it is sent)
        "rating": _rating_links(ticket) if ticket.status == Ticket.Status.SOLVED else None,
    }
    return email_send(
        subject=f"Re: {ticket.subject} [#{ticket.pk}]",
        template="support/email/ticket_reply.txt",
        context=context,
        to=address,
        what=f"ticket {ticket.pk}: reply",
    )


def _ticket_address(ticket: Ticket) -> str:
    """The ticket's own address (given on the form or import), else the account e-mail."""
    customer = ticket.customer
    user = customer.user if customer else None
    return ticket.contact_email or (user.email if user else "")


def _rating_links(ticket: Ticket) -> dict[str, str]:
    """The "How did we do? Good / Bad" lines, in the ticket's language: signed links that
    open the rating page with the score chosen (nothing is recorded until it is sent)."""
    texts = customer_texts(ticket.language)
    url = f"{settings.SITE_URL}/help/rate/{selectors.satisfaction_token(ticket_id=ticket.pk)}/"
    return {
        "question": texts["rating_question"],
        "good": texts["rating_good"],
        "bad": texts["rating_bad"],
        "good_url": f"{url}?score=good",
        "bad_url": f"{url}?score=bad",
    }


def ticket_solved_email_send(*, ticket_id: int) -> bool:
    """Tell the shopper their ticket is solved and ask how we did (marked solved without a
    reply, e.g. after an automatic answer). Not sent if it was reopened in the meantime.
    Logged by ticket id only; True when handed to the mail backend."""
    ticket = Ticket.objects.select_related("customer__user").filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Ticket.Status.SOLVED:
        return False
    address = _ticket_address(ticket)
    if not address:
        return False
    texts = customer_texts(ticket.language)
    help_url = f"{settings.SITE_URL}/help/"
    return email_send(
        subject=f"Re: {ticket.subject} [#{ticket.pk}]",
        template="support/email/ticket_solved.txt",
        context={
            "ticket": ticket,
            "hello": texts["email_hello"],
            "intro": texts["email_solved_intro"].format(subject=ticket.subject),
            "rating": _rating_links(ticket),
            "answer_on_help_page": texts["email_answer_on_help_page"].format(help_url=help_url),
            "sign_in": texts["email_sign_in"],
            "signature": texts["email_signature"].format(store_name=settings.STORE_NAME),
            "request_label": texts["email_request"],
        },
        to=address,
        what=f"ticket {ticket.pk}: solved",
    )


@transaction.atomic
def ticket_triage_correct(
    *,
    ticket_id: int,
    agent_id: int | None,
    intent: str | None = None,
    queue_slug: str | None = None,
) -> Ticket:
    """An agent fixes the intent and/or queue; stored as feedback for the next training run."""
    ticket = _ticket_locked(ticket_id)
    fields = ["updated_at"]
    if intent is not None and intent != ticket.intent:
        if intent not in INTENT_QUEUE:
            raise ValidationError({"intent": [f"Unknown intent {intent!r}."]})
        TriageFeedback.objects.create(
            ticket=ticket,
            agent_id=agent_id,
            kind="intent",
            old_value=ticket.intent,
            new_value=intent,
        )
        ticket.intent = intent
        fields.append("intent")
        if not ticket.auto_replied:
            # the reply suggested for the wrong intent would mislead the agent who fixed it
            _suggest(ticket=ticket, order=_order_info(ticket), query=ticket.ml_text)
    if queue_slug is not None and (ticket.queue is None or queue_slug != ticket.queue.slug):
        queue = selectors.queue_by_slug(queue_slug)
        if queue is None:
            raise ValidationError({"queue": [f"Unknown queue {queue_slug!r}."]})
        TriageFeedback.objects.create(
            ticket=ticket,
            agent_id=agent_id,
            kind="queue",
            old_value=ticket.queue.slug if ticket.queue else "",
            new_value=queue_slug,
        )
        ticket.queue = queue
        fields.append("queue")
    ticket.save(update_fields=fields)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket_id: int, agent_id: int | None) -> Ticket:
    """Give the ticket to an agent (``None``: back to the unassigned pile)."""
    ticket = _ticket_locked(ticket_id)
    ticket.assignee_id = agent_id
    ticket.save(update_fields=["assignee", "updated_at"])
    return ticket


@transaction.atomic
def ticket_retriage(*, ticket_id: int) -> Ticket:
    """Triage a stored ticket again with the active model (or the fallback): intent, sentiment,
    language, priority, queue and suggested reply. Never sends an automatic answer, and
    leaves an agent's queue correction in place. For tickets that came in untriaged (imports,
    demo data) or before a better model was trained."""
    ticket = _ticket_locked(ticket_id)
    outcome = ticket_text_triage(text=ticket.ml_text or ticket.subject, allow_auto=False)
    tri = outcome.triage
    priority = PRIORITY_BY_LABEL[tri.priority]
    queue, priority = _route(triage=tri, priority=priority)
    if ticket.feedback.filter(kind=TriageFeedback.Kind.QUEUE).exists():
        queue = ticket.queue
    ticket.intent = tri.intent
    ticket.intent_confidence = tri.intent_confidence
    ticket.sentiment = tri.sentiment
    ticket.sentiment_confidence = tri.sentiment_confidence
    ticket.urgency = tri.urgency
    ticket.language = tri.language
    ticket.language_confidence = tri.language_confidence
    ticket.priority = min(priority, Priority.HIGH) if ticket.wants_human else priority
    ticket.escalated = tri.escalate
    ticket.wants_human = ticket.wants_human or tri.wants_human
    ticket.queue = queue
    ticket.triage_source = outcome.source
    ticket.model_version = outcome.model_version
    if ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.TRIAGED
    _sla_update(ticket=ticket, now=timezone.now())  # a new priority moves the due times
    ticket.save()
    _suggest(ticket=ticket, order=_order_info(ticket), query=ticket.ml_text)
    return ticket


@transaction.atomic
def ticket_solve(*, ticket_id: int, notify: bool = True) -> Ticket:
    """Mark solved (stamps ``solved_at``). A ticket that was not solved already mails its
    shopper that it is solved, with the "How did we do?" links, unless ``notify=False``."""
    ticket = _ticket_locked(ticket_id)
    was_solved = ticket.status == Ticket.Status.SOLVED
    ticket.status = Ticket.Status.SOLVED
    ticket.solved_at = timezone.now()
    sla = _sla_update(ticket=ticket, now=ticket.solved_at)
    ticket.save(update_fields=["status", "solved_at", "updated_at", *sla])
    if not was_solved:
        webhooks.event_emit(event="ticket.solved", ticket_id=ticket_id)
    if notify and not was_solved:
        from support.tasks import ticket_solved_email_send_task

        transaction.on_commit(
            lambda: ticket_solved_email_send_task.delay(ticket_id=ticket_id), robust=True
        )
    return ticket


# --- SLA ------------------------------------------------------------------------------------

SLA_FIELDS = (
    "first_reply_due_at",
    "resolution_due_at",
    "sla_paused_at",
    "sla_paused_seconds",
    "sla_paused_business_seconds",
)
# the resolution clock stops while the customer has the ball (or the ticket is solved)
SLA_PAUSED_STATUSES = frozenset({Ticket.Status.WAITING, Ticket.Status.SOLVED})


def _sla_dues(
    *,
    priority: int,
    created_at: datetime,
    paused_seconds: float = 0.0,
    paused_business_seconds: float = 0.0,
) -> tuple[datetime | None, datetime | None]:
    """First-reply and resolution due times under the priority's policy (None without one).
    The resolution target is moved on by the time its clock was stopped."""
    policy: SlaPolicy | None = selectors.sla_policy(priority=priority)
    if policy is None:
        return None, None
    zone = timezone.get_default_timezone()
    business = policy.business_hours
    paused = paused_business_seconds if business else paused_seconds
    first = clock_add(
        created_at, policy.first_reply_target.total_seconds(), business=business, zone=zone
    )
    resolution = clock_add(
        created_at,
        policy.resolution_target.total_seconds() + paused,
        business=business,
        zone=zone,
    )
    return first, resolution


def _sla_update(*, ticket: Ticket, now: datetime) -> tuple[str, ...]:
    """Bring the ticket's SLA fields in line with its status and priority (in memory) and
    return their names for ``update_fields``. Entering waiting/solved stops the resolution
    clock; leaving it adds the stopped time, unless the clock stopped after the breach (a
    breach stays a breach). The due times are recomputed from the creation time, so raising
    the priority shortens them and lowering it lengthens them."""
    paused = ticket.status in SLA_PAUSED_STATUSES
    if paused and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    elif not paused and ticket.sla_paused_at is not None:
        since = ticket.sla_paused_at
        due = ticket.resolution_due_at
        if due is None or since < due:
            zone = timezone.get_default_timezone()
            ticket.sla_paused_seconds += clock_seconds(since, now, business=False, zone=zone)
            ticket.sla_paused_business_seconds += clock_seconds(
                since, now, business=True, zone=zone
            )
        ticket.sla_paused_at = None
    ticket.first_reply_due_at, ticket.resolution_due_at = _sla_dues(
        priority=ticket.priority,
        created_at=ticket.created_at,
        paused_seconds=ticket.sla_paused_seconds,
        paused_business_seconds=ticket.sla_paused_business_seconds,
    )
    return SLA_FIELDS


@transaction.atomic
def ticket_sla_refresh(*, ticket_id: int) -> Ticket:
    """Recompute the ticket's SLA after a change made outside the services (the admin form's
    status or priority)."""
    ticket = _ticket_locked(ticket_id)
    sla = _sla_update(ticket=ticket, now=timezone.now())
    ticket.save(update_fields=[*sla, "updated_at"])
    return ticket


# --- agent workspace: macros, internal notes, ticket changes -------------------------------


def _macro_for_ticket(*, macro_id: int, ticket: Ticket) -> Macro:
    macro = Macro.objects.filter(pk=macro_id, is_active=True).first()
    if macro is None:
        raise ValidationError({"macro": [f"No active macro {macro_id}."]})
    if macro.queue_id is not None and macro.queue_id != ticket.queue_id:
        raise ValidationError(
            {"macro": [f"Macro “{macro.name}” is for the {macro.queue} queue only."]}
        )
    return macro


def macro_placeholder_values(*, ticket: Ticket, agent_id: int | None) -> dict[str, str]:
    """What each placeholder says on this ticket, with the fallbacks a reply still reads
    well with ("Hi there," when the shopper gave no name)."""
    from django.contrib.auth import get_user_model

    customer = ticket.customer
    user = customer.user if customer else None
    first_name = (user.first_name.strip() if user else "") or "there"
    order = _order_info(ticket)
    agent = get_user_model().objects.filter(pk=agent_id).first() if agent_id else None
    agent_name = (agent.first_name.strip() or agent.get_username()) if agent else ""
    return {
        "customer_first_name": first_name,
        "order_number": order.number if order else "your order",
        "agent_name": agent_name or f"the {settings.STORE_NAME} team",
        "ticket_id": str(ticket.pk),
    }


def macro_render(*, macro: Macro, ticket: Ticket, agent_id: int | None) -> str:
    """The macro's text for this ticket, placeholders filled as plain text."""
    return placeholders_fill(
        macro.body, macro_placeholder_values(ticket=ticket, agent_id=agent_id)
    ).strip()


@transaction.atomic
def ticket_note_add(*, ticket_id: int, agent_id: int | None, body: object) -> Message:
    """An agent's internal note, for the other agents only: never e-mailed, never in the
    shopper's pages or API, never read by ML (training and retrieval read ``ml_text`` and
    agent replies, not notes). Not a reply: no SLA clock or status changes."""
    text = clean_body(body)
    ticket = _ticket_locked(ticket_id)
    message = Message.objects.create(
        ticket=ticket, author=Message.Author.NOTE, agent_id=agent_id, body=text
    )
    ticket.save(update_fields=["updated_at"])
    return message


@transaction.atomic
def ticket_update(
    *,
    ticket_id: int,
    agent_id: int | None,
    status: str | None = None,
    priority: int | None = None,
    queue_slug: str | None = None,
) -> Ticket:
    """An agent changes the status, priority and/or queue. A queue change is a triage
    correction (a label for the next training run, as in the admin); solving goes through
    ``ticket_solve`` (the shopper's "solved, how did we do?" e-mail); due times follow."""
    if status is not None and status not in Ticket.Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if priority is not None and priority not in Priority.values:
        raise ValidationError({"priority": [f"Unknown priority {priority!r}."]})
    if queue_slug is not None:
        ticket_triage_correct(ticket_id=ticket_id, agent_id=agent_id, queue_slug=queue_slug)
    ticket = _ticket_locked(ticket_id)
    if priority is not None:
        ticket.priority = priority
    solving = status == Ticket.Status.SOLVED and ticket.status != Ticket.Status.SOLVED
    if status is not None and not solving:
        ticket.status = status
    sla = _sla_update(ticket=ticket, now=timezone.now())
    ticket.save(update_fields=["priority", "status", "updated_at", *sla])
    return ticket_solve(ticket_id=ticket_id) if solving else ticket


# --- SLA breach alerts ----------------------------------------------------------------------

SLA_ALERT_AHEAD = timedelta(minutes=30)  # warn while there is still time to answer
# a breach older than this is not "new": an upgraded store is not mailed its whole backlog
SLA_ALERT_LOOKBACK = timedelta(hours=24)


def sla_alerts_send(*, now: datetime | None = None) -> int:
    """Alert on every open ticket whose first reply or resolution target was breached (in
    the last SLA_ALERT_LOOKBACK) or falls due within SLA_ALERT_AHEAD: an e-mail to the
    assignee, or to the queue's agents when nobody is assigned. Once per ticket and target
    (the SlaAlert row remembers), so running it every few minutes, or twice, is safe. The
    e-mail names the ticket by id and subject only: no customer text beyond that. Returns the
    number of new alerts."""
    now = now or timezone.now()
    made = 0
    for ticket, target, due in selectors.sla_alert_candidates(
        now=now, ahead=SLA_ALERT_AHEAD, lookback=SLA_ALERT_LOOKBACK
    ):
        try:
            with transaction.atomic():
                alert = SlaAlert.objects.create(
                    ticket=ticket, target=target, due_at=due, breached=due <= now, created_at=now
                )
        except IntegrityError:  # a concurrent run alerted on it first
            continue
        made += 1
        sent = sum(
            _sla_alert_email(alert=alert, ticket=ticket, to=address, now=now)
            for address in selectors.sla_alert_recipients(ticket=ticket)
        )
        if sent:
            SlaAlert.objects.filter(pk=alert.pk).update(emailed=sent)
        logger.info(
            "ticket %s SLA alert %s breached=%s emailed=%s", ticket.pk, target, alert.breached, sent
        )
    return made


def _sla_alert_email(*, alert: SlaAlert, ticket: Ticket, to: str, now: datetime) -> bool:
    from support.sla import due_words

    what = alert.get_target_display()
    state = "breached" if alert.breached else "due soon"
    return email_send(
        subject=f"SLA {state}: {what} on ticket #{ticket.pk}",
        template="support/email/sla_alert.txt",
        context={
            "ticket": ticket,
            "what": what,
            "state": state,
            "due": timezone.localtime(alert.due_at).strftime("%a %d %b %H:%M"),
            "when": due_words((alert.due_at - now).total_seconds()),
            "priority": ticket.get_priority_display(),
            "queue": ticket.queue.name if ticket.queue else "no queue",
            "assignee": ticket.assignee.get_username() if ticket.assignee else "nobody",
            "url": f"{settings.SITE_URL}/admin/support/ticket/{ticket.pk}/change/",
            "store_name": settings.STORE_NAME,
        },
        to=to,
        what=f"ticket {ticket.pk}: SLA alert",
    )


# --- customer satisfaction ----------------------------------------------------------------

RERATE_DAYS = 7  # a rating may be changed this long after the first one
MAX_COMMENT_CHARS = 2000


class RatingClosed(ValidationError):
    """The first rating is older than RERATE_DAYS: it can no longer be changed."""


def _clean_comment(comment: object) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ValidationError({"comment": ["Comment must be text."]})
    text = comment.strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError(
            {
                "comment": [
                    f"Comment is too long ({len(text)} characters, at most {MAX_COMMENT_CHARS})."
                ]
            }
        )
    if text and looks_binary(text):
        raise ValidationError({"comment": ["Comment looks like binary data, not text."]})
    return text


@transaction.atomic
def ticket_satisfaction_rate(
    *, ticket_id: int, score: str, comment: object = "", customer_id: int | None = None
) -> SatisfactionRating:
    """Record the shopper's "How did we do?" for a solved ticket; a re-rating within
    RERATE_DAYS of the first overwrites it, later ones raise RatingClosed.

    ``customer_id``: the signed-in shopper, whose ticket it must be (the e-mail link's signed
    token is its own proof: None). A "bad" for the automatic answer counts against it and
    reopens the ticket for the agents (escalations queue, flagged "wants a person") with the
    comment as an internal note. The comment is never logged."""
    if score not in SatisfactionRating.Score.values:
        raise ValidationError({"score": ['Choose "good" or "bad".']})
    text = _clean_comment(comment)
    ticket = _ticket_locked(ticket_id)
    if customer_id is not None and ticket.customer_id != customer_id:
        raise Ticket.DoesNotExist
    if ticket.solved_at is None:
        raise ValidationError(
            {"score": ["This request is not solved yet: you can rate it once it is."]}
        )
    now = timezone.now()
    rating = SatisfactionRating.objects.filter(ticket=ticket).first()
    if rating is not None and rating.created_at < now - timedelta(days=RERATE_DAYS):
        raise RatingClosed(
            {"score": [customer_text("rating_closed", "en", days=str(RERATE_DAYS))]},
            code="rating_closed",
        )
    if rating is None:
        rating = SatisfactionRating(ticket=ticket, created_at=now)
    if rating.pk is None or ticket.solved_at > rating.updated_at:
        # the solve being rated: kept when the ticket moves later (a reopen, say)
        rating.automatic = selectors.ticket_solved_automatically(ticket=ticket)
        last_agent = (
            ticket.messages.filter(author=Message.Author.AGENT, agent__isnull=False)
            .order_by("-created_at", "-pk")
            .values_list("agent_id", flat=True)
            .first()
        )
        rating.agent_id = None if rating.automatic else (last_agent or ticket.assignee_id)
        rating.queue_id = ticket.queue_id
        rating.intent = ticket.intent
    was_bad = rating.pk is not None and rating.score == SatisfactionRating.Score.BAD
    rating.score = score
    rating.comment = text
    rating.updated_at = now
    rating.save()
    reopened = False
    if score == SatisfactionRating.Score.BAD and rating.automatic:
        reopened = _reopen_after_bad_automatic(ticket=ticket, comment=text, again=was_bad)
    logger.info(
        "ticket %s rated %s automatic=%s reopened=%s",
        ticket.pk,
        score,
        rating.automatic,
        reopened,
    )
    return rating


def _reopen_after_bad_automatic(*, ticket: Ticket, comment: str, again: bool) -> bool:
    """Back to a person: the automatic answer did not help. The note tells the agent why."""
    if again and not comment:
        return False  # the same "bad" sent twice: one note and one reopen are enough
    note = "The customer rated the automatic answer Bad."
    note += f" Their comment: {comment}" if comment else " No comment given."
    Message.objects.create(ticket=ticket, author=Message.Author.NOTE, body=note)
    if ticket.status != Ticket.Status.SOLVED:
        return False
    ticket.status = Ticket.Status.TRIAGED
    ticket.wants_human = True
    ticket.priority = min(ticket.priority, Priority.HIGH)
    ticket.queue = selectors.queue_by_slug("escalations") or ticket.queue
    sla = _sla_update(ticket=ticket, now=timezone.now())
    ticket.save(update_fields=["status", "wants_human", "priority", "queue", "updated_at", *sla])
    return True


# --- e-mail-like import -----------------------------------------------------------------------

IMPORT_MAX_ROWS = 5000


def _import_rows(*, content: bytes | str, fmt: str) -> list[dict[str, Any]]:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError({"file": ["The file is not UTF-8 text."]}) from exc
    if fmt == "json":
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                {"file": [f"Invalid JSON: {exc.msg} (line {exc.lineno})."]}
            ) from exc
        if isinstance(data, dict):
            data = data.get("tickets", [])
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValidationError({"file": ["JSON must be a list of ticket objects."]})
        return data
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(content, newline=""))
        try:
            if not reader.fieldnames or "body" not in reader.fieldnames:
                raise ValidationError(
                    {"file": ["CSV needs a header row with at least a body column."]}
                )
            return list(reader)
        except csv.Error as exc:
            raise ValidationError({"file": [f"Not a readable CSV file: {exc}."]}) from exc
    raise ValidationError({"format": ["Use csv or json."]})


@transaction.atomic
def tickets_import(*, content: bytes | str, fmt: str) -> dict[str, int]:
    """Import e-mail-like tickets (columns: body, subject, email, order_number, external_id,
    created_at). All rows are checked first: one bad row rejects the file and stores nothing.
    Rows whose external_id was imported before are skipped, so re-running a file is safe."""
    rows = _import_rows(content=content, fmt=fmt)
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError({"file": [f"At most {IMPORT_MAX_ROWS} tickets per file."]})
    errors: list[str] = []
    checked: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        try:
            body = clean_body(row.get("body"))
            subject = _clean_subject(row.get("subject"), body)
            created = None
            if row.get("created_at"):
                created = parse_datetime(str(row["created_at"]))
                if created is None:
                    raise ValidationError({"created_at": ["Not an ISO 8601 date-time."]})
                if timezone.is_naive(created):
                    created = timezone.make_aware(created, UTC)
            checked.append(
                {
                    "body": body,
                    "subject": subject,
                    "email": str(row.get("email") or "")[:254],
                    "order_number": str(row.get("order_number") or "") or None,
                    "external_id": str(row.get("external_id") or "")[:100],
                    "created_at": created,
                }
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.append(f"row {n}: {field}: {' '.join(messages)}")
    if errors:
        raise ValidationError({"file": errors[:20]})
    created_n = skipped = 0
    for row in checked:
        if (
            row["external_id"]
            and Ticket.objects.filter(
                channel=Ticket.Channel.EMAIL, external_id=row["external_id"]
            ).exists()
        ):
            skipped += 1
            continue
        customer_id = _customer_for_email(row["email"])
        ticket_create(
            body=row["body"],
            subject=row["subject"],
            email=row["email"],
            customer_id=customer_id,
            order_number=row["order_number"],
            channel=Ticket.Channel.EMAIL,
            external_id=row["external_id"],
            created_at=row["created_at"],
            notify=False,  # a back-office import must not mail a backlog of old requests
        )
        created_n += 1
    return {"created": created_n, "skipped": skipped}


def _customer_for_email(email: str) -> int | None:
    if not email:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=email).select_related("customer").first()
    customer = getattr(user, "customer", None) if user else None
    return customer.pk if customer else None


# --- seed content and training ----------------------------------------------------------------


def help_content_seed() -> int:
    """Create the shipped queues, help articles and default routing (idempotent)."""
    from support.help_content import ARTICLES, QUEUES

    for slug, name, description in QUEUES:
        Queue.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
    created = 0
    for intent, slug, title, body in ARTICLES:
        _, was_created = HelpArticle.objects.get_or_create(
            slug=slug, defaults={"title": title, "body": body, "intent": intent}
        )
        created += was_created
    escalations = Queue.objects.get(slug="escalations")
    RoutingRule.objects.get_or_create(
        position=10, min_priority=Priority.URGENT, defaults={"queue": escalations}
    )
    return created


def support_model_train(*, force: bool = False) -> dict[str, object]:
    """Fit intent + sentiment models on the built-in seed texts plus every ticket an agent
    confirmed or corrected, choose per-intent auto-reply thresholds on a held-back 20%, and
    register/activate the model. Works on an empty store (seed data only)."""
    from django.conf import settings

    from mlops import facade as mlops
    from support.ml.minilm import STORE_MAX_LENGTH, MiniLMEncoder, default_model_dir
    from support.ml.text_model import TextClassifier
    from support.ml.triage import SupportTriager
    from support.seed_data import intent_examples, sentiment_examples

    seed_intents = intent_examples()
    store = [(redact(t), i) for t, i in selectors.labelled_tickets() if i in INTENT_QUEUE]
    texts = [t for t, _ in seed_intents] + [t for t, _ in store]
    labels = [i for _, i in seed_intents] + [i for _, i in store]
    sentiments = sentiment_examples()
    encoder = None
    if getattr(settings, "SUPPORT_USE_EMBEDDINGS", False) and default_model_dir() is not None:
        encoder = MiniLMEncoder(max_length=STORE_MAX_LENGTH)
    triager = SupportTriager(intent_model=TextClassifier(encoder=encoder)).fit(
        texts, labels, [t for t, _ in sentiments], [s for _, s in sentiments]
    )
    fingerprint = hashlib.sha256(
        "\n".join(f"{t}\t{i}" for t, i in zip(texts, labels, strict=True)).encode()
    ).hexdigest()
    metrics = {
        "validation_macro_f1": triager.validation_macro_f1_,
        "validation_accuracy": triager.validation_accuracy_,
        "validation_majority_accuracy": triager.validation_majority_accuracy_,
        "auto_intents": sum(1 for v in triager.thresholds_.values() if v < NEVER),
        "n_seed": len(seed_intents),
        "n_store": len(store),
    }
    info = mlops.model_version_register_and_activate(
        capability=selectors.CAPABILITY,
        artifact=triager,
        params=triager.params(),
        metrics=metrics,
        primary_metric="validation_macro_f1",
        higher_is_better=True,
        train_window=(None, timezone.now()),
        data_fingerprint=fingerprint,
        # validation sets differ between runs (new feedback), so scores are not comparable:
        # a sane model replaces the active one; the registry keeps the old one for rollback.
        # The activation gate (facade.activation_gate) still applies unless `force`.
        force=force,
        replace=triager.validation_macro_f1_ >= 0.6,
    )
    return {
        **metrics,
        "model_version": info.label,
        "activated": info.activated,
        "reason": info.reason,
    }
