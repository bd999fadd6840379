from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from mlops import services
from mlops.models import Alert, ModelVersion, TrainingRun
from storefront.api_errors import ServiceError


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "capability",
        "version",
        "status",
        "primary_metric",
        "primary_value",
        "created_at",
        "activated_at",
    ]
    list_filter = ["capability", "status"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["activate", "force_activate", "rollback"]

    @admin.action(description="Activate if better than the active version")
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for version in queryset:
            result = services.model_version_activate(version_id=version.pk, user_id=request.user.pk)
            self.message_user(request, f"{version}: {result.reason}")

    @admin.action(description="Force activate")
    def force_activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for version in queryset:
            result = services.model_version_activate(
                version_id=version.pk, force=True, user_id=request.user.pk
            )
            self.message_user(request, f"{version}: {result.reason}")

    @admin.action(description="Roll back this capability to the previous version")
    def rollback(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for capability in sorted({v.capability for v in queryset}):
            try:
                restored = services.model_version_rollback(
                    capability=capability, user_id=request.user.pk
                )
                self.message_user(request, f"{capability}: v{restored.version} is active again")
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.WARNING)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = [
        "capability",
        "status",
        "progress",
        "created_at",
        "finished_at",
        "model_version",
    ]
    list_filter = ["capability", "status"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "capability", "level", "message", "resolved_at"]
    list_filter = ["level", "capability"]
