"""Agent views: queue by priority, triage with confidence, one-click suggested reply, metrics."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from storefront.admin_audit import AuditedActionsMixin
from support import selectors, services
from support.models import HelpArticle, Message, Queue, RoutingRule, Ticket, TriageFeedback


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("created_at", "author", "agent", "body")
    readonly_fields = ("created_at", "author", "agent", "body")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(AuditedActionsMixin):
    list_display = (
        "id",
        "subject",
        "priority",
        "status",
        "queue",
        "intent_with_confidence",
        "sentiment",
        "language",
        "escalated",
        "wants_human",
        "auto_replied",
        "created_at",
    )
    list_filter = ("status", "priority", "queue", "intent", "language", "auto_replied", "escalated")
    search_fields = ("subject", "=id", "contact_email", "order__number")
    ordering = ("priority", "created_at", "pk")
    list_select_related = ("queue",)
    inlines = [MessageInline]
    actions = ["send_suggested_reply", "mark_solved"]
    change_form_template = "admin/support/ticket/change_form.html"
    change_list_template = "admin/support/ticket/change_list.html"
    readonly_fields = (
        "customer",
        "order",
        "contact_email",
        "channel",
        "external_id",
        "ml_text",
        "intent_confidence",
        "sentiment",
        "sentiment_confidence",
        "urgency",
        "language",
        "language_confidence",
        "escalated",
        "wants_human",
        "triage_source",
        "model_version",
        "suggested_article",
        "suggested_reply",
        "auto_replied",
        "created_at",
        "first_response_at",
        "solved_at",
    )
    fieldsets = (
        (None, {"fields": ("subject", "status", "priority", "queue", "customer", "order")}),
        (
            "Triage",
            {
                "fields": (
                    "intent",
                    "intent_confidence",
                    "sentiment",
                    "sentiment_confidence",
                    "urgency",
                    "language",
                    "language_confidence",
                    "escalated",
                    "wants_human",
                    "triage_source",
                    "model_version",
                )
            },
        ),
        ("Suggested reply", {"fields": ("suggested_article", "suggested_reply", "auto_replied")}),
        (
            "Details",
            {
                "classes": ("collapse",),
                "fields": (
                    "contact_email",
                    "channel",
                    "external_id",
                    "ml_text",
                    "created_at",
                    "first_response_at",
                    "solved_at",
                ),
            },
        ),
    )

    @admin.display(description="intent (confidence)", ordering="intent")
    def intent_with_confidence(self, obj: Ticket) -> str:
        if not obj.intent:
            return "-"
        conf = f"{obj.intent_confidence:.0%}" if obj.intent_confidence is not None else "?"
        return f"{obj.intent} ({conf})"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return super().get_queryset(request).select_related("queue", "customer", "order")

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        # intent/queue edits are corrections: record them as feedback through the service
        if change and ("intent" in form.changed_data or "queue" in form.changed_data):
            old = Ticket.objects.get(pk=obj.pk)
            new_intent = obj.intent if "intent" in form.changed_data else None
            new_queue = obj.queue.slug if "queue" in form.changed_data and obj.queue else None
            obj.intent, obj.queue = old.intent, old.queue
            super().save_model(request, obj, form, change)
            try:
                services.ticket_triage_correct(
                    ticket_id=obj.pk,
                    agent_id=request.user.pk,
                    intent=new_intent,
                    queue_slug=new_queue,
                )
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        super().save_model(request, obj, form, change)

    def response_change(self, request: HttpRequest, obj: Ticket) -> HttpResponse:
        if "_send_suggestion" in request.POST:
            try:
                services.ticket_reply_send(ticket_id=obj.pk, agent_id=request.user.pk, body=None)
                self.message_user(request, "Suggested reply sent.", messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description="Send the suggested reply")
    def send_suggested_reply(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        sent = 0
        for ticket in queryset.exclude(suggested_reply=""):
            services.ticket_reply_send(ticket_id=ticket.pk, agent_id=request.user.pk, body=None)
            sent += 1
        self.message_user(request, f"Sent {sent} suggested replies.", messages.SUCCESS)

    @admin.action(description="Mark solved")
    def mark_solved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        for ticket in queryset:
            services.ticket_solve(ticket_id=ticket.pk)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "support_metrics": selectors.support_metrics()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(Queue)
class QueueAdmin(AuditedActionsMixin):
    list_display = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedActionsMixin):
    list_display = (
        "position",
        "intent",
        "language",
        "min_priority",
        "queue",
        "set_priority",
        "is_active",
    )
    list_editable = ("is_active",)
    list_select_related = ("queue",)


@admin.register(HelpArticle)
class HelpArticleAdmin(AuditedActionsMixin):
    list_display = ("title", "intent", "language", "is_published", "updated_at")
    list_filter = ("intent", "language", "is_published")
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}


@admin.register(TriageFeedback)
class TriageFeedbackAdmin(AuditedActionsMixin):
    list_display = ("ticket", "kind", "old_value", "new_value", "agent", "created_at")
    list_filter = ("kind",)
    readonly_fields = (
        "ticket",
        "agent",
        "kind",
        "old_value",
        "new_value",
        "reply_text",
        "created_at",
    )
