"""Support triage as other apps see it: triage a text, suggest answers, train.

Without an active model, triage falls back to the best-matching help article's intent, with
no automatic reply (`source="fallback"`); answer suggestions only need the help articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mlops.facade import BaselineGate


@dataclass(frozen=True)
class TriageInfo:
    intent: str
    intent_confidence: float
    sentiment: str
    urgency: float
    language: str
    priority: str
    queue: str
    escalate: bool
    auto_reply_ok: bool
    source: Literal["model", "fallback"]
    model_version: str | None


@dataclass(frozen=True)
class AnswerSuggestion:
    title: str
    body: str
    article_id: int | None
    score: float
    source: Literal["model", "fallback"] = "fallback"
    model_version: str | None = None


@dataclass(frozen=True)
class AutoAnswerSatisfaction:
    """What shoppers said of the tickets the automatic answer solved alone (no agent reply):
    ``csat`` = good / (good + bad), None before any rating. A bad one reopened its ticket."""

    days: int
    good: int
    bad: int
    csat: float | None


def auto_answer_satisfaction(*, days: int = 30) -> AutoAnswerSatisfaction:
    """CSAT of automatic answers over the tickets solved in the last ``days``."""
    from support import selectors

    row = selectors.auto_answer_satisfaction(days=days)
    return AutoAnswerSatisfaction(days=days, good=row["good"], bad=row["bad"], csat=row["csat"])


@dataclass(frozen=True)
class TicketEventInfo:
    """What a webhook may say about a ticket: routing facts only. No message text, subject
    or e-mail: those are the shopper's words and address (personal data)."""

    id: int
    status: str
    channel: str
    queue: str | None  # the queue's slug
    intent: str
    priority: str  # urgent, high, normal, low
    language: str
    created_at: datetime
    solved_at: datetime | None


def ticket_event_info(*, ticket_id: int) -> TicketEventInfo | None:
    from support.models import Priority, Ticket

    t = Ticket.objects.select_related("queue").filter(pk=ticket_id).first()
    if t is None:
        return None
    return TicketEventInfo(
        id=t.pk,
        status=t.status,
        channel=t.channel,
        queue=t.queue.slug if t.queue else None,
        intent=t.intent,
        priority=str(Priority(t.priority).label),
        language=t.language,
        created_at=t.created_at,
        solved_at=t.solved_at,
    )


def ticket_triage(*, text: str) -> TriageInfo:
    """Triage a message without storing anything (text is PII-redacted first)."""
    from support.services import ticket_text_triage

    out = ticket_text_triage(text=text)
    t = out.triage
    return TriageInfo(
        intent=t.intent,
        intent_confidence=t.intent_confidence,
        sentiment=t.sentiment,
        urgency=t.urgency,
        language=t.language,
        priority=t.priority,
        queue=t.queue,
        escalate=t.escalate,
        auto_reply_ok=t.auto_reply_ok,
        source="model" if out.source == "model" else "fallback",
        model_version=out.model_version or None,
    )


def answers_suggest(*, text: str, limit: int = 3) -> list[AnswerSuggestion]:
    """Help articles or past replies matching the text, best first (TF-IDF retrieval)."""
    from support.services import answer_suggestions

    return [
        AnswerSuggestion(
            title=s["title"], body=s["body"], article_id=s["article_id"], score=s["score"]
        )
        for s in answer_suggestions(text=text, k=limit)
    ]


def train(*, force: bool = False) -> dict[str, object]:
    """Fit and register the triage model on seed texts plus agent-confirmed tickets; works on
    an empty store (built-in template data)."""
    from support.services import support_model_train

    return support_model_train(force=force)


def activation_gate() -> BaselineGate:
    """The registry's check before a new model triages tickets (mlops.gates): its intent
    accuracy on held-back examples must not be clearly below always answering the most
    common intent."""
    return BaselineGate(
        metric="validation_accuracy",
        baseline="validation_majority_accuracy",
        higher_is_better=True,
        subject="triage",
        fallback="matching help articles (fallback triage)",
        baseline_label="always the most common intent",
    )


def duration_words(seconds: float | None) -> str:
    """'2 d 3 h', '4 h 10 min', '12 min', '40 s': a help desk's way of saying how long."""
    if seconds is None:
        return "n/a"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if days:
        return f"{days} d {hours % 24} h"
    if hours:
        return f"{hours} h {minutes % 60} min"
    return f"{minutes} min"


def dashboard_panel() -> dict[str, Any]:
    """Figures for the store dashboard's support-queue panel; the link opens the agents' list
    of open tickets."""
    from django.utils import timezone

    from support import selectors

    counts = selectors.ticket_queue_counts()
    oldest = counts["oldest_unanswered"]
    label = selectors.active_model_label()
    alerts = selectors.sla_alerts_recent(now=timezone.now())
    return {
        "title": "Support queue",
        "items": {
            "Open tickets": counts["open"],
            "Asking for a person": counts["human"],
            "Waiting for a first reply": counts["unanswered"],
            "Longest wait for a first reply": (
                duration_words((timezone.now() - oldest).total_seconds()) if oldest else "-"
            ),
            "Overdue now (SLA)": counts["overdue"],
            # the beat task's alerts, as the agents were mailed them (ids only, no subjects)
            "SLA alerts (24 h)": ", ".join(
                f"#{a.ticket_id} {a.get_target_display()} "
                f"{'breached' if a.breached else 'due soon'}"
                for a in alerts
            )
            or "none",
            "Answered automatically": counts["auto"],
            "Triage": (
                f"model {label}"
                if label
                else "fallback: closest help article (no model trained yet)"
            ),
        },
        "url": "/admin/support/ticket/",
    }
