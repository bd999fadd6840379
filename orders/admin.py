from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders import services
from orders.models import (
    Cart,
    CartLine,
    Chargeback,
    Order,
    OrderLine,
    OrderStatusHistory,
    Payment,
    Refund,
)
from storefront.admin_audit import AuditedActionsMixin
from storefront.api_errors import ServiceError


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Cart)
class CartAdmin(AuditedActionsMixin):
    list_display = ["token", "customer", "status", "created_at", "updated_at"]
    # a date filter rather than date_hierarchy, whose DISTINCT over every cart is slow
    list_filter = ["status", ("updated_at", admin.DateFieldListFilter)]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    inlines = [CartLineInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["product", "sku", "name", "unit_price", "quantity", "line_total"]


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = [
        "amount",
        "status",
        "card_brand",
        "card_last4",
        "bin_country",
        "ip_country",
        "device_id",
        "created_at",
    ]
    exclude = ["card_fingerprint", "ip_address"]


class HistoryInline(admin.TabularInline):
    model = OrderStatusHistory
    extra = 0
    can_delete = False
    readonly_fields = ["status", "note", "created_at"]


@admin.register(Order)
class OrderAdmin(AuditedActionsMixin):
    list_display = ["number", "placed_at", "status", "total", "currency", "customer"]
    list_filter = ["status", "placed_at"]  # the date filter; no date_hierarchy (slow DISTINCT)
    list_select_related = ["customer"]
    search_fields = ["number", "email"]
    raw_id_fields = ["customer", "cart"]
    readonly_fields = [
        "number",
        "subtotal",
        "shipping",
        "total",
        "currency",
        "placed_at",
        "idempotency_key",
        "status",
    ]
    inlines = [OrderLineInline, PaymentInline, HistoryInline]
    actions = ["approve_orders", "cancel_orders"]

    @admin.action(description="Approve selected orders on hold")
    def approve_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._act(request, queryset, services.order_approve)

    @admin.action(description="Cancel selected orders (restock, refund)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._act(request, queryset, services.order_cancel)

    def _act(self, request: HttpRequest, queryset: QuerySet[Order], action) -> None:  # type: ignore[no-untyped-def]
        done = 0
        for order in queryset:
            try:
                action(order_id=order.pk, note=f"by {request.user}")
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} order(s) updated")


@admin.register(Payment)
class PaymentAdmin(AuditedActionsMixin):
    list_display = [
        "order",
        "amount",
        "status",
        "card_brand",
        "card_last4",
        "bin_country",
        "ip_country",
        "created_at",
    ]
    list_filter = ["status", "card_brand", "bin_country"]
    search_fields = ["order__number"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(Refund)
class RefundAdmin(AuditedActionsMixin):
    list_display = ["order", "amount", "reason", "created_at"]
    readonly_fields = ["order", "payment", "amount", "reason", "created_at"]
    list_select_related = ["order"]


@admin.register(Chargeback)
class ChargebackAdmin(AuditedActionsMixin):
    list_display = ["order", "amount", "reason_code", "received_at"]
    list_filter = ["reason_code"]
    readonly_fields = ["order", "payment", "amount", "reason_code", "received_at"]
    list_select_related = ["order"]
