"""Reads for support: ticket lists, the active triage model, the answer index, metrics."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from support.ml.auto_answer import AutoAnswerDecision, auto_answer_decision
from support.ml.language import detect_language
from support.ml.pii import redact
from support.ml.retrieval import AnswerRetriever
from support.models import (
    HelpArticle,
    Macro,
    Message,
    Queue,
    RoutingRule,
    SatisfactionRating,
    SlaAlert,
    SlaPolicy,
    Ticket,
    TriageFeedback,
)

logger = logging.getLogger(__name__)
CAPABILITY = "support"


def ticket_list_for_customer(*, customer_id: int) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer_id=customer_id)
        .select_related("queue", "satisfaction")
        .prefetch_related("messages")
        .order_by("-created_at", "-pk")
    )


def ticket_queue_counts() -> dict[str, Any]:
    from django.utils import timezone

    """Open tickets, open ones asking for a person, open ones nobody has answered yet (and
    when the oldest of them came in, or None), and tickets answered automatically."""
    open_ = ~Q(status=Ticket.Status.SOLVED)
    unanswered = open_ & Q(first_response_at__isnull=True)
    return Ticket.objects.aggregate(
        open=Count("pk", filter=open_),
        human=Count("pk", filter=open_ & Q(wants_human=True)),
        unanswered=Count("pk", filter=unanswered),
        oldest_unanswered=Min("created_at", filter=unanswered),
        auto=Count("pk", filter=Q(auto_replied=True)),
        overdue=Count("pk", filter=open_ & sla_breached_q(now=timezone.now())),
    )


def ticket_agent_queue() -> QuerySet[Ticket]:
    """Open tickets, most pressing first (priority, then oldest)."""
    return (
        Ticket.objects.exclude(status=Ticket.Status.SOLVED)
        .select_related("queue", "customer", "order")
        .order_by("priority", "created_at", "pk")
    )


def triager_active() -> tuple[Any, str] | None:
    """(SupportTriager, version label) of the active model, or None (fallback triage)."""
    from mlops import facade as mlops

    loaded = mlops.model_active_get(capability=CAPABILITY)
    if loaded is None:
        return None
    return loaded.artifact, loaded.label


def active_model_label() -> str | None:
    """'support-v3' for the active triage model, or None before one is trained. One uncached
    registry read, no artifact load (as fraud's panel does): the dashboard's query count stays
    fixed."""
    from mlops import facade as mlops

    version = mlops.model_active_version(capability=CAPABILITY)
    return f"{CAPABILITY}-v{version}" if version is not None else None


def routing_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(is_active=True).select_related("queue"))


def queue_by_slug(slug: str) -> Queue | None:
    return Queue.objects.filter(slug=slug).first()


# --- answer index: help articles plus past replies that solved a ticket ---------------------

_index_lock = threading.Lock()
_index: dict[str, Any] = {"key": None, "retriever": None, "docs": {}}


@dataclass(frozen=True)
class AnswerDoc:
    key: str  # "article:<id>" or "reply:<message id>"
    title: str
    body: str
    intent: str
    article_id: int | None


def _index_key() -> tuple[object, ...]:
    art = HelpArticle.objects.filter(is_published=True).aggregate(
        n=Count("pk"), t=Max("updated_at")
    )
    rep = Message.objects.filter(
        author=Message.Author.AGENT, ticket__status=Ticket.Status.SOLVED
    ).aggregate(n=Count("pk"), m=Max("pk"))
    return (art["n"], art["t"], rep["n"], rep["m"])


def answer_index() -> tuple[AnswerRetriever, dict[str, AnswerDoc]]:
    """TF-IDF index over published articles and the latest 2,000 solved agent replies,
    rebuilt in-process when either changes."""
    key = _index_key()
    with _index_lock:
        if _index["key"] == key and _index["retriever"] is not None:
            return _index["retriever"], _index["docs"]
    docs: dict[str, AnswerDoc] = {}
    for a in HelpArticle.objects.filter(is_published=True):
        docs[f"article:{a.pk}"] = AnswerDoc(f"article:{a.pk}", a.title, a.body, a.intent, a.pk)
    replies = (
        Message.objects.filter(author=Message.Author.AGENT, ticket__status=Ticket.Status.SOLVED)
        .annotate(intent=F("ticket__intent"), question=F("ticket__ml_text"))
        .order_by("-pk")[:2000]
    )
    for m in replies:
        # the indexed question and the reply shown are redacted: replies may quote addresses
        docs[f"reply:{m.pk}"] = AnswerDoc(
            f"reply:{m.pk}", m.question[:80], redact(m.body), m.intent, None
        )
    texts = []
    for d in docs.values():
        question = d.title if d.article_id else d.title
        texts.append(f"{question} {question} {d.body}")
    retriever = AnswerRetriever().fit(list(docs), texts, [d.intent for d in docs.values()])
    with _index_lock:
        _index.update(key=key, retriever=retriever, docs=docs)
    return retriever, docs


def answer_index_clear() -> None:
    with _index_lock:
        _index.update(key=None, retriever=None, docs={})


# --- training data and metrics ----------------------------------------------------------------


def labelled_tickets() -> list[tuple[str, str]]:
    """(redacted text, intent) for tickets whose intent an agent confirmed or corrected.

    Confirmed: the agent sent a reply (suggested or own) without correcting the intent, or the
    ticket was solved. The latest intent correction wins.
    """
    corrected: dict[int, str] = {}
    for fb in TriageFeedback.objects.filter(kind=TriageFeedback.Kind.INTENT).order_by(
        "created_at", "pk"
    ):
        corrected[fb.ticket_id] = fb.new_value
    rows = (
        Ticket.objects.filter(
            Q(pk__in=list(corrected))
            | Q(status=Ticket.Status.SOLVED)
            | Q(feedback__kind__in=["reply_accepted", "reply_edited", "reply_rejected"])
        )
        .exclude(ml_text="")
        .distinct()
        .values_list("pk", "ml_text", "intent")
    )
    out = []
    for pk, text, intent in rows:
        label = corrected.get(pk, intent)
        if label:
            out.append((text, label))
    return out


def support_metrics(*, days: int = 30) -> dict[str, Any]:
    """Admin metrics over the last ``days``: auto-resolved share, auto-reply precision (agent
    corrections of auto-replied tickets count as errors), median first response time."""
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    tickets = Ticket.objects.filter(created_at__gte=since)
    total = tickets.count()
    auto = tickets.filter(auto_replied=True)
    n_auto = auto.count()
    auto_wrong = (
        auto.filter(feedback__kind__in=[TriageFeedback.Kind.INTENT, TriageFeedback.Kind.QUEUE])
        .distinct()
        .count()
    )
    auto_solved = (
        auto.filter(status=Ticket.Status.SOLVED)
        .exclude(messages__author=Message.Author.AGENT)
        .count()
    )
    responded = tickets.filter(first_response_at__isnull=False)
    waits = sorted(
        (first - created).total_seconds()
        for created, first in responded.values_list("created_at", "first_response_at")
        if first is not None
    )
    median = waits[len(waits) // 2] if waits else None
    conf = tickets.exclude(intent_confidence=None).aggregate(a=Avg("intent_confidence"))["a"]
    return {
        "days": days,
        "tickets": total,
        "auto_replied": n_auto,
        "auto_replied_share": (n_auto / total) if total else None,
        "auto_resolved": auto_solved,
        "auto_resolved_share": (auto_solved / total) if total else None,
        "auto_reply_precision": ((n_auto - auto_wrong) / n_auto) if n_auto else None,
        "median_first_response_seconds": median,
        "mean_intent_confidence": conf,
        "open": tickets.exclude(status=Ticket.Status.SOLVED).count(),
    }


def ticket_triage_explanation(*, ticket: Ticket) -> list[str]:
    """Why the ticket got its intent, sentiment, priority, queue and (no) automatic answer, in
    agent words.

    Urgency and sentiment cues are re-read from the stored redacted text; the auto-answer and
    sentiment thresholds are the active model's when it is the version that triaged the ticket.
    """
    from support.ml.sentiment import sentiment_reason
    from support.ml.thresholds import NEVER
    from support.ml.triage import INTENT_QUEUE, reads_sentiment
    from support.ml.urgency import urgency_score

    lines = []
    conf = ticket.intent_confidence
    by = f"model {ticket.model_version}" if ticket.triage_source == "model" else "no model"
    if ticket.triage_source == "fallback":
        by = "no trained model: closest help article"
    lines.append(
        f"Intent {ticket.intent or '-'}: "
        + (f"{conf:.0%} confident" if conf is not None else "confidence not recorded")
        + f" ({by})."
    )
    active = triager_active() if ticket.triage_source == "model" else None
    same_model = active is not None and active[1] == ticket.model_version
    if ticket.triage_source == "model" and not reads_sentiment(ticket.language):
        why_sentiment = (
            f"not judged: the sentiment model reads English only and the customer wrote in "
            f"{ticket.language}"
        )
    elif ticket.triage_source == "model":
        why_sentiment = sentiment_reason(
            text=ticket.ml_text,
            label=ticket.sentiment,
            confidence=ticket.sentiment_confidence,
            min_confidence=(
                getattr(active[0], "sentiment_min_confidence", None)
                if active is not None and same_model
                else None
            ),
        )
        if ticket.sentiment == "negative" and (ticket.sentiment_confidence or 0) >= 0.5:
            why_sentiment += "; negative wording raises the priority"
    else:
        why_sentiment = "no trained model reads opinions" if ticket.triage_source else "not triaged"
    lines.append(f"Sentiment {ticket.sentiment or '-'}: {why_sentiment}.")
    cues = urgency_score(ticket.ml_text).cues if ticket.ml_text else ()
    sentiment = ticket.sentiment or "-"
    if ticket.sentiment_confidence is not None:
        sentiment += f" ({ticket.sentiment_confidence:.0%})"
    lines.append(
        f"Priority {ticket.get_priority_display()}: sentiment {sentiment}, "
        f"urgency {ticket.urgency:.2f}"
        + (f" from {', '.join(repr(c) for c in cues)}" if cues else " (no urgent wording)")
        + ("; a person was asked for" if ticket.wants_human else "")
        + "."
    )
    moved = ticket.feedback.filter(kind=TriageFeedback.Kind.QUEUE).order_by("-pk").first()
    queue = ticket.queue.name if ticket.queue else "none"
    if moved is not None:
        why = f"moved by an agent from {moved.old_value or 'none'}"
    elif ticket.escalated:
        why = "escalated: negative and urgent wording"
    elif ticket.queue and ticket.queue.slug == INTENT_QUEUE.get(ticket.intent):
        why = f"the usual queue for {ticket.intent}"
    else:
        why = "a routing rule"
    lines.append(f"Queue {queue}: {why}.")
    if ticket.auto_replied:
        lines.append("Answered automatically: confident intent and nothing required a person.")
    else:
        threshold = None  # unknown once another model version is active
        if active is not None and same_model:
            threshold = active[0].thresholds_.get(ticket.intent, NEVER)
        reasons = ticket_auto_answer_decision(ticket=ticket, threshold=threshold).reasons
        lines.append(
            "Not answered automatically" + (f": {'; '.join(reasons)}." if reasons else ".")
        )
    return lines


def ticket_auto_answer_decision(
    *, ticket: Ticket, threshold: float | None, allow_auto: bool = True
) -> AutoAnswerDecision:
    """The automatic-answer decision from what the ticket stored: intake acts on it, and the
    agent's explanation quotes its reasons (``threshold`` None: the model version that triaged
    is no longer active, so its threshold is not known)."""
    article = ticket.suggested_article
    reply_language = article.language if article is not None else None
    if article is None and ticket.suggested_reply:
        # a past agent reply carries no language tag: read it, so an English reply found for
        # a French ticket is not sent to it either
        reply_language = detect_language(ticket.suggested_reply).code
    return auto_answer_decision(
        intent=ticket.intent,
        intent_confidence=ticket.intent_confidence,
        threshold=threshold,
        wants_human=ticket.wants_human,
        escalated=ticket.escalated,
        model_triaged=ticket.triage_source == "model",
        allow_auto=allow_auto,
        has_reply=bool(ticket.suggested_reply),
        order_linked=ticket.order_id is not None,
        article_language=reply_language,
        language=ticket.language,
    )


# --- customer satisfaction ------------------------------------------------------------------

_RATING_SALT = "support.satisfaction-rating"


def satisfaction_token(*, ticket_id: int) -> str:
    """The signed token in a solved ticket's "How did we do?" links: it names the ticket and
    proves the link came from us, so rating needs no sign-in."""
    return signing.Signer(salt=_RATING_SALT).sign(str(ticket_id))


def satisfaction_ticket_for_token(*, token: str) -> Ticket | None:
    """The ticket a rating link names, or None for a forged or garbled token, or a ticket
    never solved (nothing to rate yet)."""
    try:
        ticket_id = int(signing.Signer(salt=_RATING_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return (
        Ticket.objects.filter(pk=ticket_id, solved_at__isnull=False)
        .select_related("satisfaction")
        .first()
    )


def ticket_solved_automatically(*, ticket: Ticket) -> bool:
    """Solved by the automatic answer alone: answered automatically and no agent replied."""
    return ticket.auto_replied and not ticket.messages.filter(author=Message.Author.AGENT).exists()


def _agent_replied() -> Exists:
    return Exists(Message.objects.filter(ticket=OuterRef("pk"), author=Message.Author.AGENT))


def _csat_row(label: str, good: int, bad: int, solved: int | None) -> dict[str, Any]:
    rated = good + bad
    return {
        "label": label,
        "good": good,
        "bad": bad,
        "ratings": rated,
        "csat": (good / rated) if rated else None,
        "solved": solved,
        "response_rate": (rated / solved) if solved else None,
    }


def _grouped(
    ratings: QuerySet[SatisfactionRating],
    solved: QuerySet[Ticket],
    *,
    rating_key: str,
    ticket_key: str,
    blank: str,
) -> list[dict[str, Any]]:
    good_bad = {
        row[rating_key]: (row["good"], row["bad"])
        for row in ratings.values(rating_key).annotate(
            good=Count("pk", filter=Q(score=SatisfactionRating.Score.GOOD)),
            bad=Count("pk", filter=Q(score=SatisfactionRating.Score.BAD)),
        )
    }
    solved_n = {
        row[ticket_key]: row["n"] for row in solved.values(ticket_key).annotate(n=Count("pk"))
    }
    rows = [
        _csat_row(str(key or blank), *good_bad.get(key, (0, 0)), solved_n.get(key, 0))
        for key in set(good_bad) | set(solved_n)
    ]
    # the groups with the most ratings first, then the most solved tickets
    return sorted(rows, key=lambda r: (-r["ratings"], -(r["solved"] or 0), r["label"]))


def satisfaction_report(*, days: int = 30, bad_limit: int = 50) -> dict[str, Any]:
    """CSAT (good / (good + bad)) for the tickets solved in the last ``days``: overall, by
    queue, by intent, automatic answer vs agent, each with its solved tickets and response
    rate (ratings / solved tickets); and the latest bad ratings with their comments.

    Ratings group by the queue and intent they were given in (the ticket may have moved
    since); solved tickets by their queue and intent now. A handful of aggregate queries."""
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    ratings = SatisfactionRating.objects.filter(ticket__solved_at__gte=since)
    solved = Ticket.objects.filter(solved_at__gte=since)
    by_how = _grouped(
        ratings,
        solved.annotate(
            automatic=ExpressionWrapper(
                Q(auto_replied=True) & ~Q(_agent_replied()), output_field=BooleanField()
            )
        ),
        rating_key="automatic",
        ticket_key="automatic",
        blank="",
    )
    for row in by_how:
        row["label"] = "Automatic answer" if row["label"] == "True" else "Agent"
    by_intent = _grouped(
        ratings, solved, rating_key="intent", ticket_key="intent", blank="No intent"
    )
    for row in by_intent:
        row["label"] = row["label"].replace("_", " ")  # "track order": wraps in a narrow column
    bad = (
        SatisfactionRating.objects.filter(score=SatisfactionRating.Score.BAD, updated_at__gte=since)
        .select_related("ticket", "queue", "agent")
        .order_by("-updated_at", "-pk")[:bad_limit]
    )
    return {
        "days": days,
        "overall": satisfaction_overall(days=days),
        "by_how": sorted(by_how, key=lambda r: r["label"]),
        "by_queue": _grouped(
            ratings, solved, rating_key="queue__name", ticket_key="queue__name", blank="No queue"
        ),
        "by_intent": by_intent,
        "bad": list(bad),
    }


def satisfaction_overall(*, days: int = 30) -> dict[str, Any]:
    """CSAT and response rate of the tickets solved in the last ``days`` (two queries)."""
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    counts = SatisfactionRating.objects.filter(ticket__solved_at__gte=since).aggregate(
        good=Count("pk", filter=Q(score=SatisfactionRating.Score.GOOD)),
        bad=Count("pk", filter=Q(score=SatisfactionRating.Score.BAD)),
    )
    solved = Ticket.objects.filter(solved_at__gte=since).count()
    return _csat_row("All tickets", counts["good"], counts["bad"], solved)


def auto_answer_satisfaction(*, days: int = 30) -> dict[str, Any]:
    """Good and bad ratings of tickets the automatic answer solved alone (last ``days``)."""
    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    counts = SatisfactionRating.objects.filter(
        automatic=True, ticket__solved_at__gte=since
    ).aggregate(
        good=Count("pk", filter=Q(score=SatisfactionRating.Score.GOOD)),
        bad=Count("pk", filter=Q(score=SatisfactionRating.Score.BAD)),
    )
    return _csat_row("Automatic answer", counts["good"], counts["bad"], None)


# --- SLA ------------------------------------------------------------------------------------

SLA_DUE_SOON = timedelta(hours=1)  # amber in the agents' list


def sla_policy(*, priority: int) -> SlaPolicy | None:
    return SlaPolicy.objects.filter(priority=priority).first()


def sla_policies() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.order_by("priority"))


def first_reply_breached_q(*, now: datetime) -> Q:
    """The first public reply came late, or is missing past its due time (a ticket solved
    without a reply is judged at its solve)."""
    due = F("first_reply_due_at")
    late_reply = Q(first_replied_at__gt=due)
    no_reply = Q(first_replied_at__isnull=True) & (
        Q(status=Ticket.Status.SOLVED, solved_at__gt=due)
        | (~Q(status=Ticket.Status.SOLVED) & Q(first_reply_due_at__lt=now))
    )
    return Q(first_reply_due_at__isnull=False) & (late_reply | no_reply)


def resolution_breached_q(*, now: datetime) -> Q:
    """Not solved by the due time; a stopped clock (waiting for the customer, solved) is
    judged at the moment it stopped."""
    due = F("resolution_due_at")
    stopped = Q(sla_paused_at__isnull=False, sla_paused_at__gt=due)
    running = Q(sla_paused_at__isnull=True) & (
        Q(status=Ticket.Status.SOLVED, solved_at__gt=due)
        | (~Q(status=Ticket.Status.SOLVED) & Q(resolution_due_at__lt=now))
    )
    return Q(resolution_due_at__isnull=False) & (stopped | running)


def sla_breached_q(*, now: datetime) -> Q:
    return first_reply_breached_q(now=now) | resolution_breached_q(now=now)


def sla_next_due() -> Case:
    """The due time an agent is racing now: the first reply while none was sent, then the
    resolution while its clock runs; null for solved tickets and stopped clocks."""
    return Case(
        When(status=Ticket.Status.SOLVED, then=Value(None)),
        When(
            first_replied_at__isnull=True,
            first_reply_due_at__isnull=False,
            then=F("first_reply_due_at"),
        ),
        When(sla_paused_at__isnull=True, then=F("resolution_due_at")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def tickets_sla_attention(
    tickets: QuerySet[Ticket], *, now: datetime, within: timedelta = SLA_DUE_SOON
) -> QuerySet[Ticket]:
    """Open tickets past a due time, or whose running target falls due within ``within``."""
    soon = Q(sla_next_due__lt=now + within)
    if "sla_next_due" not in tickets.query.annotations:  # the admin list has it already
        tickets = tickets.annotate(sla_next_due=sla_next_due())
    return tickets.exclude(status=Ticket.Status.SOLVED).filter(sla_breached_q(now=now) | soon)


def _pct(met: int, missed: int) -> float | None:
    return met / (met + missed) if met + missed else None


def _sla_counts(now: datetime) -> dict[str, Any]:
    fr_missed = first_reply_breached_q(now=now)
    res_missed = resolution_breached_q(now=now)
    stop = Coalesce("sla_paused_at", "solved_at")
    return {
        "first_met": Count(
            "pk",
            filter=Q(first_replied_at__isnull=False, first_replied_at__lte=F("first_reply_due_at")),
        ),
        "first_missed": Count("pk", filter=fr_missed),
        "resolution_met": Count(
            "pk",
            filter=Q(status=Ticket.Status.SOLVED, resolution_due_at__isnull=False)
            & Q(resolution_due_at__gte=stop),
        ),
        "resolution_missed": Count("pk", filter=res_missed),
        "tickets": Count("pk"),
        "replied": Count("pk", filter=Q(first_replied_at__isnull=False)),
    }


def _sla_row(label: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "tickets": row["tickets"],
        "first_met": row["first_met"],
        "first_missed": row["first_missed"],
        "first_pct": _pct(row["first_met"], row["first_missed"]),
        "resolution_met": row["resolution_met"],
        "resolution_missed": row["resolution_missed"],
        "resolution_pct": _pct(row["resolution_met"], row["resolution_missed"]),
        "replied": row["replied"],
    }


def sla_report(*, days: int = 30) -> dict[str, Any]:
    """SLA attainment of the tickets created in the last ``days`` that have targets: first
    reply and resolution met / (met + missed) overall, by priority and by queue (a target
    still running and not yet missed counts in neither), and the median time to the first
    public reply. Four aggregate queries and the policies, however many tickets."""
    from django.utils import timezone

    now = timezone.now()
    tickets = Ticket.objects.filter(
        created_at__gte=now - timedelta(days=days), first_reply_due_at__isnull=False
    )
    counts = _sla_counts(now)
    overall = _sla_row("All tickets", tickets.aggregate(**counts))
    labels = dict(Ticket._meta.get_field("priority").choices or [])
    by_priority = [
        _sla_row(str(labels.get(row["priority"], row["priority"])), row)
        for row in tickets.values("priority").annotate(**counts).order_by("priority")
    ]
    by_queue = sorted(
        (
            _sla_row(row["queue__name"] or "No queue", row)
            for row in tickets.values("queue__name").annotate(**counts).order_by()
        ),
        key=lambda r: (-r["tickets"], r["label"]),
    )
    median = None
    n = overall["replied"]
    if n:  # the middle wait, counted in the database (one row read)
        wait = ExpressionWrapper(
            F("first_replied_at") - F("created_at"), output_field=DurationField()
        )
        middle = (
            tickets.filter(first_replied_at__isnull=False)
            .annotate(wait=wait)
            .order_by("wait", "pk")
            .values_list("wait", flat=True)[n // 2]
        )
        median = middle.total_seconds()
    return {
        "days": days,
        "policies": sla_policies(),
        "overall": overall,
        "by_priority": by_priority,
        "by_queue": by_queue,
        "median_first_reply_seconds": median,
    }


# --- agent workspace --------------------------------------------------------------------------


def macros_for_ticket(*, ticket: Ticket) -> QuerySet[Macro]:
    """Active macros an agent may apply on the ticket: the global ones and its queue's."""
    return (
        Macro.objects.filter(is_active=True)
        .filter(Q(queue__isnull=True) | Q(queue_id=ticket.queue_id))
        .select_related("queue", "set_queue")
        .order_by("name", "pk")
    )


