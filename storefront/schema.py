from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

# The body of every error answer (storefront/api_errors.py), documented once as a component.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "An error. `detail` is a sentence for people, `code` a stable string for programs "
        "(`invalid`, `not_found`, `not_authenticated`, `permission_denied`, `throttled`, "
        "`out_of_stock`, `server_error` for a 500, ...). A validation error also lists the messages of each field "
        "under that field's name; a nested input (an object or a list) nests them likewise, "
        "keyed by field name or list index."
    ),
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "code": {"type": "string", "description": "What went wrong, for programs."},
    },
    "required": ["detail", "code"],
    "additionalProperties": {
        "description": "The messages for the field of that name.",
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {}},
        ],
    },
}


def error_schema_with(properties: dict[str, Any]) -> dict[str, Any]:
    """The `Error` body with keys of its own besides the field lists (an import's report)."""
    return {**ERROR_SCHEMA, "properties": {**ERROR_SCHEMA["properties"], **properties}}


# Which answers every operation documents (unless it documents that status itself).
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: the field messages are listed under each field's name.",
    "401": "Not logged in (no or an invalid token or session).",
    "403": "Logged in, but not allowed to do this.",
    "404": "No such object (or, for a list, no such page).",
    "415": "Unsupported media type: send the body as one of the content types listed.",
    "429": "Too many requests: retry after the Retry-After header's seconds.",
}


class AutoSchema(BaseAutoSchema):
    """Names nested serializers after their view (`CheckoutApi.InputSerializer` ->
    `CheckoutApiInput`), so the HackSoft-style nested Input/OutputSerializer never collide;
    documents the error answers (400/401/403/404/415/429, the shared `Error` body) of every
    operation, and gives that body to each 4xx an operation describes in words only."""

    def _get_serializer_name(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        qualname = cls.__qualname__
        if "." in qualname and "<locals>" not in qualname:
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            if not name.startswith(outer):
                name = outer + name
        return name

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation.setdefault("responses", {})
        missing = [code for code in self._error_statuses(operation) if code not in responses]
        # A 4xx an operation documents with a description only (`OpenApiResponse(description=
        # ...)`) answers the same error body: say so, keeping the operation's own words.
        bodiless = [c for c, r in responses.items() if c.startswith("4") and "content" not in r]
        if not missing and not bodiless:
            return operation
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        content = {"application/json": {"schema": component.ref}}
        for code in missing:
            responses[code] = {"description": ERROR_DESCRIPTIONS[code], "content": content}
        for code in bodiless:
            responses[code] = {**responses[code], "content": content}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        codes = []
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
            codes.append("400")
        if "requestBody" in operation:  # the parsers refuse any other Content-Type
            codes.append("415")
        throttles = self.view.get_throttles()
        permissions = self.view.get_permissions()
        if any(not isinstance(permission, AllowAny) for permission in permissions):
            codes += ["401", "403"]
        paged = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
        if paged or any(p.get("in") == "path" for p in parameters) or "{" in self.path:
            codes.append("404")
        scope = getattr(self.view, "throttle_scope", None)
        if scope and any(scope in getattr(t, "THROTTLE_RATES", {}) for t in throttles):
            codes.append("429")
        return codes
