"""Merchant views: proposal queue (bulk approve/reject), elasticity table with a price and sales
chart per product, policies, bounds and competitor prices. Actions call services."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from pricing import selectors, services
from pricing.models import (
    CompetitorPrice,
    ElasticityEstimate,
    PriceBound,
    PriceProposal,
    PricingPolicy,
)
from storefront.admin_audit import AuditedActionsMixin
from storefront.templatetags.shop import money

# the optimizer's guardrail names as the policy form calls them
GUARDRAIL_LABELS = {
    "floor_ceiling": "price bounds",
    "min_margin": "minimum margin",
    "max_discount": "maximum discount",
    "max_change": "maximum change",
    "competitor_cap": "competitor price",
    "max_changes_per_week": "changes per week",
}


def _guardrails(names: str) -> str:
    return ", ".join(GUARDRAIL_LABELS.get(n, n.replace("_", " ")) for n in names.split(",") if n)


@admin.register(PriceProposal)
class PriceProposalAdmin(AuditedActionsMixin):
    list_display = [
        "product",
        "status",
        "price_change",
        "elasticity_interval",
        "profit_per_day",
        "guardrails",
        "created",
    ]
    list_filter = [
        "status",
        "objective",
        "pooled",
        "is_experiment",
        "auto_applied",
        "product__category",
    ]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product"]
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = [f.name for f in PriceProposal._meta.fields]
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Money as money and one column per question (what price, what profit, what held it
    # back): eleven columns of bare decimals ran off a 1400 px screen.
    @admin.display(description="price", ordering="proposed_price")
    def price_change(self, obj: PriceProposal) -> str:
        return f"{money(obj.current_price)} \u2192 {money(obj.proposed_price)} ({obj.change_pct:+.1f}%)"

    @admin.display(description="expected profit per day")
    def profit_per_day(self, obj: PriceProposal) -> str:
        return f"{money(obj.profit_current)} \u2192 {money(obj.profit_new)}"

    @admin.display(description="proposed", ordering="created_at")
    def created(self, obj: PriceProposal) -> str:
        # a short local date and time: Django's "Dec. 3, 2026, 11:41 p.m." pushed the
        # list past a 1280 px screen
        return timezone.localtime(obj.created_at).strftime("%d %b %H:%M")

    @admin.display(description="held by guardrails")
    def guardrails(self, obj: PriceProposal) -> str:
        text = _guardrails(obj.bound_by) or "-"
        if obj.conflicts:
            text += f" (dropped, contradicting others: {_guardrails(obj.conflicts)})"
        return text

    @admin.display(description="elasticity (95% interval)")
    def elasticity_interval(self, obj: PriceProposal) -> str:
        pooled = " pooled" if obj.pooled else ""
        return f"{obj.elasticity:.2f} [{obj.elasticity_low:.2f}, {obj.elasticity_high:.2f}]{pooled}"

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[PriceProposal], approve: bool
    ) -> None:
        result = services.price_proposals_decide(
            proposal_ids=queryset.values_list("pk", flat=True),
            approve=approve,
            user_id=request.user.pk,
        )
        verb = "applied" if approve else "rejected"
        self.message_user(request, f"{result['done']} proposal(s) {verb}.", messages.SUCCESS)
        for refused in result["refused"][:20]:
            self.message_user(request, f"#{refused['id']}: {refused['reason']}", messages.WARNING)

    @admin.action(description="Approve and apply selected proposals")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[PriceProposal]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject selected proposals")
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[PriceProposal]) -> None:
        self._decide(request, queryset, approve=False)


def _chart(product_id: int) -> SafeString:
    """Inline SVG: price (line) and weekly units sold (bars) over the training history."""
    hist = selectors.sales_history_frame(now=timezone.now())
    hist = hist[hist["product_id"] == product_id]
    if hist.empty:
        return mark_safe("<p>No sales history yet.</p>")
    weekly = (
        hist.set_index(pd.to_datetime(hist["date"]))
        .resample("W")
        .agg({"quantity": "sum", "price": "mean"})
        .dropna()
    )
    w, h, pad = 720, 200, 30
    n = len(weekly)
    bw = (w - 2 * pad) / max(n, 1)
    qmax = max(float(weekly["quantity"].max()), 1.0)
    pmin, pmax = float(weekly["price"].min()), float(weekly["price"].max())
    span = (pmax - pmin) or 1.0
    bars = format_html_join(
        "",
        '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#9ecae1"/>',
        (
            (
                pad + i * bw,
                h - pad - q / qmax * (h - 2 * pad),
                max(bw - 1, 1),
                q / qmax * (h - 2 * pad),
            )
            for i, q in enumerate(weekly["quantity"].astype(float))
        ),
    )
    points = " ".join(
        f"{pad + (i + 0.5) * bw:.1f},{h - pad - (p - pmin) / span * (h - 2 * pad):.1f}"
        for i, p in enumerate(weekly["price"].astype(float))
    )
    return format_html(
        '<svg width="{}" height="{}" role="img" aria-label="weekly units and price">{}'
        '<polyline points="{}" fill="none" stroke="#d62728" stroke-width="2"/>'
        '<text x="{}" y="14" font-size="11">bars: units per week (max {:.0f}); '
        "red line: average price ({:.2f} to {:.2f})</text></svg>",
        w,
        h,
        bars,
        points,
        pad,
        qmax,
        pmin,
        pmax,
    )


@admin.register(ElasticityEstimate)
class ElasticityEstimateAdmin(AuditedActionsMixin):
    list_display = [
        "product",
        "category",
        "elasticity",
        "elasticity_low",
        "elasticity_high",
        "own_estimate",
        "pooled",
        "n_days",
        "n_stockout_days",
        "base_daily_units",
        "model_version",
    ]
    list_filter = ["pooled", "product__category", "model_version"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product", "product__category"]
    readonly_fields = [f.name for f in ElasticityEstimate._meta.fields] + ["price_and_sales"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="category", ordering="product__category__name")
    def category(self, obj: ElasticityEstimate) -> str:
        return obj.product.category.name

    @admin.display(description="price and sales")
    def price_and_sales(self, obj: ElasticityEstimate) -> SafeString:
        return _chart(obj.product_id)


@admin.register(PricingPolicy)
class PricingPolicyAdmin(AuditedActionsMixin):
    list_display = [
        "__str__",
        "enabled",
        "objective",
        "min_margin_pct",
        "max_change_pct",
        "max_discount_pct",
        "max_changes_per_week",
        "competitor_cap_pct",
        "auto_approve_below_pct",
    ]
    actions = ["propose_now"]

    @admin.action(description="Propose prices now (active model, no refit)")
    def propose_now(self, request: HttpRequest, queryset: Any) -> None:
        result = services.price_proposals_generate()
        self.message_user(request, f"Pricing: {result}", messages.INFO)


@admin.register(PriceBound)
class PriceBoundAdmin(AuditedActionsMixin):
    list_display = ["product", "floor_price", "ceiling_price"]
    search_fields = ["product__sku", "product__name"]
    raw_id_fields = ["product"]


@admin.register(CompetitorPrice)
class CompetitorPriceAdmin(AuditedActionsMixin):
    list_display = ["product", "competitor", "price", "observed_at", "source"]
    list_filter = ["competitor", "source"]
    search_fields = ["product__sku", "competitor"]
    raw_id_fields = ["product"]
    date_hierarchy = "observed_at"
