import csv
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils import timezone

from orders import selectors, services
from orders.models import (
    Cart,
    CartLine,
    Chargeback,
    Fulfilment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    OrderStatusHistory,
    Payment,
    Refund,
    ShippingMethod,
    Voucher,
    VoucherRedemption,
)
from storefront.admin_audit import AuditedActionsMixin
from storefront.api_errors import ServiceError
from storefront.templatetags.shop import COUNTRY_NAMES, money


def _address_text(address: Any) -> str:
    """An order's address as one would write it on a parcel, one line per part."""
    if not isinstance(address, dict) or not address:
        return ""
    country = address.get("country", "")
    parts = [
        address.get("full_name"),
        address.get("line1"),
        address.get("line2"),
        " ".join(p for p in (address.get("postal_code"), address.get("city")) if p),
        COUNTRY_NAMES.get(country, country),
    ]
    return "\n".join(str(p) for p in parts if p)


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
    readonly_fields += ["discount", "tax_rate", "net", "tax"]


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


class FulfilmentInline(admin.TabularInline):
    model = Fulfilment
    extra = 0
    can_delete = False
    readonly_fields = ["carrier", "tracking_number", "shipped_at", "shipped_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # shipping goes through order_fulfil (status, history, the shopper's mail)


class InvoiceInline(admin.TabularInline):
    model = Invoice
    fk_name = "order"
    extra = 0
    can_delete = False
    fields = ["number", "kind", "issued_at", "total_net", "total_tax", "total_gross"]
    readonly_fields = ["number", "kind", "issued_at", "total_net", "total_tax", "total_gross"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # issued by payment capture and refunds, never by hand


@admin.register(Order)
class OrderAdmin(AuditedActionsMixin):
    list_display = [
        "number",
        "placed_at",
        "status",
        "total_paid",
        "discount_given",
        "delivery_method",
        "customer",
    ]
    list_filter = ["status", "placed_at"]  # the date filter; no date_hierarchy (slow DISTINCT)
    list_select_related = ["customer"]
    search_fields = ["number", "email"]
    raw_id_fields = ["customer", "cart"]
    readonly_fields = [
        "number",
        "subtotal",
        "voucher_code",
        "discount",
        "shipping",
        "shipping_method_name",
        "delivery_window",
        "total",
        "tax_country",
        "total_net",
        "total_tax",
        "shipping_tax_rate",
        "shipping_net",
        "shipping_tax",
        "currency",
        "placed_at",
        "idempotency_key",
        "status",
        "ship_to",
        "bill_to",
    ]
    # the addresses are what the shopper entered at checkout: shown as addresses, not as
    # editable JSON (editing them here would not reach the shipment or the shopper)
    exclude = ["shipping_address", "billing_address", "shipping_method"]
    inlines = [OrderLineInline, PaymentInline, FulfilmentInline, HistoryInline, InvoiceInline]

    @admin.display(description="delivery", ordering="shipping_method_name")
    def delivery_method(self, obj: Order) -> str:
        return obj.shipping_method_name or "-"

    @admin.display(description="expected delivery")
    def delivery_window(self, obj: Order) -> str:
        return obj.delivery_window or "-"

    @admin.display(description="total", ordering="total")
    def total_paid(self, obj: Order) -> str:
        return money(obj.total, obj.currency)

    @admin.display(description="discount", ordering="discount")
    def discount_given(self, obj: Order) -> str:
        return money(obj.discount, obj.currency) if obj.discount else "-"

    @admin.display(description="ship to")
    def ship_to(self, obj: Order) -> str:
        return _address_text(obj.shipping_address)

    @admin.display(description="bill to")
    def bill_to(self, obj: Order) -> str:
        return _address_text(obj.billing_address) or "same as delivery"

    actions = ["approve_orders", "cancel_orders", "fulfil_orders"]
    change_form_template = "admin/orders/order/change_form.html"
    change_list_template = "admin/orders/order/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        export = self.admin_site.admin_view(self.export_csv)
        return [path("export.csv", export, name="orders_order_export"), *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """The orders the list shows (its filters, search and date range), as CSV for the
        books: totals, VAT, invoice number and refunds per order."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = selectors.order_export_rows(orders=changelist.get_queryset(request))
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response

    @admin.action(description="Approve selected orders on hold")
    def approve_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        note = f"by {request.user}"
        self._act(request, queryset, lambda pk: services.order_approve(order_id=pk, note=note))

    @admin.action(description="Cancel selected orders (restock, refund)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        note = f"by {request.user}"
        self._act(request, queryset, lambda pk: services.order_cancel(order_id=pk, note=note))

    @admin.action(description="Mark as fulfilled (shipped)")
    def fulfil_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        # no tracking number from a list: the order's page has the form that takes one
        user_id = request.user.pk
        self._act(request, queryset, lambda pk: services.order_fulfil(order_id=pk, user_id=user_id))

    def _act(
        self, request: HttpRequest, queryset: QuerySet[Order], action: Callable[[int], object]
    ) -> None:
        done = 0
        for order in queryset:
            try:
                action(order.pk)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} order(s) updated")

    def response_change(self, request: HttpRequest, obj: Order) -> HttpResponse:
        if "_fulfil" not in request.POST:
            return super().response_change(request, obj)
        try:
            services.order_fulfil(
                order_id=obj.pk,
                carrier=request.POST.get("_carrier", ""),
                tracking_number=request.POST.get("_tracking_number", ""),
                user_id=request.user.pk,
            )
        except ServiceError as exc:
            self.message_user(request, f"{obj.number}: {exc.message}", messages.ERROR)
        else:
            self.log_change(request, obj, "Marked as fulfilled (shipped)")
            self.message_user(
                request,
                f"{obj.number}: marked as shipped; the shopper is e-mailed.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(request.path)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


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


class VoucherRedemptionInline(admin.TabularInline):
    model = VoucherRedemption
    extra = 0
    can_delete = False
    readonly_fields = ["order", "amount", "redeemed_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # only checkout redeems a code (under the voucher's lock)


@admin.register(Voucher)
class VoucherAdmin(AuditedActionsMixin):
    list_display = [
        "code",
        "kind",
        "value",
        "min_subtotal",
        "starts_at",
        "ends_at",
        "times_used",
        "usage_limit",
        "once_per_customer",
        "is_active",
    ]
    list_filter = ["is_active", "kind", "once_per_customer"]
    search_fields = ["code"]
    inlines = [VoucherRedemptionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Voucher]:
        return super().get_queryset(request).annotate(times_used=Count("redemptions"))

    @admin.display(description="Used", ordering="times_used")
    def times_used(self, obj: Voucher) -> int:
        return int(getattr(obj, "times_used", 0))


class ShippingMethodForm(forms.ModelForm):
    countries = forms.CharField(
        required=False,
        help_text="ISO country codes it delivers to, separated by commas (GB, IE); "
        "empty for everywhere",
    )

    class Meta:
        model = ShippingMethod
        fields = [
            "name",
            "price",
            "free_from",
            "min_days",
            "max_days",
            "countries",
            "is_active",
            "position",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["countries"] = ", ".join(self.instance.countries or [])

    def clean_countries(self) -> list[str]:
        codes = [c.strip().upper() for c in self.cleaned_data["countries"].split(",") if c.strip()]
        wrong = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if wrong:
            raise forms.ValidationError(
                f"Not a two-letter country code: {', '.join(wrong)} (write GB, IE)"
            )
        return list(dict.fromkeys(codes))  # once each, in the order typed


@admin.register(ShippingMethod)
class ShippingMethodAdmin(AuditedActionsMixin):
    form = ShippingMethodForm
    list_display = [
        "name",
        "price",
        "free_from",
        "working_days",
        "delivers_to",
        "is_active",
        "position",
    ]
    list_editable = ["price", "is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    @admin.display(description="working days")
    def working_days(self, obj: ShippingMethod) -> str:
        if obj.min_days == obj.max_days:
            return str(obj.min_days)
        return f"{obj.min_days}-{obj.max_days}"

    @admin.display(description="delivers to")
    def delivers_to(self, obj: ShippingMethod) -> str:
        return ", ".join(obj.countries) if obj.countries else "everywhere"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        cache.delete(selectors.FREE_DELIVERY_CACHE_KEY)  # the shop's banners follow at once

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        cache.delete(selectors.FREE_DELIVERY_CACHE_KEY)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        cache.delete(selectors.FREE_DELIVERY_CACHE_KEY)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["description", "sku", "quantity", "unit_price", "discount", "tax_rate"]
    fields += ["net", "tax", "gross"]
    readonly_fields = ["description", "sku", "quantity", "unit_price", "discount", "tax_rate"]
    readonly_fields += ["net", "tax", "gross"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(AuditedActionsMixin):
    """Invoices and credit notes as issued: read-only (a correction is a credit note). Above
    the list, the VAT report of what is filtered (e.g. a quarter): net and VAT by delivery
    country and rate, credit notes netted off, as a VAT return asks."""

    change_list_template = "admin/orders/invoice/change_list.html"
    list_display = ["number", "kind", "order", "issued_at", "tax_country", "total_net"]
    list_display += ["total_tax", "total_gross"]
    list_filter = ["kind", "issued_at", "tax_country"]
    search_fields = ["number", "order__number"]
    list_select_related = ["order"]
    readonly_fields = ["number", "kind", "order", "credits", "refund", "issued_at", "currency"]
    readonly_fields += ["seller", "buyer", "tax_country", "total_net", "total_tax", "total_gross"]
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # numbers must stay gap-free; the demo's reset deletes orders instead

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            context["vat_report"] = selectors.vat_report(invoices=context["cl"].queryset.order_by())
        return response
