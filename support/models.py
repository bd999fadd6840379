"""Support tickets, threads, queues, routing rules, help articles and agent feedback."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from support.validation import validate_macro_body


class Queue(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="support_queues",
        help_text="staff who get this queue's SLA alerts for tickets nobody is assigned to",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Priority(models.IntegerChoices):
    # lower sorts first in the agent queue
    URGENT = 1, "urgent"
    HIGH = 2, "high"
    NORMAL = 3, "normal"
    LOW = 4, "low"


PRIORITY_BY_LABEL = {label: value for value, label in Priority.choices}


class RoutingRule(models.Model):
    """Intent / language / priority -> queue (and optionally a priority). Blank matches any.

    Rules are tried by ascending ``position``; the first match wins. Without a match the
    queue named by the intent's default mapping is used.
    """

    position = models.PositiveIntegerField(default=100)
    intent = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=5, blank=True)
    min_priority = models.IntegerField(
        choices=Priority.choices, null=True, blank=True, help_text="match this priority or higher"
    )
    queue = models.ForeignKey(Queue, related_name="rules", on_delete=models.CASCADE)
    set_priority = models.IntegerField(choices=Priority.choices, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        parts = [self.intent or "*", self.language or "*", self.get_min_priority_display() or "*"]
        return f"{' / '.join(parts)} -> {self.queue}"


class SlaPolicy(models.Model):
    """Service-level targets for one priority: the first public reply and the solve.

    With ``business_hours`` the targets count Monday to Friday, 09:00-17:00 in the store's
    time zone (settings.TIME_ZONE) only. The resolution clock stops while the ticket waits for
    the customer or is solved (support.services keeps the paused time on the ticket)."""

    priority = models.IntegerField(choices=Priority.choices, unique=True)
    first_reply_target = models.DurationField(help_text="e.g. 04:00:00 for 4 hours")
    resolution_target = models.DurationField(help_text="e.g. 2 00:00:00 for 2 days")
    business_hours = models.BooleanField(
        default=False, help_text="count Mon-Fri 09:00-17:00 only (store time zone)"
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"SLA {self.get_priority_display()}"


class HelpArticle(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="May use {order_number}, {order_status}, {refund_state}")
    intent = models.CharField(max_length=40, blank=True, db_index=True)
    language = models.CharField(max_length=5, default="en")
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new"
        TRIAGED = "triaged"
        WAITING = "waiting", "Waiting for customer"
        SOLVED = "solved"

    class Channel(models.TextChoices):
        WEB = "web", "Help form"
        API = "api"
        EMAIL = "email", "E-mail import"

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        related_name="tickets",
        on_delete=models.SET_NULL,
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, related_name="tickets", on_delete=models.SET_NULL
    )
    contact_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=200)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    external_id = models.CharField(max_length=100, blank=True, help_text="id in the import file")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NEW)
    # The only text ML ever sees: the subject and first message with PII redacted.
    ml_text = models.TextField(blank=True)

    intent = models.CharField(max_length=40, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    urgency = models.FloatField(default=0.0)
    language = models.CharField(max_length=5, blank=True)
    language_confidence = models.FloatField(null=True, blank=True)
    priority = models.IntegerField(choices=Priority.choices, default=Priority.NORMAL)
    escalated = models.BooleanField(default=False)
    wants_human = models.BooleanField(default=False)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, related_name="tickets", on_delete=models.SET_NULL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        on_delete=models.SET_NULL,
        help_text="the agent working on it; the first agent to reply takes it if nobody has",
    )
    triage_source = models.CharField(max_length=10, blank=True, help_text="model or fallback")
    model_version = models.CharField(max_length=40, blank=True)

    suggested_article = models.ForeignKey(
        HelpArticle, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    suggested_reply = models.TextField(blank=True)
    auto_replied = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)

    # SLA (support.services keeps these; breaches are derived on read, never stored)
    first_reply_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_replied_at = models.DateTimeField(
        null=True, blank=True, help_text="first public reply the customer received"
    )
    sla_paused_at = models.DateTimeField(
        null=True, blank=True, help_text="resolution clock stopped (waiting for customer/solved)"
    )
    sla_paused_seconds = models.FloatField(default=0.0, help_text="stopped time, around the clock")
    sla_paused_business_seconds = models.FloatField(
        default=0.0, help_text="stopped time, business hours"
    )

    class Meta:
        ordering = ["priority", "created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "priority", "created_at"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="ticket_unique_import_id",
            )
        ]

    def __str__(self) -> str:
        # no subject: str() ends up in admin log entries, and subjects may hold personal data
        return f"Ticket #{self.pk}"

    def first_reply_breached(self, now: datetime) -> bool:
        """The first reply came (or is still missing) after its due time."""
        due = self.first_reply_due_at
        if due is None:
            return False
        if self.first_replied_at is not None:
            return self.first_replied_at > due
        if self.status == self.Status.SOLVED:  # solved without a reply: judged at the solve
            return self.solved_at is not None and self.solved_at > due
        return now > due

    def resolution_breached(self, now: datetime) -> bool:
        """Not solved by its due time (the clock stops while paused: the pause's start counts)."""
        due = self.resolution_due_at
        if due is None:
            return False
        if self.sla_paused_at is not None:
            return self.sla_paused_at > due
        if self.status == self.Status.SOLVED:  # solved before SLAs were kept: its solve time
            return self.solved_at is not None and self.solved_at > due
        return now > due


class Message(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer"
        AGENT = "agent"
        BOT = "bot", "Automatic reply"
        # agents only: never shown or mailed to the shopper, never read by ML
        NOTE = "note", "Internal note"

    ticket = models.ForeignKey(Ticket, related_name="messages", on_delete=models.CASCADE)
    author = models.CharField(max_length=8, choices=Author.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} on #{self.ticket_id}"


class TriageFeedback(models.Model):
    """An agent's correction or verdict, used as a label in the next training run."""

    class Kind(models.TextChoices):
        INTENT = "intent", "Intent corrected"
        QUEUE = "queue", "Queue corrected"
        REPLY_ACCEPTED = "reply_accepted", "Suggested reply sent as is"
        REPLY_EDITED = "reply_edited", "Suggested reply edited"
        REPLY_REJECTED = "reply_rejected", "Own reply written"

    ticket = models.ForeignKey(Ticket, related_name="feedback", on_delete=models.CASCADE)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    old_value = models.CharField(max_length=80, blank=True)
    new_value = models.CharField(max_length=80, blank=True)
    reply_text = models.TextField(blank=True, help_text="PII-redacted final reply")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class SatisfactionRating(models.Model):
    """The shopper's "How did we do?" answer for a solved ticket (one per ticket; a re-rating
    within ``RERATE_DAYS`` of the first overwrites it).

    ``automatic``, ``agent``, ``queue`` and ``intent`` describe the solve the shopper rated,
    as it was when they rated it, so a ticket moved later still counts where it was solved.
    The comment is customer text: shown to agents, never logged, never used by ML.
    """

    class Score(models.TextChoices):
        GOOD = "good", "Good"
        BAD = "bad", "Bad"

    ticket = models.OneToOneField(Ticket, related_name="satisfaction", on_delete=models.CASCADE)
    score = models.CharField(max_length=4, choices=Score.choices)
    comment = models.TextField(max_length=2000, blank=True)
    automatic = models.BooleanField(help_text="solved by the automatic answer, no agent reply")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    queue = models.ForeignKey(
        Queue, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    intent = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        # no comment: str() ends up in admin log entries
        return f"{self.get_score_display()} rating on #{self.ticket_id}"


class Macro(models.Model):
    """A canned reply (Zendesk's macro, Help Scout's saved reply): text with placeholders and
    optional actions applied when the reply is sent. No queue: offered on every ticket."""

    class SetStatus(models.TextChoices):
        TRIAGED = "triaged", "Open (back to the agents)"
        WAITING = "waiting", "Waiting for customer"
        SOLVED = "solved", "Solved"

    name = models.CharField(max_length=80)
    queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        related_name="macros",
        on_delete=models.CASCADE,
        help_text="offered on this queue's tickets only; empty: on every ticket",
    )
    body = models.TextField(
        validators=[validate_macro_body],
        help_text="May use {{customer_first_name}}, {{order_number}}, {{agent_name}}, "
        "{{ticket_id}}",
    )
    set_status = models.CharField(
        max_length=8,
        choices=SetStatus.choices,
        blank=True,
        help_text="after sending; empty: waiting for customer, as any reply",
    )
    set_priority = models.IntegerField(choices=Priority.choices, null=True, blank=True)
    set_queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        verbose_name="move to queue",
    )
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class SlaAlert(models.Model):
    """One alert per ticket and target (first reply or resolution), sent when the target was
    breached or fell due within ``services.SLA_ALERT_AHEAD``; the row is the memory that it
    was sent, so the beat task never mails twice."""

    class Target(models.TextChoices):
        FIRST_REPLY = "first_reply", "first reply"
        RESOLUTION = "resolution", "resolution"

    ticket = models.ForeignKey(Ticket, related_name="sla_alerts", on_delete=models.CASCADE)
    target = models.CharField(max_length=12, choices=Target.choices)
    due_at = models.DateTimeField()
    breached = models.BooleanField(help_text="already past the due time when alerted")
    emailed = models.PositiveIntegerField(default=0, help_text="e-mails handed to the backend")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "SLA alert"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target"], name="sla_alert_once_per_target")
        ]

    def __str__(self) -> str:
        return f"SLA alert {self.target} on #{self.ticket_id}"
