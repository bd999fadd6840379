from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from catalog import services
from catalog.models import (
    Brand,
    Category,
    PriceHistory,
    Product,
    Review,
    Stock,
    StockMovement,
    Supplier,
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


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = [
        "sku",
        "name",
        "category",
        "brand",
        "price",
        "list_price",
        "cost",
        "stock_available",
        "is_active",
    ]
    list_filter = ["is_active", "is_consumable", "category", "brand"]
    search_fields = ["sku", "name"]
    list_select_related = ["category", "brand", "stock"]
    readonly_fields = ["price", "created_at", "updated_at", "popularity"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StockInline, PriceHistoryInline]
    autocomplete_fields = ["category", "brand", "supplier"]

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

    @admin.display(description="available", ordering="stock__on_hand")
    def stock_available(self, obj: Product) -> int:
        stock = getattr(obj, "stock", None)
        return stock.available if stock else 0


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
    list_display = ["changed_at", "product", "price", "source", "reason"]
    list_filter = ["source"]
    search_fields = ["product__sku"]
    list_select_related = ["product"]
    readonly_fields = ["product", "price", "changed_at", "source", "reason"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "rating", "title", "is_published"]
    list_filter = ["rating", "is_published"]
    search_fields = ["product__sku", "title"]
    list_select_related = ["product"]
    raw_id_fields = ["product", "customer"]
