import csv
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from catalog import selectors, services
from catalog.models import (
    Brand,
    Category,
    PriceHistory,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Review,
    Stock,
    StockAlert,
    StockMovement,
    Supplier,
)
from storefront.api_errors import ServiceError
from storefront.templatetags.shop import money


def shoppers_waiting_link(product_id: int, count: int) -> str:
    """The "12 shoppers waiting" link to those alerts; "-" when nobody waits."""
    if not count:
        return "-"
    url = reverse("admin:catalog_stockalert_changelist")
    return format_html(
        '<a href="{}?product__id__exact={}&amp;status__exact=waiting">{} shopper{} waiting</a>',
        url,
        product_id,
        count,
        "" if count == 1 else "s",
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "lead_time_days", "min_order_qty"]
    search_fields = ["name"]


class StockInline(admin.StackedInline):
    model = Stock
    readonly_fields = ["on_hand", "reserved", "updated_at"]
    can_delete = False


class PriceHistoryInline(admin.TabularInline):
    model = PriceHistory
    readonly_fields = ["price", "changed_at", "source", "reason", "changed_by"]
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-changed_at"]


class ProductAdminForm(forms.ModelForm):
    # The price itself stays read-only: a change goes through the service, which writes the
    # price history (the EU "was" price and the audit trail read it) with the user.
    new_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="Set a new selling price (recorded in the price history with your name).",
    )
    price_reason = forms.CharField(required=False, max_length=200, label="Reason")

    class Meta:
        model = Product
        fields = "__all__"  # noqa: DJ007 (ProductAdmin decides what is shown)


class ProductImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row, UTF-8")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        try:
            self.cleaned_data["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        return upload


class _Echo:
    """A file-like object whose write returns the line, for csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = [
        "sku",
        "name",
        "category",
        "brand",
        "price_display",
        "list_price_display",
        "cost_display",
        "stock_available",
        "shoppers_waiting",
        "saved_by",
        "is_active",
    ]
    list_filter = ["is_active", "is_consumable", "category", "brand", "tax_class"]
    search_fields = ["sku", "name"]
    list_select_related = ["category", "brand", "stock"]
    readonly_fields = ["price", "created_at", "updated_at", "popularity"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StockInline, PriceHistoryInline]
    autocomplete_fields = ["category", "brand", "supplier"]
    change_list_template = "admin/catalog/product/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path("import/", site.admin_view(self.import_csv), name="catalog_product_import"),
            path("export.csv", site.admin_view(self.export_csv), name="catalog_product_export"),
            *super().get_urls(),
        ]

    def import_csv(self, request: HttpRequest) -> HttpResponse:
        """Upload a product CSV: all rows are applied, or none with each bad line named."""
        if not self.has_change_permission(request) or not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        form = ProductImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = services.products_import_csv(
                    text=form.cleaned_data["text"], user_id=request.user.pk
                )
            except ServiceError as exc:
                form.add_error("file", exc.message)
            else:
                if not report.errors:
                    self.message_user(
                        request,
                        f"Imported: {report.created} created, {report.updated} updated, "
                        f"{report.unchanged} unchanged.",
                        messages.SUCCESS,
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import products from CSV",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "columns": services.PRODUCT_COLUMNS,
        }
        return TemplateResponse(request, "admin/catalog/product/import.html", context)

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """The products the list shows (filters, search), in the import's columns."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = selectors.product_export_rows(products=changelist.get_queryset(request))
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="products.csv"'
        return response

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        new_price = form.cleaned_data.get("new_price")
        if new_price is not None and new_price != obj.price:
            services.product_price_set(
                product_id=obj.pk,
                price=new_price,
                source="manual",
                reason=form.cleaned_data.get("price_reason") or "set in admin",
                user_id=request.user.pk,
            )
            obj.refresh_from_db()

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        message = super().construct_change_message(request, form, formsets, add)
        if form.cleaned_data.get("new_price") is not None:
            message.append({"changed": {"fields": [f"Price -> {form.cleaned_data['new_price']}"]}})
        return message

    # money as the shop writes it (£12.50), not a bare decimal; sortable as the field
    @admin.display(description="price", ordering="price")
    def price_display(self, obj: Product) -> str:
        return money(obj.price)

    @admin.display(description="list price", ordering="list_price")
    def list_price_display(self, obj: Product) -> str:
        return money(obj.list_price)

    @admin.display(description="cost", ordering="cost")
    def cost_display(self, obj: Product) -> str:
        return money(obj.cost)

    @admin.display(description="available", ordering="stock__on_hand")
    def stock_available(self, obj: Product) -> int:
        stock = getattr(obj, "stock", None)
        return stock.available if stock else 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        from customers import facade as customers  # shoppers' saved items live there

        waiting = selectors.stock_alert_waiting_subquery(product_ref="pk")
        saved = customers.wishlist_count_subquery(product_ref="pk")
        return super().get_queryset(request).annotate(shoppers_waiting_n=waiting, saved_by_n=saved)

    @admin.display(description="back-in-stock alerts", ordering="shoppers_waiting_n")
    def shoppers_waiting(self, obj: Product) -> str:
        return shoppers_waiting_link(obj.pk, getattr(obj, "shoppers_waiting_n", 0))

    @admin.display(description="saved by", ordering="saved_by_n")
    def saved_by(self, obj: Product) -> str:
        """Shoppers with the product in their saved items (they get its price-drop e-mail)."""
        count = getattr(obj, "saved_by_n", 0)
        if not count:
            return "-"
        return format_html(
            '<a href="{}?product__id__exact={}">{} shopper{}</a>',
            reverse("admin:customers_wishlistitem_changelist"),
            obj.pk,
            count,
            "" if count == 1 else "s",
        )


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ["product", "on_hand", "reserved", "reorder_point", "updated_at"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product"]
    readonly_fields = ["on_hand", "reserved", "updated_at"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "quantity", "reason", "reference"]
    # date filter, not date_hierarchy: the hierarchy's DISTINCT over every movement is slow
    list_filter = ["reason", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["product__sku", "reference"]
    list_select_related = ["product"]
    readonly_fields = ["product", "quantity", "reason", "reference", "created_at"]


@admin.register(PriceHistory)
class PriceHistoryAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "product", "price_display", "source", "reason"]
    list_filter = ["source"]
    search_fields = ["product__sku"]
    list_select_related = ["product"]
    readonly_fields = ["product", "price", "changed_at", "source", "reason"]

    @admin.display(description="price", ordering="price")
    def price_display(self, obj: PriceHistory) -> str:
        return money(obj.price)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "rating", "title", "is_published"]
    list_filter = ["rating", "is_published"]
    search_fields = ["product__sku", "title"]
    list_select_related = ["product"]
    raw_id_fields = ["product", "customer"]


class PurchaseOrderLineFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.pk and self.instance.status != PurchaseOrder.Status.DRAFT:
            return  # view-only lines: nothing was edited
        products = {
            f.cleaned_data["product"].pk: f
            for f in self.forms
            if isinstance(f.cleaned_data.get("product"), Product)
            and not f.cleaned_data.get("DELETE")
        }
        if self.instance.supplier_id is not None:  # no supplier: the order form says so
            for form in products.values():
                refusal = services.purchase_order_line_refusal(
                    order=self.instance, product=form.cleaned_data["product"]
                )
                if refusal is not None:
                    form.add_error("product", refusal[1])
        on_order = selectors.purchase_order_open_by_product(product_ids=products)
        for pid, form in products.items():
            number = on_order.get(pid)
            if number and number != self.instance.number:
                # the units already count as incoming: a second order would double them
                form.add_error("product", f"already on open {number}")


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    formset = PurchaseOrderLineFormSet
    fields = [
        "product",
        "quantity_ordered",
        "quantity_received",
        "unit_cost",
        "outstanding",
        "shoppers_waiting",
    ]
    readonly_fields = ["quantity_received", "outstanding", "shoppers_waiting"]
    raw_id_fields = ["product"]
    extra = 0

    def _draft(self, obj: PurchaseOrder | None) -> bool:
        return obj is None or obj.status == PurchaseOrder.Status.DRAFT

    # lines are fixed once the order went to the supplier; receiving goes through the service
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)

    @admin.display(description="outstanding")
    def outstanding(self, line: PurchaseOrderLine) -> int | str:
        return line.outstanding if line.pk else ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[PurchaseOrderLine]:
        waiting = selectors.stock_alert_waiting_subquery(product_ref="product_id")
        return super().get_queryset(request).annotate(shoppers_waiting_n=waiting)

    @admin.display(description="shoppers waiting")
    def shoppers_waiting(self, line: PurchaseOrderLine) -> str:
        if not line.pk:
            return ""
        return shoppers_waiting_link(line.product_id, getattr(line, "shoppers_waiting_n", 0))


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "supplier",
        "status",
        "expected_date",
        "total_display",
        "shoppers_waiting",
        "created_at",
        "created_by",
        "sent_at",
        "received_at",
    ]
    list_filter = ["status", "supplier"]
    search_fields = ["supplier__name", "lines__product__sku"]
    list_select_related = ["supplier", "created_by"]
    readonly_fields = [
        "status",
        "created_by",
        "created_at",
        "sent_at",
        "received_at",
        "cancelled_at",
    ]
    inlines = [PurchaseOrderLineInline]
    actions = ["send_orders", "receive_outstanding", "cancel_orders"]
    change_form_template = "admin/catalog/purchaseorder/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        csv_view = self.admin_site.admin_view(self.supplier_csv)
        return [
            path("<int:object_id>/csv/", csv_view, name="catalog_purchaseorder_csv"),
            *super().get_urls(),
        ]

    def supplier_csv(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The order as a spreadsheet to send the supplier: one row per line, then the total."""
        order = self.get_object(request, str(object_id))
        if order is None or not self.has_view_permission(request, order):
            raise Http404("No such purchase order")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{order.number}.csv"'
        out = csv.writer(response)
        currency = str(settings.STORE_CURRENCY)
        out.writerow(["purchase order", order.number, "supplier", order.supplier.name])
        out.writerow(["expected", order.expected_date.isoformat(), "currency", currency])
        out.writerow(["sku", "product", "quantity", "unit cost", "line total"])
        total = Decimal("0")
        for line in order.lines.select_related("product").order_by("pk"):
            amount = line.unit_cost * line.quantity_ordered
            total += amount
            out.writerow(
                [line.product.sku, line.product.name, line.quantity_ordered, line.unit_cost, amount]
            )
        out.writerow(["", "total", "", "", total])
        return response

    @admin.display(description="total")
    def total_display(self, obj: PurchaseOrder) -> str:
        # lines are prefetched by get_queryset: no query per row
        return money(sum((li.unit_cost * li.quantity_ordered for li in obj.lines.all()), Decimal()))

    def get_queryset(self, request: HttpRequest) -> QuerySet[PurchaseOrder]:
        waiting = selectors.purchase_order_waiting_subquery()
        return super().get_queryset(request).prefetch_related("lines").annotate(waiting_n=waiting)

    @admin.display(description="shoppers waiting", ordering="waiting_n")
    def shoppers_waiting(self, obj: PurchaseOrder) -> int | str:
        # demand the order will meet: back-in-stock alerts on its products
        return getattr(obj, "waiting_n", 0) or "-"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # a received or cancelled order is history: it can be viewed, not edited
        if obj is not None and obj.status not in PurchaseOrder.OPEN_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.status != PurchaseOrder.Status.DRAFT:
            return [*self.readonly_fields, "supplier", "expected_date"]
        return list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: PurchaseOrder, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def response_change(self, request: HttpRequest, obj: PurchaseOrder) -> HttpResponse:
        if "_receive" not in request.POST:
            return super().response_change(request, obj)
        try:
            quantities = {
                line.pk: int(request.POST.get(f"_receive_{line.pk}") or 0)
                for line in obj.lines.all()
            }
        except ValueError:
            self.message_user(request, "Enter whole numbers of units", messages.ERROR)
            return HttpResponseRedirect(request.path)
        arrived = {pk: units for pk, units in quantities.items() if units}
        try:
            services.purchase_order_receive(purchase_order_id=obj.pk, quantities=arrived)
        except ServiceError as exc:
            self.message_user(request, f"{obj.number}: {exc.message}", messages.ERROR)
        else:
            units = sum(arrived.values())
            self.log_change(request, obj, f"Received {units} units into stock")
            self.message_user(request, f"{obj.number}: {units} units received into stock")
        return HttpResponseRedirect(request.path)

    @admin.display(description="number", ordering="pk")
    def number(self, obj: PurchaseOrder) -> str:
        return obj.number

    @admin.action(description="Send to supplier")
    def send_orders(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        self._act(request, queryset, lambda pk: services.purchase_order_send(purchase_order_id=pk))

    @admin.action(description="Receive all outstanding units into stock")
    def receive_outstanding(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        self._act(
            request, queryset, lambda pk: services.purchase_order_receive(purchase_order_id=pk)
        )

    @admin.action(description="Cancel")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        self._act(
            request, queryset, lambda pk: services.purchase_order_cancel(purchase_order_id=pk)
        )

    def _act(
        self,
        request: HttpRequest,
        queryset: QuerySet[PurchaseOrder],
        action: Callable[[int], object],
    ) -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                action(order.pk)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} purchase order(s) updated")


@admin.register(StockAlert)
class StockAlertAdmin(admin.ModelAdmin):
    """Who waits for what: read-only (shoppers subscribe and unsubscribe themselves). The
    address is masked: the count and the dates are what purchasing needs."""

    list_display = ["created_at", "product", "who", "status", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["product"]
    search_fields = ["product__sku", "product__name"]
    fields = ["product", "who", "status", "created_at", "sent_at", "cancelled_at"]
    readonly_fields = ["product", "who", "status", "created_at", "sent_at", "cancelled_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="shopper")
    def who(self, obj: StockAlert) -> str:
        if obj.customer_id:
            return f"customer #{obj.customer_id}"
        if obj.email:
            name, _, domain = obj.email.partition("@")
            return f"visitor {name[:1]}***@{domain}"
        return "erased"
