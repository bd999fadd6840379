from django.contrib import admin

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
    readonly_fields = ["price", "changed_at", "source", "reason"]
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-changed_at"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
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
    list_filter = ["reason"]
    search_fields = ["product__sku", "reference"]
    list_select_related = ["product"]
    readonly_fields = ["product", "quantity", "reason", "reference", "created_at"]
    date_hierarchy = "created_at"


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