def ticket_get_for_staff(*, ticket_id: int) -> Ticket:
    """One ticket with its whole thread (internal notes included) for the staff API."""
    return (
        Ticket.objects.select_related("queue", "assignee", "order", "satisfaction")
        .prefetch_related("messages__agent")
        .get(pk=ticket_id)
    )


def ticket_list_for_staff() -> QuerySet[Ticket]:
    """Every ticket, the next promise to break first (Zendesk's "next SLA breach"), then
    priority and age; the annotation also serves the breached / due-soon filters."""
    return (
        Ticket.objects.select_related("queue", "assignee", "order", "satisfaction")
        .annotate(sla_next_due=sla_next_due())
        .order_by(F("sla_next_due").asc(nulls_last=True), "priority", "created_at", "pk")
    )


def sla_alert_candidates(
    *, now: datetime, ahead: timedelta, lookback: timedelta
) -> list[tuple[Ticket, str, datetime]]:
    """(ticket, target, due time) for the open tickets whose running target fell due since
    ``now - lookback`` or falls due before ``now + ahead``, and was not alerted on yet."""
    window = (now - lookback, now + ahead)
    open_ = Ticket.objects.exclude(status=Ticket.Status.SOLVED).select_related("queue", "assignee")
    first = open_.filter(first_replied_at__isnull=True, first_reply_due_at__range=window).exclude(
        sla_alerts__target=SlaAlert.Target.FIRST_REPLY
    )
    resolution = open_.filter(sla_paused_at__isnull=True, resolution_due_at__range=window).exclude(
        sla_alerts__target=SlaAlert.Target.RESOLUTION
    )
    out: list[tuple[Ticket, str, datetime]] = []
    for t in first.order_by("first_reply_due_at", "pk"):
        if (due := t.first_reply_due_at) is not None:  # always: filtered above
            out.append((t, SlaAlert.Target.FIRST_REPLY, due))
    for t in resolution.order_by("resolution_due_at", "pk"):
        if (due := t.resolution_due_at) is not None:
            out.append((t, SlaAlert.Target.RESOLUTION, due))
    return out


def sla_alert_recipients(*, ticket: Ticket) -> list[str]:
    """The assignee's address; nobody assigned: the addresses of the queue's active agents."""
    assignee = ticket.assignee
    if assignee is not None:
        return [assignee.email] if assignee.is_active and assignee.email else []
    if ticket.queue is None:
        return []
    return sorted(
        set(
            ticket.queue.agents.filter(is_active=True, is_staff=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def sla_alerts_recent(*, now: datetime, hours: int = 24, limit: int = 5) -> list[SlaAlert]:
    """The latest alerts on tickets still open (the dashboard's support panel): one query."""
    return list(
        SlaAlert.objects.filter(created_at__gte=now - timedelta(hours=hours))
        .exclude(ticket__status=Ticket.Status.SOLVED)
        .order_by("-created_at", "-pk")[:limit]
    )
