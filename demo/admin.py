from django.contrib import admin

from demo.models import DemoRun, GroundTruth


@admin.register(DemoRun)
class DemoRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "seed", "scale", "anchor", "seconds"]
    readonly_fields = ["seed", "scale", "anchor", "seconds", "counts", "created_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(GroundTruth)
class GroundTruthAdmin(admin.ModelAdmin):
    """Planted facts for checking the models by eye; the models themselves never read them."""

    list_display = ["kind", "key", "value"]
    list_filter = ["kind"]
    search_fields = ["key"]
    readonly_fields = ["kind", "key", "value"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
