"""Merchant views: rules, thresholds, block and allow lists, the review queue and all
assessments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from fraud import selectors, services
from fraud.models import (
    ReviewQueueItem,
    RiskAssessment,
    RiskList,
    RiskListItem,
    RiskRule,
    RiskSettings,
)
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
            "+ - * /, numbers and 'text'. Fields: " + ", ".join(selectors.RULE_FIELDS)
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
    rules = format_html_join(
        "",
        "<li>{}{}</li>",
        (
            ("" if r.startswith(("on block list ", "on allow list ")) else "rule: ", r)
            for r in obj.rules_triggered
        ),
    )
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
    actions = ["approve_orders", "cancel_orders", "reject_and_block_card", "reject_and_block_email"]

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

    def _decide(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        decision: str,
        block: tuple[services.BlockTarget, ...] = (),
    ) -> None:
        done = 0
        for assessment in queryset.order_by("pk"):
            try:
                services.review_decide(
                    order_id=assessment.order_id,
                    decision=decision,  # type: ignore[arg-type]
                    user_id=request.user.pk,
                    block=block,
                )
                done += 1
            except ServiceError as exc:
                self.message_user(
                    request, f"{assessment.order.number}: {exc.message}", messages.WARNING
                )
        if done:
            verb = "approved" if decision == "approve" else "cancelled as fraud"
            blocked = {"card": "card", "email": "e-mail"}
            also = " and ".join(blocked[b] for b in block)
            tail = f"; their {also} blocked for future checkouts" if also else ""
            self.message_user(request, f"{done} order(s) {verb}{tail}.", messages.SUCCESS)

    @admin.action(description="Approve selected orders (genuine)")
    def approve_orders(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, "approve")

    @admin.action(description="Cancel selected orders (fraud)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, "cancel")

    @admin.action(description="Reject and block card")
    def reject_and_block_card(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, "cancel", block=("card",))

    @admin.action(description="Reject and block e-mail")
    def reject_and_block_email(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, "cancel", block=("email",))


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


# --- block and allow lists --------------------------------------------------------------------


class RiskListForm(forms.ModelForm):
    class Meta:
        model = RiskList
        fields = ["name", "alias", "item_type", "kind", "description"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None:
            return data
        used = selectors.rules_using_list(alias=self.instance.alias)
        changed = {"alias", "item_type"} & set(self.changed_data)
        if used and changed:
            # the rule would stop compiling and be skipped at checkout without a word
            raise forms.ValidationError(
                f"rules use @{self.instance.alias} ({', '.join(used)}): edit them first to "
                f"change the list's {' or '.join(sorted(changed)).replace('_', ' ')}"
            )
        return data


@admin.register(RiskList)
class RiskListAdmin(AuditedActionsMixin):
    form = RiskListForm
    list_display = ["name", "alias_shown", "item_type", "kind", "items_link", "bulk_add_link"]
    list_filter = ["kind", "item_type"]
    search_fields = ["name", "alias", "description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        now = timezone.now()
        return (
            super()
            .get_queryset(request)
            .annotate(
                item_count=Count("items"),
                active_count=Count(
                    "items",
                    filter=Q(items__expires_at__isnull=True) | Q(items__expires_at__gt=now),
                ),
            )
        )

    @admin.display(description="use in rules as", ordering="alias")
    def alias_shown(self, obj: RiskList) -> str:
        return f"@{obj.alias}"

    @admin.display(description="items", ordering="item_count")
    def items_link(self, obj: Any) -> str:
        url = reverse("admin:fraud_risklistitem_changelist") + f"?risk_list__id__exact={obj.pk}"
        expired = obj.item_count - obj.active_count
        note = f" ({expired} expired)" if expired else ""
        words = "1 item" if obj.active_count == 1 else f"{obj.active_count} items"
        return format_html("<a href='{}'>{}</a>{}", url, words, note)

    @admin.display(description="add values")
    def bulk_add_link(self, obj: RiskList) -> str:
        url = reverse("admin:fraud_risklist_bulk_add", args=[obj.pk])
        return format_html("<a href='{}'>Add values in bulk (CSV)</a>", url)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # a rule using a deleted list would be skipped at checkout: edit the rule first
        if obj is not None and selectors.rules_using_list(alias=obj.alias):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.rules_cache_clear()  # rules check aliases when they are compiled

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        services.rules_cache_clear()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        kept = [obj for obj in queryset if selectors.rules_using_list(alias=obj.alias)]
        for obj in kept:
            self.message_user(
                request, f"@{obj.alias} kept: rules use it; edit them first.", messages.WARNING
            )
        super().delete_queryset(request, queryset.exclude(pk__in=[o.pk for o in kept]))
        services.rules_cache_clear()

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:list_id>/bulk-add/", wrap(self.bulk_add_view), name="fraud_risklist_bulk_add"
            ),
            *super().get_urls(),
        ]

    def bulk_add_view(self, request: HttpRequest, list_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        risk_list = get_object_or_404(RiskList, pk=list_id)
        form = RiskListBulkAddForm(request.POST or None, request.FILES or None)
        errors: list[tuple[int, str]] = []
        if request.method == "POST" and form.is_valid():
            result = services.risk_list_items_bulk_add(
                risk_list=risk_list,
                lines=form.lines(),
                reason=form.cleaned_data["reason"],
                added_by_id=request.user.pk,
                expires_at=form.cleaned_data["expires_at"],
            )
            errors = result.errors
            already = f"; {result.already} already on the list" if result.already else ""
            self.message_user(
                request,
                f"{result.added} value(s) added to {risk_list.name}{already}.",
                messages.SUCCESS if result.added or not errors else messages.WARNING,
            )
            if errors:
                self.message_user(
                    request,
                    f"{len(errors)} line(s) were not added: see below. Fix them and add them "
                    "again; the other lines are saved.",
                    messages.WARNING,
                )
            else:
                changelist = reverse("admin:fraud_risklistitem_changelist")
                return HttpResponseRedirect(f"{changelist}?risk_list__id__exact={risk_list.pk}")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Add values to {risk_list.name}",
            "risk_list": risk_list,
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/fraud/risklist/bulk_add.html", context)


class RiskListBulkAddForm(forms.Form):
    values = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 60}),
        help_text="One value per line (e-mail addresses, domains, IPs... as the list holds).",
    )
    csv_file = forms.FileField(
        required=False,
        label="or a CSV file",
        help_text="One value per line; with several columns, the first one is used. "
        "Lines starting with # are skipped.",
    )
    reason = forms.CharField(max_length=200, required=False)
    expires_at = forms.DateTimeField(
        required=False, help_text="Optional: take the values off the list after this date."
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("csv_file")
        if upload is not None and upload.size > self.MAX_BYTES:
            raise forms.ValidationError("the file is larger than 5 MB; split it")
        if not data.get("values", "").strip() and upload is None:
            raise forms.ValidationError("paste some values or choose a CSV file")
        return data

    def lines(self) -> list[str]:
        text = self.cleaned_data.get("values", "")
        upload = self.cleaned_data.get("csv_file")
        if upload is not None:
            text = upload.read().decode("utf-8-sig", errors="replace")
        return text.splitlines()


class RiskListItemForm(forms.ModelForm):
    class Meta:
        model = RiskListItem
        fields = ["risk_list", "value", "reason", "expires_at"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        risk_list = data.get("risk_list")
        if risk_list is not None and data.get("value") is not None:
            try:
                data["value"] = services.risk_list_value_normalise(
                    risk_list=risk_list, value=data["value"]
                )
            except ServiceError as exc:
                self.add_error("value", exc.message)
            else:
                self.instance.value = data["value"]  # the unique check sees the stored form
        return data


@admin.register(RiskListItem)
class RiskListItemAdmin(AuditedActionsMixin):
    form = RiskListItemForm
    list_display = [
        "value",
        "risk_list",
        "reason",
        "added_by",
        "created_at",
        "expires_at",
        "active",
    ]
    list_filter = ["risk_list", "risk_list__kind"]
    search_fields = ["value", "reason"]
    list_select_related = ["risk_list", "added_by"]
    readonly_fields = ["added_by", "created_at"]
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description="active")
    def active(self, obj: RiskListItem) -> bool:
        return not obj.is_expired

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
