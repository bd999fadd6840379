"""Merchant views of outgoing webhooks: where order events go, a test event, and the
delivery log with "retry now". Saving goes through the services (URL and event checks,
the subscription cache)."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from storefront.admin_audit import AuditedActionsMixin
from storefront.api_errors import ServiceError
from webhooks import services
from webhooks.models import Event, Webhook, WebhookDelivery


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What your system is told about",
    )

    class Meta:
        model = Webhook
        fields = ["name", "target_url", "events", "is_active"]

    def clean_target_url(self) -> str:
        try:
            return services.webhook_url_clean(self.cleaned_data["target_url"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_events(self) -> list[str]:
        try:
            return services.webhook_events_clean(self.cleaned_data["events"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(Webhook)
class WebhookAdmin(AuditedActionsMixin):
    form = WebhookForm
    list_display = ["__str__", "target_url", "subscribed_to", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "target_url"]
    actions = ["send_test_event", "rotate_secret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # the secret exists once saved; receivers verify X-Mlstore-Signature with it
        return ["signing_secret", "delivery_log", "created_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("name", "target_url", "events", "is_active")
        return (*fields, "signing_secret", "delivery_log", "created_at") if obj else fields

    @admin.display(description="events")
    def subscribed_to(self, obj: Webhook) -> str:
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(e, e)) for e in obj.events) or "-"

    @admin.display(description="signing secret")
    def signing_secret(self, obj: Webhook) -> str:
        return format_html(
            "<code>{}</code><br><span class='help'>Your system checks each delivery with it: "
            "X-Mlstore-Signature is sha256= and the hex HMAC-SHA256 of X-Mlstore-Timestamp, "
            "a dot and the raw body. {}</span>",
            obj.secret,
            self._overlap_note(obj),
        )

    def _overlap_note(self, obj: Webhook) -> str:
        if obj.signing_secrets(timezone.now())[1:] and obj.previous_secret_expires_at:
            until = timezone.localtime(obj.previous_secret_expires_at)
            return (
                f"The previous secret also signs deliveries (a second sha256=) until "
                f"{until:%d %b %Y %H:%M}: switch your system to this one before then."
            )
        return ""

    @admin.display(description="deliveries")
    def delivery_log(self, obj: Webhook) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist") + f"?webhook__id__exact={obj.pk}"
        return format_html('<a href="{}">See what was sent and how it went</a>', url)

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        fields = {k: form.cleaned_data[k] for k in ("name", "target_url", "events", "is_active")}
        if change:
            saved = services.webhook_update(webhook_id=obj.pk, **fields)
        else:
            saved = services.webhook_create(**fields)
            self.message_user(
                request,
                "Webhook added. Its signing secret is on its page; give it to the receiving "
                "system, then send a test event.",
                messages.SUCCESS,
            )
        obj.pk, obj.secret = saved.pk, saved.secret
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Webhook) -> None:
        services.webhook_delete(webhook_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            services.webhook_delete(webhook_id=pk)

    @admin.action(description="Rotate the signing secret (the old one works 24 h more)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            rotated = services.webhook_secret_rotate(webhook_id=webhook.pk)
            self.message_user(
                request,
                format_html(
                    "{}: new signing secret <code>{}</code>. For 24 hours deliveries carry "
                    "both signatures; give your system the new secret before then.",
                    rotated,
                    rotated.secret,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Send a test event (ping)")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            delivery = services.webhook_ping(webhook_id=webhook.pk)
            delivery.refresh_from_db()
            if delivery.status == WebhookDelivery.Status.SUCCEEDED:
                self.message_user(request, f"{webhook}: test event delivered", messages.SUCCESS)
            elif delivery.attempts:
                self.message_user(
                    request,
                    f"{webhook}: test event not accepted ({delivery.last_error}); it is "
                    "tried again later, see its deliveries",
                    messages.WARNING,
                )
            else:
                self.message_user(request, f"{webhook}: test event on its way", messages.INFO)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AuditedActionsMixin):
    list_display = [
        "created_at",
        "webhook",
        "event",
        "status",
        "attempts",
        "last_response_code",
        "last_error",
        "next_attempt_at",
    ]
    list_filter = ["status", "event", "webhook"]
    list_select_related = ["webhook"]
    search_fields = ["event_id"]
    actions = ["retry_now"]
    fields = _DELIVERY_FIELDS = (
        "webhook",
        "event",
        "event_id",
        "status",
        "attempts",
        "last_response_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "sent_payload",
    )
    readonly_fields = _DELIVERY_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries come from order events and test events

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the log says what happened; "retry now" is the one thing to do

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="payload")
    def sent_payload(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2))

    @admin.action(description="Retry now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done = 0
        for delivery in queryset:
            try:
                services.webhook_delivery_retry(delivery_id=delivery.pk)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"#{delivery.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} delivery(ies) sent again")
