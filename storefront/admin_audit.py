"""Admin actions leave the same audit trail as change forms: one LogEntry per object, with
the user, the time and the action, shown in each object's History page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

# Django logs these itself.
_SELF_LOGGED = {"delete_selected"}


class AuditedActionsMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = dict(super().get_actions(request))
        return {
            name: (
                func if name in _SELF_LOGGED else _audited(func, str(description)),
                name,
                description,
            )
            for name, (func, _, description) in actions.items()
        }


def _audited(func: Any, description: str) -> Any:
    def run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:  # type: ignore[type-arg]
        objects = list(queryset)  # before the action, which may change what the filter matches
        response = func(modeladmin, request, queryset)
        for obj in objects:
            modeladmin.log_change(request, obj, f"Admin action: {description}")
        return response

    run.__name__ = getattr(func, "__name__", "action")
    return run
