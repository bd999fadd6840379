"""Agent views: queue by priority, triage with confidence, one-click suggested reply, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from storefront.admin_audit import AuditedActionsMixin
from support import selectors, services
from support.facade import duration_words
from support.macros import PLACEHOLDERS
from support.ml.triage import INTENTS
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
from support.sla import due_words, short_words, target_words

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices


class TicketStatusFilter(admin.SimpleListFilter):
    """Agents work the open tickets: the list opens on them, not on every ticket ever solved."""

    title = "status"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("open", "Open (not solved)"),
            *((str(v), str(label)) for v, label in Ticket.Status.choices),
            ("all", "All"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value() or "open"
        if value == "all":
            return queryset
        if value == "open":
            return queryset.exclude(status=Ticket.Status.SOLVED)
        return queryset.filter(status=value)

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("me", "Mine"), ("none", "Unassigned")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.value() == "me":
            return queryset.filter(assignee_id=request.user.pk)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    """Zendesk's "breached / due soon" view: what to answer before a promise is broken."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("attention", "Breached or due within 1 h"),
            ("breached", "Breached"),
            ("soon", "Due within 1 h"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        now = timezone.now()
        if self.value() == "attention":
            return selectors.tickets_sla_attention(queryset, now=now)
        if self.value() == "breached":
            return queryset.exclude(status=Ticket.Status.SOLVED).filter(
                selectors.sla_breached_q(now=now)
            )
        if self.value() == "soon":
            return selectors.tickets_sla_attention(queryset, now=now).exclude(
                selectors.sla_breached_q(now=now)
            )
        return queryset


def _sla_due_cell(ticket: Ticket, now: Any) -> tuple[str, str, str]:
    """(words, what, colour) for the list's due column: the target being raced now."""
    breached = ticket.first_reply_breached(now) or ticket.resolution_breached(now)
    if ticket.first_reply_due_at is None:
        return "-", "", ""
    if ticket.status == Ticket.Status.SOLVED:
        return ("missed", "SLA", "red") if breached else ("met", "SLA", "")
    if ticket.first_replied_at is None:
        due, what = ticket.first_reply_due_at, "first reply"
    elif ticket.sla_paused_at is None and ticket.resolution_due_at is not None:
        due, what = ticket.resolution_due_at, "resolution"
    else:  # the customer has the ball: the resolution clock stands still
        return ("overdue", "paused", "red") if breached else ("paused", "waiting", "")
    left = (due - now).total_seconds()
    colour = "red" if breached or left < 0 else "amber" if left < 3600 else ""
    return due_words(left), what, colour


_SLA_COLOURS = {"red": "color:#ba2121;font-weight:bold", "amber": "color:#b36b00;font-weight:bold"}


class TicketAdminForm(forms.ModelForm):
    # a pick list, not free text: a typo would be refused after the rest of the form saved
    intent = forms.ChoiceField(
        choices=[("", "-"), *((i, i) for i in INTENTS)],
        required=False,
        help_text="Correcting it moves the suggested reply to the right article and is a label "
        "for the next training run.",
    )

    class Meta:
        model = Ticket
        fields = ("subject", "status", "priority", "queue", "assignee", "intent")


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
        "assignee",
        "intent_with_confidence",
        "sentiment_with_confidence",
        "lang",
        "flags",
        "created",
        "due",
    )
    list_filter = (
        TicketStatusFilter,
        SlaFilter,
        AssigneeFilter,
        "priority",
        "queue",
        "intent",
        "sentiment",
        "language",
        "wants_human",
        "escalated",
        "auto_replied",
    )
    form = TicketAdminForm
    search_fields = ("subject", "=id", "contact_email", "order__number")
    ordering = ("priority", "created_at", "pk")
    list_select_related = ("queue", "assignee")
    inlines = [MessageInline]
    actions = ["assign_to_me", "send_suggested_reply", "mark_solved", "triage_again"]
    change_form_template = "admin/support/ticket/change_form.html"
    change_list_template = "admin/support/ticket/change_list.html"
    readonly_fields = (
        "sla_targets",
        "triage_explanation",
        "customer_rating",
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
        (
            None,
            {
                "fields": (
                    "subject",
                    "status",
                    "priority",
                    "queue",
                    "assignee",
                    "customer",
                    "order",
                    "sla_targets",
                    "customer_rating",
                )
            },
        ),
        (
            "Triage",
            {
                "fields": (
                    "triage_explanation",
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
        # "order status", not "order_status": a key with spaces wraps in a narrow column
        return f"{obj.intent.replace('_', ' ')} ({conf})"

    @admin.display(description="lang", ordering="language")
    def lang(self, obj: Ticket) -> str:
        return obj.language or "-"

    @admin.display(description="flags")
    def flags(self, obj: Ticket) -> str:
        # one column of words instead of three of red and green icons: the list fits 1280 px
        words = [
            label
            for on, label in (
                (obj.escalated, "escalated"),
                (obj.wants_human, "wants a person"),
                (obj.auto_replied, "auto-replied"),
            )
            if on
        ]
        return ", ".join(words) or "-"

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: Ticket) -> str:
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="sentiment", ordering="sentiment")
    def sentiment_with_confidence(self, obj: Ticket) -> str:
        # "negative" at 38% did not raise the priority; saying so keeps agents from trusting it
        if not obj.sentiment:
            return "-"
        if obj.sentiment_confidence is None:
            return obj.sentiment
        unsure = " unsure" if obj.sentiment_confidence < 0.5 else ""
        return f"{obj.sentiment} ({obj.sentiment_confidence:.0%}{unsure})"

    @admin.display(description="due", ordering="sla_next_due")
    def due(self, obj: Ticket) -> str:
        # the SLA and the first response share a column: the list still fits 1280 px
        now = timezone.now()
        words, what, colour = _sla_due_cell(obj, now)
        replied = obj.first_replied_at or obj.first_response_at
        if what == "first reply" or (replied is None and obj.status != Ticket.Status.SOLVED):
            response = f"waiting {duration_words((now - obj.created_at).total_seconds())}"
        elif replied is not None:
            response = f"after {duration_words((replied - obj.created_at).total_seconds())}"
        else:
            response = "no reply"
        if not what:
            return format_html("{}<br><small>first response {}</small>", words, response)
        return format_html(
            '<span class="sla-{}" style="{}">{}</span><br><small>{}, {}</small>',
            colour or "ok",
            _SLA_COLOURS.get(colour, ""),
            words,
            what,
            response.replace("after", "replied after"),
        )

    @admin.display(description="SLA")
    def sla_targets(self, obj: Ticket) -> str:
        if obj.pk is None or obj.first_reply_due_at is None:
            return "No SLA policy for this priority."
        now = timezone.now()
        policy = selectors.sla_policy(priority=obj.priority)
        lines = []
        if policy is not None:
            business = policy.business_hours
            lines.append(
                f"{obj.get_priority_display().capitalize()} priority: first reply within "
                f"{target_words(policy.first_reply_target.total_seconds(), business=business)}, "
                f"solved within "
                f"{target_words(policy.resolution_target.total_seconds(), business=business)}"
                + (" (Mon-Fri 09:00-17:00)." if business else " (around the clock).")
            )
        lines.append(
            _target_line(
                "First reply",
                obj.first_reply_due_at,
                met_at=obj.first_replied_at,
                breached=obj.first_reply_breached(now),
                now=now,
            )
        )
        if obj.resolution_due_at is not None:
            solved = obj.status == Ticket.Status.SOLVED
            breached = obj.resolution_breached(now)
            line = _target_line(
                "Resolution",
                obj.resolution_due_at,
                met_at=(obj.sla_paused_at or obj.solved_at) if solved else None,
                breached=breached,
                now=now,
            )
            if obj.sla_paused_at is not None and not solved:
                since = _local(obj.sla_paused_at)
                line = (
                    f"Resolution due {_local(obj.resolution_due_at)}: paused while waiting for "
                    f"the customer since {since}; the due time moves on by the pause when they "
                    "answer."
                    if not breached
                    else f"{line} Waiting for the customer since {since}."
                )
            lines.append(line)
        return format_html_join("", "<p style='margin:0 0 4px'>{}</p>", ((x,) for x in lines))

    @admin.display(description="customer rating")
    def customer_rating(self, obj: Ticket) -> str:
        rating = SatisfactionRating.objects.filter(ticket_id=obj.pk).first() if obj.pk else None
        if rating is None:
            return "not rated"
        how = "the automatic answer" if rating.automatic else "an agent's answer"
        when = timezone.localtime(rating.updated_at).strftime("%Y-%m-%d %H:%M")
        said = f": {rating.comment}" if rating.comment else ""
        return f"{rating.get_score_display()} for {how} ({when}){said}"

    @admin.display(description="why")
    def triage_explanation(self, obj: Ticket) -> str:
        if obj.pk is None:
            return "-"
        return format_html_join(
            "",
            "<p style='margin:0 0 4px'>{}</p>",
            ((line,) for line in selectors.ticket_triage_explanation(ticket=obj)),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return (
            super()
            .get_queryset(request)
            .select_related("queue", "customer", "order", "assignee")
            .annotate(sla_next_due=selectors.sla_next_due())
        )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # the next promise to break first (Zendesk's "next SLA breach"), then priority and
        # age; an annotation, so not in ``ordering`` (the admin checks only know fields)
        return [F("sla_next_due").asc(nulls_last=True), *self.ordering]

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        solving = change and "status" in form.changed_data and obj.status == Ticket.Status.SOLVED
        if solving:
            # the service solves it (solved time, the shopper's e-mail with the rating links,
            # ticket.solved): saved as solved first, it would find nothing left to do
            obj.status = form.initial["status"]
        # intent/queue edits are corrections: record them as feedback through the service
        if change and ("intent" in form.changed_data or "queue" in form.changed_data):
            old = Ticket.objects.get(pk=obj.pk)
            new_intent = (obj.intent or None) if "intent" in form.changed_data else None
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
        else:
            super().save_model(request, obj, form, change)
        if solving:
            services.ticket_solve(ticket_id=obj.pk)
            obj.status = Ticket.Status.SOLVED
        elif change and ("status" in form.changed_data or "priority" in form.changed_data):
            services.ticket_sla_refresh(ticket_id=obj.pk)  # due times follow the priority

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        ticket = Ticket.objects.select_related("customer__user").filter(pk=object_id).first()
        context: dict[str, Any] = {**(extra_context or {})}
        if ticket is not None:
            macros = list(selectors.macros_for_ticket(ticket=ticket))
            context["macros"] = macros
            chosen = request.GET.get("macro", "")
            macro = next((m for m in macros if str(m.pk) == chosen), None)
            if macro is not None:  # "Apply": the reply box holds the macro, filled for this ticket
                context["macro"] = macro
                context["macro_reply"] = services.macro_render(
                    macro=macro, ticket=ticket, agent_id=request.user.pk
                )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def response_change(self, request: HttpRequest, obj: Ticket) -> HttpResponse:
        if "_apply_macro" in request.POST:
            chosen = request.POST.get("_macro", "")
            if not chosen.isdigit():
                self.message_user(request, "Choose a macro to apply.", messages.ERROR)
                return HttpResponseRedirect(request.path)
            return HttpResponseRedirect(f"{request.path}?macro={chosen}#ticket-reply")
        if "_add_note" in request.POST:
            try:
                services.ticket_note_add(
                    ticket_id=obj.pk, agent_id=request.user.pk, body=request.POST.get("_note_body")
                )
                self.message_user(request, "Internal note added (agents only).", messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if "_send_suggestion" in request.POST:
            try:
                services.ticket_reply_send(ticket_id=obj.pk, agent_id=request.user.pk, body=None)
                self.message_user(request, "Suggested reply sent.", messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if "_send_reply" in request.POST or "_send_reply_solve" in request.POST:
            try:
                macro_id = request.POST.get("_macro_id", "")
                services.ticket_reply_send(
                    ticket_id=obj.pk,
                    agent_id=request.user.pk,
                    body=request.POST.get("_reply_body", ""),
                    solve="_send_reply_solve" in request.POST,
                    # the applied macro's actions (status, priority, queue) go with the reply
                    macro_id=int(macro_id) if macro_id.isdigit() else None,
                )
                solved = (
                    " and the ticket marked solved" if "_send_reply_solve" in request.POST else ""
                )
                self.message_user(request, f"Reply sent{solved}.", messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description="Send the suggested reply")
    def send_suggested_reply(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        sent = 0
        # a solved ticket would be reopened as "waiting" by a reply nobody asked for
        todo = queryset.exclude(suggested_reply="").exclude(status=Ticket.Status.SOLVED)
        for ticket in todo:
            services.ticket_reply_send(ticket_id=ticket.pk, agent_id=request.user.pk, body=None)
            sent += 1
        skipped = queryset.count() - sent
        note = f" ({skipped} skipped: solved or without a suggestion)" if skipped else ""
        self.message_user(request, f"Sent {sent} suggested replies{note}.", messages.SUCCESS)

    @admin.action(description="Assign to me")
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        n = 0
        for ticket in queryset:
            services.ticket_assign(ticket_id=ticket.pk, agent_id=request.user.pk)
            n += 1
        self.message_user(request, f"Assigned {n} tickets to you.", messages.SUCCESS)

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name != "assignee":
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        from django.contrib.auth import get_user_model

        # agents pick a colleague; adding or editing users belongs on the users page
        staff = get_user_model().objects.filter(is_staff=True, is_active=True)
        return db_field.formfield(queryset=staff.order_by("username"), required=False)

    @admin.action(description="Triage again with the current model")
    def triage_again(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        n = 0
        for ticket in queryset.exclude(status=Ticket.Status.SOLVED):
            services.ticket_retriage(ticket_id=ticket.pk)
            n += 1
        self.message_user(request, f"Triaged {n} open tickets again.", messages.SUCCESS)

    @admin.action(description="Mark solved")
    def mark_solved(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        n = 0
        for ticket in queryset.exclude(status=Ticket.Status.SOLVED):
            services.ticket_solve(ticket_id=ticket.pk)
            n += 1
        self.message_user(request, f"Marked {n} tickets solved.", messages.SUCCESS)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        metrics = selectors.support_metrics()
        metrics["median_first_response"] = duration_words(metrics["median_first_response_seconds"])
        csat = selectors.auto_answer_satisfaction(days=metrics["days"])
        overall = selectors.satisfaction_overall(days=metrics["days"])
        extra_context = {
            **(extra_context or {}),
            "support_metrics": metrics,
            "satisfaction": {"overall": overall, "automatic": csat},
        }
        return super().changelist_view(request, extra_context=extra_context)


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %H:%M")


def _target_line(label: str, due: Any, *, met_at: Any, breached: bool, now: Any) -> str:
    head = f"{label} due {_local(due)}"
    if met_at is not None:
        if breached:
            return f"{head}: missed, {short_words((met_at - due).total_seconds())} late."
        return f"{head}: met ({_local(met_at)})."
    return f"{head}: {'BREACHED, ' if breached else ''}{due_words((due - now).total_seconds())}."


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedActionsMixin):
    """The targets per priority, with how well they were kept (last 30 days) above them."""

    list_display = ("priority", "first_reply", "resolution", "business_hours")
    ordering = ("priority",)
    change_list_template = "admin/support/slapolicy/change_list.html"

    @admin.display(description="first reply within", ordering="first_reply_target")
    def first_reply(self, obj: SlaPolicy) -> str:
        return target_words(obj.first_reply_target.total_seconds(), business=obj.business_hours)

    @admin.display(description="solved within", ordering="resolution_target")
    def resolution(self, obj: SlaPolicy) -> str:
        return target_words(obj.resolution_target.total_seconds(), business=obj.business_hours)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        report = selectors.sla_report(days=30)
        report["median_first_reply"] = duration_words(report["median_first_reply_seconds"])
        report["time_zone"] = str(timezone.get_default_timezone())
        extra_context = {**(extra_context or {}), "sla": report}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(Queue)
class QueueAdmin(AuditedActionsMixin):
    list_display = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("agents",)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "agents":  # SLA alerts go to staff, never to shoppers' accounts
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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


class ScoreFilter(admin.SimpleListFilter):
    title = "rating"
    parameter_name = "score"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(v, str(label)) for v, label in SatisfactionRating.Score.choices]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SatisfactionRating]
    ) -> QuerySet[SatisfactionRating]:
        return queryset.filter(score=self.value()) if self.value() else queryset


class SolvedByFilter(admin.SimpleListFilter):
    title = "solved by"
    parameter_name = "solved_by"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("automatic", "Automatic answer"), ("agent", "Agent")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SatisfactionRating]
    ) -> QuerySet[SatisfactionRating]:
        if self.value() in ("automatic", "agent"):
            return queryset.filter(automatic=self.value() == "automatic")
        return queryset


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(AuditedActionsMixin):
    """Customer satisfaction: the report (last 30 days) above every rating, newest first.
    Ratings are the shoppers' words: agents read them, nobody edits them."""

    list_display = (
        "ticket_link",
        "score",
        "comment_text",
        "solved_by",
        "queue",
        "intent_words",
        "rated",
    )
    list_filter = (ScoreFilter, SolvedByFilter, "queue", "intent")
    list_select_related = ("ticket", "queue", "agent")
    search_fields = ("=ticket__id",)
    change_list_template = "admin/support/satisfactionrating/change_list.html"
    readonly_fields = (
        "ticket",
        "score",
        "comment",
        "automatic",
        "agent",
        "queue",
        "intent",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="ticket", ordering="ticket_id")
    def ticket_link(self, obj: SatisfactionRating) -> str:
        url = reverse("admin:support_ticket_change", args=[obj.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, obj.ticket_id)

    @admin.display(description="comment")
    def comment_text(self, obj: SatisfactionRating) -> str:
        return obj.comment or "-"

    @admin.display(description="solved by", ordering="automatic")
    def solved_by(self, obj: SatisfactionRating) -> str:
        if obj.automatic:
            return "automatic answer"
        return obj.agent.get_username() if obj.agent else "an agent"

    @admin.display(description="intent", ordering="intent")
    def intent_words(self, obj: SatisfactionRating) -> str:
        return obj.intent.replace("_", " ") or "-"

    @admin.display(description="rated", ordering="updated_at")
    def rated(self, obj: SatisfactionRating) -> str:
        return timezone.localtime(obj.updated_at).strftime("%Y-%m-%d %H:%M")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "report": selectors.satisfaction_report(days=30),
        }
        return super().changelist_view(request, extra_context=extra_context)


class MacroAdminForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = (
            "name",
            "queue",
            "body",
            "set_status",
            "set_priority",
            "set_queue",
            "is_active",
        )
        help_texts = {
            "body": "Placeholders: "
            + "; ".join(f"{{{{{name}}}}} = {what}" for name, what in PLACEHOLDERS.items())
            + ". Anything else in double braces is refused when you save.",
        }


@admin.register(Macro)
class MacroAdmin(AuditedActionsMixin):
    """Canned replies agents apply on a ticket: the text fills the reply box; the actions
    apply when the reply is sent."""

    form = MacroAdminForm
    list_display = ("name", "queue_words", "actions_words", "usage_count", "last_used", "is_active")
    list_filter = ("is_active", "queue")
    list_select_related = ("queue", "set_queue")
    search_fields = ("name", "body")
    readonly_fields = ("usage_count", "last_used_at")

    @admin.display(description="queue", ordering="queue__name")
    def queue_words(self, obj: Macro) -> str:
        return obj.queue.name if obj.queue else "all queues"

    @admin.display(description="actions on send")
    def actions_words(self, obj: Macro) -> str:
        words = []
        if obj.set_status:
            words.append(f"status: {obj.get_set_status_display()}")
        if obj.set_priority:
            words.append(f"priority: {obj.get_set_priority_display()}")
        if obj.set_queue:
            words.append(f"move to {obj.set_queue.name}")
        return ", ".join(words) or "-"

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, obj: Macro) -> str:
        if obj.last_used_at is None:
            return "never"
        return timezone.localtime(obj.last_used_at).strftime("%Y-%m-%d %H:%M")


@admin.register(SlaAlert)
class SlaAlertAdmin(AuditedActionsMixin):
    """What the SLA beat task alerted on (read only): the memory that keeps it to one e-mail
    per ticket and target."""

    list_display = ("ticket_link", "target", "breached", "due_at", "emailed", "created_at")
    list_filter = ("target", "breached")
    list_select_related = ("ticket",)
    readonly_fields = ("ticket", "target", "due_at", "breached", "emailed", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="ticket", ordering="ticket_id")
    def ticket_link(self, obj: SlaAlert) -> str:
        url = reverse("admin:support_ticket_change", args=[obj.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, obj.ticket_id)
