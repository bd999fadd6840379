"""Merchant views: rules, thresholds, the review queue and all assessments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join

from fraud import selectors, services
from fraud.models import ReviewQueueItem, RiskAssessment, RiskRule, RiskSettings
from fraud.rules import RuleSyntaxError
from storefront.admin_audit import AuditedActionsMixin
from storefront.api_errors import ServiceError
from storefront.templatetags.shop import money


class RiskRuleForm(forms.ModelForm):
    class Meta:
        model = RiskRule
        fields = ["name", "expression", "action", "position", "is_active"]
        widgets = {"expression": forms.Textarea(attrs={"rows": 2, "cols": 80})}
        help_texts = {
            "expression": "A condition such as: amount > 1000 and ip_country != billing_country. "
            "Allowed: and/or/not, comparisons, in [..], in @list (e.g. email in @blocked_emails), "
            "+ - * /, numbers and 'text'. Fields: "
            + ", ".join(selectors.RULE_FIELDS)
        }

    def clean_expression(self) -> str:
        text = self.cleaned_data["expression"]
        try:
            selectors.rule_compile_checked(text)
        except RuleSyntaxError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text.strip()


@admin.register(RiskRule)
class RiskRuleAdmin(AuditedActionsMixin):
    form = RiskRuleForm
    list_display = ["name", "action", "expression", "position", "is_active", "updated_at"]
    list_editable = ["position", "is_active"]
    list_filter = ["action", "is_active"]
    search_fields = ["name", "expression"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.rules_cache_clear()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        services.rules_cache_clear()


@admin.register(RiskSettings)
class RiskSettingsAdmin(AuditedActionsMixin):
    list_display = ["__str__", "review_elevated", "decline_highest", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RiskSettings.objects.exists()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.rules_cache_clear()


def _reasons_html(obj: RiskAssessment) -> str:
    if not obj.reasons and not obj.rules_triggered:
        return "-"
    rules = format_html_join("", "<li>rule: {}</li>", ((r,) for r in obj.rules_triggered))
    reasons = format_html_join(
        "",
        "<li>{} = {} (+{})</li>",
        ((r["feature"], r["value"], r["contribution"]) for r in obj.reasons),
    )
    return format_html("<ul style='margin:0'>{}{}</ul>", rules, reasons)


class _AssessmentAdminBase(AuditedActionsMixin):
    list_display = [
        "order_link",
        "score_display",
        "level",
        "action",
        "source",
        "why",
        "review_outcome",
        "created_at",
    ]
    readonly_fields = [f.name for f in RiskAssessment._meta.fields]
    list_select_related = ["order"]
    actions = ["approve_orders", "cancel_orders"]

    @admin.display(description="order", ordering="order__number")
    def order_link(self, obj: RiskAssessment) -> str:
        return format_html(
            "<a href='/admin/orders/order/{}/change/'>{}</a> ({})",
            obj.order_id,
            obj.order.number,
            money(obj.order.total, obj.order.currency),
        )

    @admin.display(description="score", ordering="score")
    def score_display(self, obj: RiskAssessment) -> str:
        return "-" if obj.score is None else f"{obj.score:.3f}"

    @admin.display(description="rules and top reasons")
    def why(self, obj: RiskAssessment) -> str:
        return _reasons_html(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[Any], decision: str) -> None:
        done = 0
        for assessment in queryset.order_by("pk"):
            try:
                services.review_decide(
                    order_id=assessment.order_id,
                    decision=decision,  # type: ignore[arg-type]
                    user_id=request.user.pk,
                )
                done += 1
            except ServiceError as exc:
                self.message_user(
                    request, f"{assessment.order.number}: {exc.message}", messages.WARNING
                )
        if done:
            verb = "approved" if decision == "approve" else "cancelled as fraud"
            self.message_user(request, f"{done} order(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Approve selected orders (genuine)")
    def approve_orders(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, "approve")

    @admin.action(description="Cancel selected orders (fraud)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, "cancel")


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(_AssessmentAdminBase):
    """Orders on hold for review, riskiest first."""

    list_filter = ["level", "source"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django's default title, "Select order awaiting review to change", reads like a form
        context = {"title": "Orders awaiting review", **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = selectors.review_queue().values("pk")
        return super().get_queryset(request).filter(pk__in=ids).order_by("-score", "created_at")


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(_AssessmentAdminBase):
    list_filter = ["action", "level", "source", "review_outcome"]
    search_fields = ["order__number"]
    date_hierarchy = "created_at"
